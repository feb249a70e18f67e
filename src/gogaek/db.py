"""Database engine, sessions and the declarative base shared by every capability."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.sqlite_gate import WriteGate
from gogaek.sqlite_inline import inline_connector, install_offload

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Always hands back aware UTC datetimes: SQLite forgets the zone, PostgreSQL keeps it."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    """A writer waits this long for another one; then "database is locked" becomes a 503 (errors.py)."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.resolved_database_url
    if settings.is_sqlite:
        return _create_sqlite_engine(settings, url)
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _create_sqlite_engine(settings: Settings, url: str) -> AsyncEngine:
    """A database file is used inline behind the write gate (sqlite_inline.py); memory stays plain aiosqlite."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    timeout = settings.sqlite_busy_timeout_ms / 1000
    database = make_url(url).database
    if not database or database == ":memory:":
        engine = create_async_engine(url, connect_args={"timeout": timeout})
    else:
        path = Path(database)
        engine = create_async_engine(url, async_creator=inline_connector(path, timeout))
        WriteGate.for_database(path, timeout).install(engine)
        install_offload(engine)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with factory() as session:
        yield session


async def commit_unique(session: AsyncSession, conflict: Callable[[], ProblemError]) -> None:
    """Commits; losing a race on a unique constraint becomes the same 409 a lookup gives."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise conflict() from exc
