"""Keeps the in-memory search engine in step with the published articles in the database."""

from __future__ import annotations

import asyncio
import os
import time
from collections import ChainMap
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.demo.shipped_vectors import shipped_vectors
from gogaek.helpcenter import queries as helpcenter_queries
from gogaek.helpcenter.models import Article, PublishStatus
from gogaek.rendering import markdown_to_text
from gogaek.search.documents import SearchDocument, SearchHit
from gogaek.search.embedding_store import EmbeddingStore
from gogaek.search.engine import SearchAnswer, SearchEngine
from gogaek.search.log import SearchLog
from gogaek.search.models import DICTIONARY_ROW, SynonymDictionary


def document_for(article: Article) -> SearchDocument:
    return SearchDocument(
        id=article.id,
        external_id=article.external_id,
        question=article.question,
        alternates=tuple(article.alternates or ()),
        tags=tuple(article.tags or ()),
        answer=markdown_to_text(article.answer_md),
        category=article.category.name,
    )


class SearchIndex:
    """One per process. Edits made here apply at once; edits made by another process
    (another app worker, or the CLI importer) are picked up by a cheap fingerprint check."""

    def __init__(
        self,
        engine: SearchEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        refresh_seconds: float = 2.0,
        *,
        embedding_store: EmbeddingStore | None = None,
    ) -> None:
        self.engine = engine
        self._embedding_store = embedding_store
        self._sessionmaker = sessionmaker
        self.query_log = SearchLog(sessionmaker)
        self._refresh_seconds = refresh_seconds
        self._signature: tuple[tuple[int, str, int, str], str] | None = None
        self._synonyms_applied: str | None = None  # the dictionary stamp the engine's synonyms came from
        self._checked_at = 0.0
        self._lock = asyncio.Lock()
        self._loaded = asyncio.Event()
        # Searches get their own threads, one per core: the query encoders run in parallel
        # without the GIL, so more threads would only interleave them and stretch every answer,
        # and the default executor stays free for the app's other blocking calls.
        self._searchers = ThreadPoolExecutor(max_workers=usable_cores(), thread_name_prefix="gogaek-search")

    async def load(self, *, background: bool = False) -> None:
        """The first load is complete before the index says it is ready; later reloads put the
        index in place at once and let a slow model's vectors follow (SearchEngine.rebuild)."""
        async with self._lock, self._sessionmaker() as session:
            await self._rebuild(session, background=background)

    async def _rebuild(self, session: AsyncSession, *, background: bool) -> None:
        signature = await _signature(session)
        if signature[1] != self._synonyms_applied:
            edited = await session.get(SynonymDictionary, DICTIONARY_ROW)
            self.engine.use_synonyms(edited.text if edited is not None else None)
            self._synonyms_applied = signature[1]
        articles = await helpcenter_queries.published_articles_for_index(session)
        documents = [document_for(article) for article in articles]
        await asyncio.to_thread(self.engine.rebuild, documents, background=background)
        self._signature = signature
        self._checked_at = time.monotonic()
        self._loaded.set()

    async def refresh_if_stale(self) -> None:
        if time.monotonic() - self._checked_at < self._refresh_seconds:
            return
        async with self._lock:
            if time.monotonic() - self._checked_at < self._refresh_seconds:
                return
            async with self._sessionmaker() as session:
                signature = await _signature(session)
                if signature != self._signature:
                    await self._rebuild(session, background=True)
                else:
                    self._checked_at = time.monotonic()

    async def article_changed(self, article: Article) -> None:
        """Called after a commit in this process, so the author sees the change at once."""
        if article.status == PublishStatus.PUBLISHED:
            await asyncio.to_thread(self.engine.upsert, document_for(article))
        else:
            self.engine.remove(article.id)
        await self._remember_signature()

    async def categories_changed(self) -> None:
        """A renamed category changes how every article in it is shown: rebuild."""
        await self.load(background=True)

    async def synonyms_changed(self) -> None:
        """Concept tokens are computed when articles are indexed: an edited dictionary needs a rebuild."""
        await self.load(background=True)

    async def article_deleted(self, article_id: int) -> None:
        self.engine.remove(article_id)
        await self._remember_signature()

    async def _remember_signature(self) -> None:
        async with self._lock, self._sessionmaker() as session:
            self._signature = await _signature(session)
            self._checked_at = time.monotonic()

    async def search(self, query: str, limit: int) -> list[SearchHit]:
        return (await self.answer(query, limit)).hits

    async def answer(self, query: str, limit: int, *, logged_as: str | None = None) -> SearchAnswer:
        """Hits and the "이것을 찾으셨나요?" correction, from one pass over the query.

        ``logged_as`` names where a customer searched (``search_page``, ``api``, ``bot``) and
        records the search for the insight page; searches the app makes itself pass nothing.
        """
        await self.refresh_if_stale()
        if self.engine.semantic:  # embedding the query takes tens of milliseconds
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(self._searchers, self.engine.answer, query, limit)
        else:
            answer = self.engine.answer(query, limit)
        if logged_as is not None:
            self.query_log.record(query, logged_as, answer)
        return answer

    async def suggest(self, prefix: str, limit: int) -> list[SearchDocument]:
        await self.refresh_if_stale()
        return self.engine.suggest(prefix, limit)

    @property
    def ready(self) -> bool:
        return self._loaded.is_set() and self.engine.ready

    async def wait_until_loaded(self) -> None:
        await self._loaded.wait()

    def close(self) -> None:
        self._searchers.shutdown(wait=False, cancel_futures=True)
        self.engine.close()
        if self._embedding_store is not None:
            self._embedding_store.close()


async def _signature(session: AsyncSession) -> tuple[tuple[int, str, int, str], str]:
    """What the index shows (published articles, category names) and which synonym dictionary
    it was built with: any process's edit of either changes it."""
    edited = await session.scalar(select(SynonymDictionary.updated_at).where(SynonymDictionary.id == DICTIONARY_ROW))
    return await helpcenter_queries.published_signature(session), "" if edited is None else edited.isoformat()


def usable_cores() -> int:
    """The cores this process may run on (a container or ``taskset`` may allow fewer than exist)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build_search_index(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> SearchIndex:
    """The process's index, with vectors persisted in the data dir when semantic search is on."""
    store = EmbeddingStore(settings.embedding_cache_path) if settings.search_semantic else None
    engine = SearchEngine(
        synonyms_path=settings.synonyms_path,
        semantic=settings.search_semantic,
        kiwi_model_type=settings.kiwi_model_type,
        # New vectors go to the store; the demo FAQ's come with the package (gogaek.demo.vectors).
        embedding_cache=None if store is None else ChainMap(store, shipped_vectors()),
    )
    return SearchIndex(engine, sessionmaker, settings.search_refresh_seconds, embedding_store=store)
