"""The search log's batching: nothing is written per search, a full batch goes at once, the rest
at its timer or at shutdown, and a batch the database refuses is dropped, not retried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.search.documents import SearchDocument, SearchHit
from gogaek.search.engine import SearchAnswer
from gogaek.search.log import SearchLog, normalize_query
from gogaek.search.models import SearchQueryLog

Sessions = async_sessionmaker[AsyncSession]
HIT = SearchHit(SearchDocument(7, None, "충전은 어떻게 하나요?", (), (), "답", "충전"), 1.0, "")


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[Sessions]:
    engine = create_engine(settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def count(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SearchQueryLog)) or 0)


@pytest.mark.parametrize(
    ("query", "normalized"),
    [
        ("카드 등록", "카드등록"),
        ("카드등록?", "카드등록"),
        ("ＡＢＣ 카드", "abc카드"),
        ("환불, 언제 돼요!", "환불언제돼요"),
    ],
)
def test_queries_that_differ_in_spacing_case_width_or_punctuation_are_one(query: str, normalized: str) -> None:
    assert normalize_query(query) == normalized


async def test_searches_wait_for_the_timer_and_a_full_batch_goes_at_once(sessions: Sessions) -> None:
    search_log = SearchLog(sessions, flush_seconds=60, max_pending=3)
    search_log.record("충전 방법", "api", SearchAnswer([HIT], None))
    search_log.record("충전", "api", SearchAnswer([], None))
    await asyncio.sleep(0.05)
    assert await count(sessions) == 0  # no write per search
    search_log.record("카드 01012345678", "bot", SearchAnswer([HIT], None, no_match=True))
    for _ in range(100):
        if await count(sessions) == 3:
            break
        await asyncio.sleep(0.05)
    async with sessions() as session:
        rows = (await session.scalars(select(SearchQueryLog).order_by(SearchQueryLog.id))).all()
    assert [(r.query, r.source, r.result_count, r.top_article_id, r.no_match) for r in rows] == [
        ("충전 방법", "api", 1, 7, False),
        ("충전", "api", 0, None, False),
        (rows[2].query, "bot", 1, 7, True),
    ]
    assert "01012345678" not in rows[2].query  # masked before it was kept
    await search_log.close()


async def test_closing_writes_what_is_waiting(sessions: Sessions) -> None:
    search_log = SearchLog(sessions, flush_seconds=60)
    search_log.record("송금 취소", "search_page", SearchAnswer([HIT], None))
    await search_log.close()
    assert await count(sessions) == 1
    assert await search_log.flush() == 0


async def test_a_batch_the_database_refuses_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'gogaek.db'}")
    search_log = SearchLog(create_sessionmaker(unreachable), flush_seconds=60)
    search_log.record("송금 취소", "api", SearchAnswer([HIT], None))
    with caplog.at_level(logging.WARNING, logger="gogaek.search"):
        assert await search_log.flush() == 0
    assert "dropped 1 logged searches" in caplog.text
    assert await search_log.flush() == 0  # not retried
    await unreachable.dispose()
