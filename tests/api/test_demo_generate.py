"""``gogaek demo generate``: generated history is complete, consistent and readable through the API.

Runs on SQLite and PostgreSQL (the ``settings`` fixture). The generator runs in-process with
small numbers; the CLI is run once in-process with typer's runner.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from gogaek.cli import app as cli_app
from gogaek.config import Settings
from gogaek.db import create_engine, utcnow
from gogaek.demo.generate import GeneratePlan, GenerateReport, generate_history
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.inquiries.models import Inquiry, InquiryEvent, InquiryFeedback, InquiryMessage
from gogaek.inquiries.service import inquiry_number
from gogaek.inquiries.sla import queue_position
from gogaek.inquiries.workflow import OPEN_STATUSES, Status
from gogaek.jobs.models import Job
from tests.api.test_agent_auth import make_staff, sign_in
from tests.conftest import customer_headers, settings_environment

INQUIRIES, DAYS = 300, 30
NUMBER = re.compile(r"\d{8}-\d{6,}")
# What migration 0012 adds for the queue's status lists, and the two indexes it replaces.
ADDED = {
    "ix_inquiries_status_id",
    "ix_inquiries_status_queue",
    "ix_inquiries_category_status_id",
    "ix_inquiries_assignee_status_id",
    "ix_inquiries_team_status_id",
}
REPLACED = {"ix_inquiries_assignee_status", "ix_inquiries_team_status"}


async def generate(app: FastAPI, seed: int, now: datetime, chunk: int = 100) -> GenerateReport:
    """Three chunks, so the drafting of one overlaps the writing of the last."""
    plan = GeneratePlan(inquiries=INQUIRIES, days=DAYS, seed=seed, chunk=chunk)
    return await generate_history(app.state.db_engine, app.state.settings, plan, now=now)


async def all_inquiries(session: AsyncSession) -> list[Inquiry]:
    session.expire_all()
    return list((await session.scalars(select(Inquiry).order_by(Inquiry.id))).all())


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_counts_numbers_times_and_statuses_are_consistent(app: FastAPI, session: AsyncSession) -> None:
    now = utcnow()
    report = await generate(app, seed=11, now=now)
    inquiries = await all_inquiries(session)

    assert report.inquiries == len(inquiries) == INQUIRIES
    assert report.customers == await count(session, Customer)
    assert report.messages == await count(session, InquiryMessage)
    assert report.events == await count(session, InquiryEvent)
    assert report.feedback == await count(session, InquiryFeedback)
    assert report.statuses == dict(Counter(inquiry.status for inquiry in inquiries))
    assert {Status.CLOSED, Status.RESOLVED} <= set(report.statuses), report.statuses
    assert len(report.created_agents) == await count(session, StaffUser) > 0
    assert await count(session, Job) == 0  # generated history fires no jobs, events or notifications

    numbers = [inquiry.number for inquiry in inquiries]
    assert len(set(numbers)) == INQUIRIES
    for inquiry in inquiries:
        assert inquiry.number is not None and NUMBER.fullmatch(inquiry.number)
        assert inquiry.number == inquiry_number(inquiry)
        check_times(inquiry, now)
        check_status(inquiry, now)
        assert (inquiry.queue_rank, inquiry.queue_due_at) == queue_position(inquiry)


def check_times(inquiry: Inquiry, now: datetime) -> None:
    """Inside the window, and in the order things happen."""
    assert now - timedelta(days=DAYS) <= inquiry.created_at <= now
    moments = [inquiry.created_at, inquiry.first_responded_at, inquiry.resolved_at, inquiry.closed_at]
    present = [moment for moment in moments if moment is not None]
    assert present == sorted(present) and present[-1] <= now
    assert inquiry.created_at <= inquiry.updated_at <= now
    assert inquiry.first_response_due_at is not None and inquiry.first_response_due_at > inquiry.created_at


def check_status(inquiry: Inquiry, now: datetime) -> None:
    status = Status(inquiry.status)
    if status in OPEN_STATUSES:
        assert inquiry.resolved_at is None and inquiry.closed_at is None
        assert inquiry.created_at > now - timedelta(days=DAYS)  # open ones are young enough to be open
    if status == Status.RECEIVED:
        assert inquiry.first_responded_at is None
    if status == Status.ANSWERED:  # waiting on the customer: the resolution clock is paused
        assert inquiry.first_responded_at is not None and inquiry.resolution_due_at is None
        assert inquiry.resolution_remaining_seconds is not None
    if status == Status.RESOLVED:
        assert inquiry.resolved_at is not None and inquiry.closed_at is None
    if status == Status.CLOSED:
        assert inquiry.closed_at is not None
    if inquiry.created_at < now - timedelta(days=20):
        assert status in (Status.RESOLVED, Status.CLOSED), inquiry.id


async def test_threads_ratings_and_timelines_belong_to_their_inquiry(app: FastAPI, session: AsyncSession) -> None:
    now = utcnow()
    await generate(app, seed=12, now=now)
    inquiries = {inquiry.id: inquiry for inquiry in await all_inquiries(session)}
    agents = set((await session.scalars(select(StaffUser.id).where(StaffUser.role == StaffRole.AGENT.value))).all())

    for message in (await session.scalars(select(InquiryMessage))).all():
        inquiry = inquiries[message.inquiry_id]
        assert inquiry.created_at <= message.created_at <= now
        assert (message.author_staff_id in agents) == (message.author_kind == "agent")
    replies = await session.execute(
        select(InquiryMessage.inquiry_id, func.min(InquiryMessage.created_at))
        .where(InquiryMessage.author_kind == "agent", InquiryMessage.internal.is_(False))
        .group_by(InquiryMessage.inquiry_id)
    )
    first_replies = {inquiry_id: first for inquiry_id, first in replies}
    assert {key: inquiries[key].first_responded_at for key in first_replies} == first_replies
    assert all(inquiry.first_responded_at is None for key, inquiry in inquiries.items() if key not in first_replies)
    for feedback in (await session.scalars(select(InquiryFeedback))).all():
        inquiry = inquiries[feedback.inquiry_id]
        assert inquiry.status in (Status.RESOLVED, Status.CLOSED) and 1 <= feedback.score <= 5
        assert inquiry.resolved_at is not None and inquiry.resolved_at <= feedback.created_at <= now
    created = Counter(await session.scalars(select(InquiryEvent.inquiry_id).where(InquiryEvent.kind == "created")))
    assert created == Counter(list(inquiries))


async def test_a_customer_sees_exactly_their_inquiries_and_agents_see_the_queue(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await generate(app, seed=13, now=utcnow())
    inquiries = await all_inquiries(session)
    busiest, filed = Counter(inquiry.customer_id for inquiry in inquiries).most_common(1)[0]
    assert filed > 3  # the long tail: some customers write many times
    sub = await session.scalar(select(Customer.external_id).where(Customer.id == busiest))
    assert sub is not None
    mine = sorted(
        (inquiry for inquiry in inquiries if inquiry.customer_id == busiest),
        key=lambda inquiry: (inquiry.created_at, inquiry.id),
        reverse=True,
    )

    response = await client.get("/api/v1/inquiries", params={"limit": 100}, headers=customer_headers(settings, sub=sub))
    assert response.status_code == 200, response.text
    assert response.json()["total"] == filed
    assert [row["id"] for row in response.json()["items"]] == [inquiry.id for inquiry in mine]

    await make_staff(session, "reader@example.com")
    headers = await sign_in(client, "reader@example.com")
    response = await client.get("/api/v1/agent/inquiries", params={"view": "all", "limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    open_ids = {inquiry.id for inquiry in inquiries if Status(inquiry.status) in OPEN_STATUSES}
    assert {row["id"] for row in response.json()["items"]} == open_ids
    response = await client.get("/api/v1/agent/inquiries", params={"status": "closed", "limit": 200}, headers=headers)
    closed = sorted((inquiry.id for inquiry in inquiries if inquiry.status == Status.CLOSED), reverse=True)
    assert [row["id"] for row in response.json()["items"]] == closed[:200]


def drawn(inquiry: Inquiry, first_customer: int) -> tuple[object, ...]:
    """What the random stream decided about an inquiry, apart from the ids the database gave out."""
    return (
        inquiry.customer_id - first_customer,
        inquiry.category_id,
        inquiry.channel,
        inquiry.status,
        inquiry.priority,
        inquiry.title,
        inquiry.created_at,
        inquiry.first_responded_at,
        inquiry.resolved_at,
        inquiry.closed_at,
    )


async def test_the_same_seed_draws_the_same_history_on_top_of_what_is_there(
    app: FastAPI, session: AsyncSession
) -> None:
    now = utcnow()
    await generate(app, seed=14, now=now)
    first_run_customers = await count(session, Customer)
    await generate(app, seed=14, now=now, chunk=INQUIRIES)  # one chunk: drafting does not depend on chunking
    inquiries = await all_inquiries(session)
    assert len(inquiries) == 2 * INQUIRIES
    assert len({inquiry.number for inquiry in inquiries}) == 2 * INQUIRIES
    assert await count(session, Customer) == 2 * first_run_customers
    first, second = inquiries[:INQUIRIES], inquiries[INQUIRIES:]
    offset = min(inquiry.customer_id for inquiry in second) - min(inquiry.customer_id for inquiry in first)
    assert [drawn(inquiry, 0) for inquiry in first] == [drawn(inquiry, offset) for inquiry in second]


async def test_migration_0012_indexes_the_status_lists(app: FastAPI) -> None:
    def indexes(connection: Connection) -> set[str]:
        return {index["name"] or "" for index in inspect(connection).get_indexes("inquiries")}

    async with app.state.db_engine.connect() as connection:
        found = await connection.run_sync(indexes)
    assert found >= ADDED and not REPLACED & found


def test_the_command_generates_and_refuses_production_without_force(settings: Settings) -> None:
    runner = CliRunner()
    env = settings_environment(settings)
    result = runner.invoke(cli_app, ["demo", "generate", "--inquiries", "40", "--days", "10", "--seed", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert "완료" in result.output and "문의 40건" in result.output

    secret = {"GOGAEK_SECRET_KEY": "p" * 40, "GOGAEK_ADMIN_TOTP_REQUIRED": "true"}
    production = {**env, **secret, "GOGAEK_ENV": "production"}
    refused = runner.invoke(cli_app, ["demo", "generate", "--inquiries", "5"], env=production)
    assert refused.exit_code == 1 and "--force" in refused.output
    assert inquiry_count(settings) == 40


def inquiry_count(settings: Settings) -> int:
    import asyncio

    async def read() -> int:
        engine = create_engine(settings)
        try:
            async with engine.connect() as connection:
                return int(await connection.scalar(select(func.count()).select_from(Inquiry)) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(read())


async def test_self_service_and_phone_history_for_the_reports(app: FastAPI, session: AsyncSession) -> None:
    from gogaek.chat.models import Conversation
    from gogaek.phone.models import Callback, CallLog
    from gogaek.search.models import SearchQueryLog

    now = utcnow()
    report = await generate(app, seed=15, now=now)
    tables = {"chats": Conversation, "searches": SearchQueryLog, "callbacks": Callback, "calls": CallLog}
    assert {name: await count(session, model) for name, model in tables.items()} == report.activity
    assert report.activity["chats"] > INQUIRIES // 4 and report.activity["searches"] > INQUIRIES
    earliest = now - timedelta(days=DAYS + 1)
    for chat in (await session.scalars(select(Conversation))).all():
        assert chat.ended_at is not None and earliest <= chat.created_at <= chat.ended_at
        if chat.queued_at is not None:
            assert chat.agent_id is not None and chat.accepted_at is not None
            assert chat.created_at <= chat.queued_at <= chat.accepted_at
    outcomes: Counter[str] = Counter()
    for callback in (await session.scalars(select(Callback))).all():
        outcomes[callback.status] += 1
        assert callback.number and callback.created_at <= callback.due_at
        if callback.status == "booked":
            assert callback.finished_at is None
        else:
            assert callback.finished_at is not None and callback.due_at < now
    assert outcomes["completed"] > outcomes["missed"]
    for call in (await session.scalars(select(CallLog))).all():
        assert call.ended_at is not None and call.started_at <= call.ended_at
        assert call.answered_at is None or call.started_at <= call.answered_at <= call.ended_at
    searches = (await session.scalars(select(SearchQueryLog))).all()
    assert any(search.result_count == 0 for search in searches) and any(search.no_match for search in searches)
