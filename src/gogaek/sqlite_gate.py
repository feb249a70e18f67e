"""One SQLite writer at a time inside a process, woken in arrival order.

SQLite lets one connection write. The others wait in its busy handler, which sleeps in growing
steps (1, 2, 5 … 100 ms) and tries again, so under concurrent submissions a waiting writer slept
long after the lock had been freed: 32 connections' submissions reached ~90 req/s with a p99 of
seconds, mostly asleep. Here a connection first queues on an asyncio lock before its first write
statement and leaves it when its transaction ends, so the next writer starts as soon as the
previous one commits. Writers in other processes still meet SQLite's own lock and busy handler.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

_WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
_HOLDS = "gogaek_write_gate"


def is_write(statement: str) -> bool:
    """A statement that takes SQLite's write lock (the ones pysqlite opens a transaction for)."""
    verb = statement.lstrip()[:7].upper().split(None, 1)
    return bool(verb) and verb[0] in _WRITE_VERBS


async def _acquire(lock: asyncio.Lock, seconds: float) -> None:
    """A free lock is taken without giving the loop away (``wait_for`` would start a task first)."""
    async with asyncio.timeout(seconds):
        await lock.acquire()


class WriteGate:
    """Per database file and event loop: the lock a connection holds from its first write to its
    commit or rollback. Engines on the same file in one process share it, so two of them never
    wait for each other inside SQLite while the loop that would let the first one finish is blocked."""

    _by_database: ClassVar[dict[Path, WriteGate]] = {}

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    @classmethod
    def for_database(cls, path: Path, timeout_seconds: float) -> WriteGate:
        key = path.resolve()
        gate = cls._by_database.get(key)
        if gate is None:
            gate = cls._by_database[key] = cls(timeout_seconds)
        return gate

    def install(self, engine: AsyncEngine) -> None:
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._before_execute)
        event.listen(sync_engine, "commit", self._on_transaction_end)
        event.listen(sync_engine, "rollback", self._on_transaction_end)
        event.listen(sync_engine.pool, "checkin", self._on_checkin)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {known: held for known, held in self._locks.items() if not known.is_closed()}
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def _before_execute(
        self, conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if _HOLDS in conn.info or not is_write(statement):
            return
        lock = self._lock()
        try:
            await_only(_acquire(lock, self._timeout))
        except TimeoutError as exc:  # what SQLite's busy handler says after the same wait: a 503 (errors.py)
            raise OperationalError(statement, None, sqlite3.OperationalError("database is locked")) from exc
        conn.info[_HOLDS] = lock

    def _on_transaction_end(self, conn: Connection) -> None:
        _release(conn.info)

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        """A connection handed back mid-transaction (invalidated, or closed without commit) frees the gate."""
        _release(record.info)


def _release(info: dict[Any, Any]) -> None:
    lock = info.pop(_HOLDS, None)
    if lock is not None:
        lock.release()
