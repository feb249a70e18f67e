"""Search API shapes; the result fields are a stable interface used by acceptance checks."""

from __future__ import annotations

from pydantic import BaseModel

from gogaek.helpcenter.contact import ContactInfo
from gogaek.helpcenter.schemas import CategoryPublic


class SearchResult(BaseModel):
    id: int
    external_id: str | None
    question: str
    category: str
    score: float
    snippet: str


class NoMatchHelp(BaseModel):
    """What to offer when nothing matches: browse by category or reach a person."""

    message: str
    categories: list[CategoryPublic]
    contact: ContactInfo


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]
    did_you_mean: str | None = None
    no_match: NoMatchHelp | None = None


class Suggestion(BaseModel):
    id: int
    question: str
    category: str


class SuggestResponse(BaseModel):
    query: str
    suggestions: list[Suggestion]
    # True when what was typed is no question the FAQ answers (the search's own no-match rule):
    # the suggestions are then only the closest articles, and the page says so (docs/search.md).
    no_match: bool = False
