"""Upgrading a database that already holds content keeps every row, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from gogaek.config import Settings
from gogaek.db import Base, create_engine
from gogaek.migrate import alembic_config, upgrade_database
from tests.conftest import IN_CI, POSTGRES_URL, _create_postgres_database, _drop_postgres_database, _postgres_reachable

FIRST_REVISION = "0001"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _upgrade_populated(settings: Settings) -> tuple[str, int, int, int]:
    engine = create_engine(settings)
    try:
        await upgrade_database(engine, FIRST_REVISION)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO categories (id, slug, name, description, position, created_at) "
                    "VALUES (1, 'transfer', '송금', '', 0, '2026-01-02 03:04:05')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO articles (category_id, question, answer_md, answer_html, tags, alternates, "
                    "status, view_count, helpful_yes, helpful_no, created_at, updated_at) VALUES "
                    "(1, '송금 취소', '가능', '<p>가능</p>', '[]', '[]', 'published', 0, 0, 0, "
                    "'2026-01-02 03:04:05', '2026-01-02 03:04:05')"
                )
            )
        await upgrade_database(engine)
        async with engine.connect() as connection:
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            articles = (await connection.execute(text("SELECT count(*) FROM articles"))).scalar_one()
            stamped = (
                await connection.execute(text("SELECT count(*) FROM categories WHERE updated_at IS NOT NULL"))
            ).scalar_one()
            foreign_keys = 1
            if connection.dialect.name == "sqlite":
                foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
        return str(version), int(articles), int(stamped), int(foreign_keys)
    finally:
        await engine.dispose()


def test_sqlite_upgrade_keeps_rows_and_foreign_keys(tmp_path: Path) -> None:
    settings = Settings(env="test", data_dir=tmp_path)
    assert asyncio.run(_upgrade_populated(settings)) == (HEAD, 1, 1, 1)


def test_postgres_upgrade_keeps_rows() -> None:
    if not asyncio.run(_postgres_reachable()):
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but {POSTGRES_URL} is unreachable")
        pytest.skip("PostgreSQL not reachable")
    url = asyncio.run(_create_postgres_database())
    try:
        assert asyncio.run(_upgrade_populated(Settings(env="test", database_url=url))) == (HEAD, 1, 1, 1)
    finally:
        asyncio.run(_drop_postgres_database(url))


def _schema_drift(connection: Connection) -> list[object]:
    import gogaek.models  # noqa: F401 - every table on the metadata

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _drift(settings: Settings) -> list[object]:
    engine = create_engine(settings)
    try:
        await upgrade_database(engine)
        async with engine.connect() as connection:
            return await connection.run_sync(_schema_drift)
    finally:
        await engine.dispose()


def test_migrations_match_the_models(tmp_path: Path) -> None:
    """A model change without a migration would only show up on someone's upgraded database."""
    assert asyncio.run(_drift(Settings(env="test", data_dir=tmp_path))) == []
