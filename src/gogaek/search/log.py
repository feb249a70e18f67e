"""Recording searches without slowing them: rows are kept in memory and written in batches.

A search writes nothing itself; a batch goes to the database every ``flush_seconds`` (or
sooner when ``max_pending`` searches are waiting) in one INSERT. This is analytics, not a
record anyone relies on: a process killed between flushes loses those few seconds of searches,
and a batch the database refuses is dropped with a warning rather than retried forever.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from contextlib import suppress
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.db import utcnow
from gogaek.korean.pii import mask_pii
from gogaek.search.engine import SearchAnswer
from gogaek.search.models import SearchQueryLog

log = logging.getLogger("gogaek.search")

FLUSH_SECONDS = 2.0
MAX_PENDING = 200
_NOISE = re.compile(r"[\s?!.,~·]+")


def normalize_query(query: str) -> str:
    """The form two searches share when they are "the same": case, width, spacing and
    punctuation do not count (Korean spacing varies: 카드 등록 = 카드등록)."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", query).lower())[:200]


class SearchLog:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        flush_seconds: float = FLUSH_SECONDS,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._flush_seconds = flush_seconds
        self._max_pending = max_pending
        self._pending: list[dict[str, Any]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._full = asyncio.Event()

    def record(self, query: str, source: str, answer: SearchAnswer) -> None:
        """Keeps the search for the next batch; personal details are masked here, before anything is kept."""
        masked = mask_pii(query).text[:200]
        self._pending.append(
            {
                "query": masked,
                "normalized": normalize_query(masked),
                "source": source,
                "result_count": len(answer.hits),
                "top_article_id": answer.hits[0].document.id if answer.hits else None,
                "no_match": answer.no_match,
                "created_at": utcnow(),
            }
        )
        if len(self._pending) >= self._max_pending:
            self._full.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="search-log-flush")

    async def _flush_soon(self) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(self._flush_seconds):
                await self._full.wait()
        await self.flush()

    async def flush(self) -> int:
        """Writes what is waiting now; returns how many searches were written."""
        rows, self._pending = self._pending, []
        self._full.clear()
        if not rows:
            return 0
        try:
            async with self._sessionmaker() as session:
                await session.execute(insert(SearchQueryLog), rows)
                await session.commit()
        except Exception:
            log.warning("dropped %d logged searches: the database refused them", len(rows), exc_info=True)
            return 0
        return len(rows)

    async def close(self) -> None:
        """Stops the timer and writes the rest (at shutdown)."""
        if self._flusher is not None and not self._flusher.done():
            # Woken rather than cancelled: a cancel landing while it writes could leave a
            # database connection half-opened.
            self._full.set()
            await self._flusher
        await self.flush()
