"""The retention policy: evidence of long-closed inquiries and long-ended chats go, on a schedule,
with a dry run that reports without deleting. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import ChatMessage, Conversation
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry, InquiryAttachment
from gogaek.privacy.retention import apply_retention, months_before, run_retention
from gogaek.privacy.service import erase_customer
from tests.api.test_privacy import png_bytes
from tests.cli import run_cli, run_cli_process
from tests.conftest import customer_headers


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"retention_attachment_months": 6, "retention_chat_months": 3})


def stored(settings: Settings) -> set[str]:
    root = settings.attachment_path
    return {path.relative_to(root).as_posix() for path in root.rglob("*.*")} if root.exists() else set()


async def inquiry_with_photo(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, closed_days_ago: int | None
) -> tuple[int, str]:
    response = await client.post(
        "/api/v1/inquiries",
        data={"category": "payment", "title": "환불 문의", "body": "영수증 첨부합니다."},
        files=[("attachments", ("영수증.png", png_bytes("red"), "image/png"))],
        headers=customer_headers(settings, sub="keeper"),
    )
    assert response.status_code == 201, response.text
    inquiry_id = response.json()["id"]
    async with app.state.sessionmaker() as session:
        if closed_days_ago is not None:
            closed = utcnow() - timedelta(days=closed_days_ago)
            await session.execute(
                update(Inquiry).where(Inquiry.id == inquiry_id).values(status="closed", closed_at=closed)
            )
        key = await session.scalar(
            select(InquiryAttachment.storage_key).where(InquiryAttachment.inquiry_id == inquiry_id)
        )
        await session.commit()
    assert key is not None
    return inquiry_id, key


async def chat_with_image(app: FastAPI, customer_id: int, status: str, ended_days_ago: int | None) -> tuple[int, str]:
    key = await app.state.attachment_storage.save(png_bytes("blue"), "png")
    async with app.state.sessionmaker() as session:
        ended = utcnow() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
        chat = Conversation(customer_id=customer_id, status=status, ended_at=ended)
        session.add(chat)
        await session.flush()
        image = {"image": {"key": key, "name": "a.png", "content_type": "image/png", "size": 1}}
        session.add_all(
            [
                ChatMessage(conversation_id=chat.id, seq=1, sender="customer", text="안녕하세요"),
                ChatMessage(conversation_id=chat.id, seq=2, sender="customer", payload=image),
            ]
        )
        await session.commit()
        return chat.id, key


@pytest.fixture
async def world(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> dict[str, int | str]:
    session.add(Category(slug="payment", name="결제·환불", position=1))
    await session.commit()
    old_closed, old_key = await inquiry_with_photo(app, client, settings, closed_days_ago=200)
    _, recent_key = await inquiry_with_photo(app, client, settings, closed_days_ago=30)
    _, open_key = await inquiry_with_photo(app, client, settings, closed_days_ago=None)
    customer_id = await session.scalar(select(Inquiry.customer_id).where(Inquiry.id == old_closed))
    assert customer_id is not None
    old_chat, old_chat_key = await chat_with_image(app, customer_id, "ended", 120)
    recent_chat, recent_chat_key = await chat_with_image(app, customer_id, "ended", 20)
    open_chat, _ = await chat_with_image(app, customer_id, "active", None)
    return {
        "old_closed": old_closed,
        "old_key": old_key,
        "recent_key": recent_key,
        "open_key": open_key,
        "old_chat": old_chat,
        "old_chat_key": old_chat_key,
        "recent_chat": recent_chat,
        "recent_chat_key": recent_chat_key,
        "open_chat": open_chat,
    }


async def count(session: AsyncSession, model: type[object]) -> int:
    await session.rollback()
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_dry_run_reports_what_would_go_and_changes_nothing(
    client: httpx.AsyncClient,
    settings: Settings,
    session: AsyncSession,
    world: dict[str, int | str],
    admin_headers: dict[str, str],
) -> None:
    before = stored(settings)
    response = await client.get("/api/v1/admin/privacy/retention", headers=admin_headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is True
    items = {item["rule"]: item for item in report["items"]}
    assert items["closed_inquiry_attachments"]["months"] == 6 and items["closed_inquiry_attachments"]["rows"] == 1
    assert items["ended_chats"]["ids"] == [world["old_chat"]] and items["ended_chats"]["files"] == 1
    assert stored(settings) == before
    assert await count(session, InquiryAttachment) == 3 and await count(session, Conversation) == 3


async def test_the_retention_report_is_for_admins(client: httpx.AsyncClient, settings: Settings) -> None:
    assert (await client.get("/api/v1/admin/privacy/retention")).status_code == 401
    customer = await client.get("/api/v1/admin/privacy/retention", headers=customer_headers(settings))
    assert customer.status_code == 401


async def test_a_run_deletes_old_evidence_and_old_chats_only(
    app: FastAPI, settings: Settings, session: AsyncSession, world: dict[str, int | str]
) -> None:
    deleted = await run_retention(app.state.sessionmaker, settings, utcnow())
    assert deleted == 2  # one attachment, one chat
    files = stored(settings)
    assert world["old_key"] not in files and world["old_chat_key"] not in files
    assert {world["recent_key"], world["open_key"], world["recent_chat_key"]} <= files
    assert await session.get(Inquiry, world["old_closed"]) is not None  # the record stays; its file went
    chats = set(await session.scalars(select(Conversation.id)))
    assert chats == {world["recent_chat"], world["open_chat"]}
    assert (
        await session.scalar(
            select(func.count()).select_from(ChatMessage).where(ChatMessage.conversation_id == world["old_chat"])
        )
        == 0
    )
    again = await apply_retention(session, settings, app.state.attachment_storage, dry_run=False)
    assert [item.rows for item in again.items] == [0, 0, 0]


async def test_unset_rules_delete_nothing(
    app: FastAPI, settings: Settings, session: AsyncSession, world: dict[str, int | str]
) -> None:
    off = settings.model_copy(update={"retention_attachment_months": None, "retention_chat_months": None})
    assert await run_retention(app.state.sessionmaker, off, utcnow()) == 0
    report = await apply_retention(session, off, app.state.attachment_storage, dry_run=True)
    assert [(item.months, item.rows) for item in report.items] == [(None, 0), (None, 0), (None, 0)]
    assert await count(session, InquiryAttachment) == 3


async def test_the_command_line_dry_run_prints_the_report(settings: Settings, world: dict[str, int | str]) -> None:
    result = run_cli(settings, "privacy", "retention", "--dry-run", extra_env={"GOGAEK_RETENTION_CHAT_MONTHS": "3"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert {item["rule"]: item["rows"] for item in report["items"]} == {
        "closed_inquiry_attachments": 0,
        "ended_chats": 1,
        "erased_customer_records": 0,
    }
    assert world["old_chat_key"] in stored(settings)


async def test_the_real_command_erases_a_customer(
    settings: Settings, world: dict[str, int | str], session: AsyncSession
) -> None:
    result = run_cli_process(settings, "privacy", "erase", "keeper", "--yes")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files_deleted"] == 6
    assert stored(settings) == set()
    missing = run_cli(settings, "privacy", "erase", "keeper", "--yes")
    assert missing.returncode == 0  # a repeat answers the first result


async def test_records_kept_after_an_erasure_go_when_their_years_are_over(
    app: FastAPI, settings: Settings, session: AsyncSession, world: dict[str, int | str]
) -> None:
    result, _ = await erase_customer(session, settings, app.state.attachment_storage, "host", "keeper", "cli")
    assert result.anonymised["inquiries"] == 3
    five_years = settings.model_copy(update={"retention_erased_records_years": 5})
    long_ago = utcnow() - timedelta(days=6 * 366)
    await session.execute(update(Inquiry).where(Inquiry.id == world["old_closed"]).values(closed_at=long_ago))
    await session.commit()
    dry = await apply_retention(session, five_years, app.state.attachment_storage, dry_run=True)
    assert dry.items[2].ids == [world["old_closed"]] and dry.items[2].months == 60
    assert await run_retention(app.state.sessionmaker, five_years, utcnow()) == 1
    assert await count(session, Inquiry) == 2 and await count(session, Customer) == 1  # others are recent
    await session.execute(update(Inquiry).values(closed_at=long_ago, updated_at=long_ago))
    await session.commit()
    assert await run_retention(app.state.sessionmaker, five_years, utcnow()) == 3  # two inquiries, the customer
    assert await count(session, Inquiry) == 0 and await count(session, Customer) == 0


def test_months_are_calendar_months() -> None:
    assert months_before(datetime(2027, 3, 31, 9, tzinfo=UTC), 1) == datetime(2027, 2, 28, 9, tzinfo=UTC)
    assert months_before(datetime(2027, 1, 15, tzinfo=UTC), 13) == datetime(2025, 12, 15, tzinfo=UTC)


def test_the_job_worker_runs_retention_daily_only_when_a_rule_is_set(tmp_path: Path) -> None:
    from gogaek.background import periodic_tasks

    off = Settings(env="test", data_dir=tmp_path)
    on = off.model_copy(update={"retention_chat_months": 12})
    assert "privacy-retention" not in [task.name for task in periodic_tasks(off)]
    [task] = [task for task in periodic_tasks(on) if task.name == "privacy-retention"]
    assert task.interval_seconds == 24 * 3600 and task.run is run_retention


async def test_a_run_goes_on_batch_after_batch_until_nothing_is_left(
    app: FastAPI,
    settings: Settings,
    session: AsyncSession,
    world: dict[str, int | str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer_id = await session.scalar(select(Inquiry.customer_id).where(Inquiry.id == world["old_closed"]))
    assert customer_id is not None
    second, second_key = await chat_with_image(app, customer_id, "ended", 200)
    monkeypatch.setattr("gogaek.privacy.retention.BATCH", 1)
    report = await apply_retention(session, settings, app.state.attachment_storage, dry_run=False)
    chats = next(item for item in report.items if item.rule == "ended_chats")
    assert chats.rows == 2 and chats.ids == [world["old_chat"], second] and chats.files == 2
    assert second_key not in stored(settings)
