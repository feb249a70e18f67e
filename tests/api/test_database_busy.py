"""SQLite under a long write lock: a clear, retryable 503 — never a 500, never half an inquiry."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from gogaek.app import create_app
from gogaek.config import Settings
from gogaek.demo import load_demo_content
from gogaek.inquiries.models import Inquiry
from tests.conftest import customer_headers

NEW = {"category": "payment", "title": "결제 오류", "body": "결제가 실패했어요"}


@pytest.fixture
def settings(migrated_sqlite: Path, tmp_path: Path) -> Settings:
    """SQLite only (PostgreSQL writers never lock the whole database), with a short busy timeout."""
    shutil.copy(migrated_sqlite, tmp_path / "gogaek.db")
    return Settings(
        env="test", data_dir=tmp_path, search_semantic=False, jobs_enabled=False, sqlite_busy_timeout_ms=200
    )


@pytest.fixture
async def impatient_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        async with application.state.sessionmaker() as session:
            await load_demo_content(session)
        yield application


async def test_a_locked_database_answers_503_and_the_retry_files_once(
    impatient_app: FastAPI, settings: Settings
) -> None:
    headers = {**customer_headers(settings), "Idempotency-Key": "busy-retry"}
    transport = httpx.ASGITransport(app=impatient_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.get("/api/v1/inquiries", headers=headers)  # the customer row exists before the lock
        holder = sqlite3.connect(settings.data_dir / "gogaek.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a long time
        try:
            busy = await client.post("/api/v1/inquiries", json=NEW, headers=headers)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert busy.status_code == 503, busy.text
        assert busy.json()["code"] == "database_busy" and busy.headers["retry-after"] == "2"
        retried = await client.post("/api/v1/inquiries", json=NEW, headers=headers)
        assert retried.status_code == 201
    async with impatient_app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Inquiry)) == 1
