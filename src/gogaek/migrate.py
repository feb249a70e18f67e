"""Runs the Alembic migrations shipped inside the package against the configured database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Applies migrations in one transaction: a failure leaves the schema as it was."""

    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            await connection.run_sync(upgrade)
            await connection.commit()
            return
        await _upgrade_sqlite(connection, upgrade)


async def _upgrade_sqlite(connection: AsyncConnection, upgrade: Callable[[Connection], None]) -> None:
    """SQLite alters a table by copying it, which must not trip foreign keys half-way, and
    Python's sqlite3 would commit each DDL statement on its own unless we open the
    transaction ourselves. The pragma only works outside a transaction, so it comes first;
    references are checked once the migration is complete.
    """
    await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        await connection.exec_driver_sql("BEGIN")
        await connection.run_sync(upgrade)
        broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
        if broken:
            raise RuntimeError(f"migration left broken references: {broken[:5]}")
        await connection.commit()
    except BaseException:
        await connection.rollback()
        raise
    finally:
        await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
