"""SQLite run on the loop's thread behind the write gate: concurrent writers in one process queue
instead of blocking the loop, and a transaction that ends any way lets the next writer in."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gogaek.config import Settings
from gogaek.db import create_engine
from gogaek.errors import is_database_busy
from gogaek.sqlite_gate import is_write
from gogaek.sqlite_inline import offload_long_reads


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(Settings(env="test", data_dir=tmp_path, sqlite_busy_timeout_ms=300))
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, writer INTEGER, step INTEGER)"))
    yield engine
    await engine.dispose()


async def _write_in_steps(engine: AsyncEngine, writer: int) -> None:
    """A transaction that gives the loop away between its writes, as a request awaiting I/O would."""
    async with engine.begin() as connection:
        for step in range(3):
            await connection.execute(text("INSERT INTO notes (writer, step) VALUES (:w, :s)"), {"w": writer, "s": step})
            await asyncio.sleep(0)


async def test_interleaved_writers_in_one_loop_all_commit(engine: AsyncEngine) -> None:
    # Without the gate the second writer would wait inside SQLite on the loop's own thread while
    # the first one, which holds the lock, could never run again: "database is locked".
    await asyncio.gather(*(_write_in_steps(engine, writer) for writer in range(20)))
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT writer, step FROM notes ORDER BY id"))).all()
    assert len(rows) == 60
    by_writer = [tuple(row) for row in rows]
    for first in range(0, 60, 3):  # each transaction's writes are together: writers took turns
        assert {writer for writer, _ in by_writer[first : first + 3]} == {by_writer[first][0]}


async def test_a_rolled_back_or_abandoned_writer_lets_the_next_one_in(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (writer, step) VALUES (1, 0)"))
            raise RuntimeError("the request failed half-way")
    connection = await engine.connect()
    await connection.execute(text("INSERT INTO notes (writer, step) VALUES (2, 0)"))
    await connection.close()  # handed back without commit: the pool rolls back
    await asyncio.wait_for(_write_in_steps(engine, 3), timeout=5)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT writer FROM notes"))).scalars().all() == [3, 3, 3]


async def test_a_writer_waiting_longer_than_the_busy_timeout_gets_the_busy_error(engine: AsyncEngine) -> None:
    holder = await engine.connect()
    await holder.execute(text("INSERT INTO notes (writer, step) VALUES (1, 0)"))
    try:
        with pytest.raises(OperationalError) as caught:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO notes (writer, step) VALUES (2, 0)"))
        assert is_database_busy(caught.value)  # the same 503 as SQLite's own busy timeout (errors.py)
    finally:
        await holder.rollback()
        await holder.close()


async def test_reads_do_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    async with engine.begin() as writer:
        await writer.execute(text("INSERT INTO notes (writer, step) VALUES (1, 0)"))
        async with engine.connect() as reader:  # WAL: the reader sees the last commit at once
            assert (await reader.execute(text("SELECT count(*) FROM notes"))).scalar() == 0


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("INSERT INTO notes VALUES (1)", True),
        ("  update notes SET step = 1", True),
        ("DELETE FROM notes", True),
        ("REPLACE INTO notes VALUES (1)", True),
        ("SELECT * FROM notes", False),
        ("PRAGMA foreign_keys=ON", False),
        ("", False),
    ],
)
def test_which_statements_take_the_write_lock(statement: str, writes: bool) -> None:
    assert is_write(statement) is writes


async def test_a_long_read_can_be_sent_to_a_thread(engine: AsyncEngine) -> None:
    """Statements run on the loop's thread unless marked long (reports): those leave the loop free."""

    def register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    event.listen(engine.sync_engine, "connect", register)
    await engine.dispose()  # new connections get the function
    loop_thread = threading.get_ident()
    async with AsyncSession(engine) as session:
        assert await session.scalar(text("SELECT thread_id()")) == loop_thread
        await offload_long_reads(session)
        assert await session.scalar(text("SELECT thread_id()")) != loop_thread
        assert (await session.execute(text("SELECT thread_id(), 1"))).one()[1] == 1  # fetched there too
    async with AsyncSession(engine) as session:  # the next transaction is inline again
        assert await session.scalar(text("SELECT thread_id()")) == loop_thread
