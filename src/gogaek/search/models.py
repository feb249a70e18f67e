"""What customers searched for: the raw material of the search insight page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class SearchQueryLog(Base):
    """One search by a customer, with personal details masked before it is written.

    It names no customer: the log answers "what do people look for and not find", and a
    customer's erasure has nothing to remove here.
    """

    __tablename__ = "search_queries"
    __table_args__ = (Index("ix_search_queries_created_normalized", "created_at", "normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200))
    normalized: Mapped[str] = mapped_column(String(200))  # what counts as "the same query"
    source: Mapped[str] = mapped_column(String(20))  # search_page, api, bot
    result_count: Mapped[int] = mapped_column(Integer)
    top_article_id: Mapped[int | None] = mapped_column(Integer, default=None)
    no_match: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


DICTIONARY_ROW = 1


class SynonymDictionary(Base):
    """The synonym dictionary as admins edited it; without a row the file is used.

    One row (id 1). Every process compares ``updated_at`` on its index refresh and rebuilds
    when it changed, so an edit reaches all processes without a restart.
    """

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer, default=None)  # the staff member's id
