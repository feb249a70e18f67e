"""SQLite statements run on the event loop's own thread, behind SQLAlchemy's aiosqlite dialect.

aiosqlite gives every connection a thread and hands each call (cursor, execute, fetch, close,
commit) across with a queue and a future. A 문의 내역 page took about a dozen such hand-offs,
each two context switches and a fight for the GIL with the loop. SQLite answers from a local
file in microseconds to a few milliseconds, so here each call runs at once and its coroutine
finishes without yielding: the SQLAlchemy greenlet never goes back to the loop in the middle of
a transaction. What it bought: docs/write-path.md (benchmarks/request_cost.py).

What it costs: while a statement runs, nothing else on this loop does, so a statement known to
be long (a report over months of inquiries) is sent to a thread: run it with the execution option
``OFFLOAD`` (``offload_long_reads``). In this process writers
queue on the write gate (sqlite_gate.py), never in SQLite's busy handler; a writer in *another*
process (a CLI import, a second server on the same file) makes this loop wait out its write
transaction, up to the busy timeout. Several processes belong on PostgreSQL (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

_T = TypeVar("_T")


OFFLOAD = "gogaek_sqlite_offload"


class InlineCursor:
    """The subset of aiosqlite's cursor SQLAlchemy's adapter awaits, done synchronously unless its
    connection was told the next statement is long."""

    def __init__(self, cursor: sqlite3.Cursor, owner: InlineConnection) -> None:
        self._cursor = cursor
        self._owner = owner

    async def _run(self, call: Callable[..., _T], *args: Any) -> _T:
        if self._owner.offload:
            return await asyncio.to_thread(call, *args)
        return call(*args)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Self:
        await self._run(self._cursor.execute, sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Self:
        await self._run(self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return await self._run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return await self._run(self._cursor.fetchmany, self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return await self._run(self._cursor.fetchall)

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunAtOnce:
    """Stands in for aiosqlite's call queue, which SQLAlchemy's isolation-level setter uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed to the awaiting caller, as aiosqlite's thread does
            future.set_exception(exc)


class InlineConnection:
    """The subset of aiosqlite's connection that SQLAlchemy's adapter uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._tx = _RunAtOnce(connection)
        self.offload = False  # set before each statement from its execution options

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")  # aiosqlite's words: SQLAlchemy reads them as a disconnect
        return self._conn

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor(), self)

    async def commit(self) -> None:
        self._open().commit()

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def stop(self) -> None:
        """Terminate: there is no thread to stop, only the handle to close."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level


def _mark_offload(
    conn: Connection, _cursor: Any, _statement: str, _params: Any, context: ExecutionContext | None, _many: bool
) -> None:
    driver = conn.connection.driver_connection
    if isinstance(driver, InlineConnection):
        driver.offload = bool(context is not None and context.execution_options.get(OFFLOAD))


def install_offload(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "before_cursor_execute", _mark_offload)


async def offload_long_reads(session: AsyncSession) -> None:
    """The session's statements from here to its transaction's end run in a thread on SQLite
    (on PostgreSQL the option means nothing): for reads that may take a noticeable time."""
    connection = await session.connection()
    await connection.execution_options(**{OFFLOAD: True})


def inline_connector(path: Path, busy_timeout_seconds: float) -> Callable[[], Any]:
    """``async_creator`` for ``create_async_engine``: one inline connection to the database file."""

    async def connect() -> InlineConnection:
        return InlineConnection(sqlite3.connect(path, timeout=busy_timeout_seconds, check_same_thread=False))

    return connect
