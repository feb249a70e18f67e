"""``gogaek demo generate``: months of realistic inquiry history, written in bulk.

For trying the console with a full queue, for reports, and for measuring reads at scale
(benchmarks/read_scaling.py). Rows are written straight into the tables in chunks, inside one
transaction (an interrupted run leaves nothing behind), through Core and COPY rather than the
service verbs: the service would enqueue jobs and emit events per inquiry, and generated
history must not notify anyone, call webhooks or auto-assign. See docs/demo-data.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.db import create_sessionmaker, utcnow
from gogaek.demo import load_demo_categories
from gogaek.demo.generate_activity import write_activity
from gogaek.demo.generate_inquiries import Generated, InquiryBuilder, Setting, created_times
from gogaek.demo.generate_people import Staff, customer_count, demo_staff, owners, write_customers
from gogaek.demo.generate_write import BulkWriter
from gogaek.helpcenter.models import Category
from gogaek.inquiries.models import Inquiry, InquiryEvent, InquiryFeedback, InquiryMessage, Priority
from gogaek.inquiries.sla import targets_for

CHUNK = 5_000
GENERATED_TABLES = ("customers", "inquiries", "inquiry_messages", "inquiry_events", "inquiry_feedback")
# Self-service and phone history for the reports (generate_activity.py).
ACTIVITY_TABLES = ("chat_conversations", "search_queries", "article_votes", "callbacks", "call_logs")


@dataclass(frozen=True, slots=True)
class GeneratePlan:
    inquiries: int = 1_000
    days: int = 90
    seed: int | None = None
    chunk: int = CHUNK

    def __post_init__(self) -> None:
        if self.inquiries < 0 or self.days < 1 or self.chunk < 1:
            raise ValueError("inquiries ≥ 0, days ≥ 1 and chunk ≥ 1")


@dataclass(frozen=True, slots=True)
class GenerateReport:
    inquiries: int
    customers: int
    messages: int
    events: int
    feedback: int
    statuses: dict[str, int]
    created_agents: tuple[tuple[str, str], ...]  # (email, password) of demo agents made by this run
    seconds: float
    activity: dict[str, int] = field(default_factory=dict)  # chats, searches, votes, callbacks, calls


Progress = Callable[[int, int, float], None]  # inquiries written, planned, seconds so far


async def generate_history(
    engine: AsyncEngine,
    settings: Settings,
    plan: GeneratePlan,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> GenerateReport:
    """Customers and their inquiries over the last ``plan.days`` days, on top of what is there."""
    started = time.perf_counter()
    async with create_sessionmaker(engine)() as session:
        setting = await _setting(session, settings, now or utcnow(), plan.days)
    rng = random.Random(plan.seed)
    counts: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    async with engine.begin() as connection:
        writer = BulkWriter(connection)
        customers = await write_customers(
            writer, rng, customer_count(plan.inquiries), setting.now, plan.days, plan.chunk
        )
        filers = owners(rng, customers, plan.inquiries)
        times = created_times(rng, setting, plan.inquiries)
        ids = await writer.reserve_ids(Inquiry, plan.inquiries)
        builder = InquiryBuilder(rng, setting)

        def draw(start: int) -> list[Generated]:
            end = start + plan.chunk
            columns = zip(ids[start:end], filers[start:end], times[start:end], strict=True)
            return [builder.build(inquiry_id, customer, created) for inquiry_id, customer, created in columns]

        # Drafting the next chunk (a thread) overlaps writing the last one (the database's cores).
        writing: asyncio.Task[None] | None = None
        try:
            for start in range(0, plan.inquiries, plan.chunk):
                chunk = await asyncio.to_thread(draw, start)
                if writing is not None:
                    await writing
                    _report_progress(progress, start, plan, started)
                writing = asyncio.create_task(_write_chunk(writer, chunk, counts))
                statuses.update(generated.inquiry["status"] for generated in chunk)
            if writing is not None:
                await writing
                _report_progress(progress, plan.inquiries, plan, started)
        except BaseException:
            if writing is not None and not writing.done():
                writing.cancel()
                with contextlib.suppress(BaseException):
                    await writing
            raise
        activity_rng = random.Random(None if plan.seed is None else f"activity-{plan.seed}")
        activity = await write_activity(writer, activity_rng, setting, plan.inquiries, customers)
    if engine.dialect.name == "postgresql":
        # What autovacuum does within minutes of a bulk insert, done now so the next reads are planned
        # on real statistics and the visibility map lets list pages be index-only scans.
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(f"VACUUM (ANALYZE) {', '.join(GENERATED_TABLES + ACTIVITY_TABLES)}"))
    return GenerateReport(
        inquiries=plan.inquiries,
        customers=len(customers),
        messages=counts["messages"],
        events=counts["events"],
        feedback=counts["feedback"],
        statuses=dict(statuses),
        created_agents=setting.staff.created,
        seconds=time.perf_counter() - started,
        activity=activity,
    )


def _report_progress(progress: Progress | None, done: int, plan: GeneratePlan, started: float) -> None:
    if progress is not None:
        progress(done, plan.inquiries, time.perf_counter() - started)


async def _setting(session: AsyncSession, settings: Settings, now: datetime, days: int) -> Setting:
    """Categories (the demo ones when there are none), staff, SLA policies and business hours."""
    if not await session.scalar(select(func.count()).select_from(Category)):
        await load_demo_categories(session)
    rows = await session.execute(select(Category.id, Category.slug).order_by(Category.id))
    categories = tuple((category_id, slug) for category_id, slug in rows)
    staff: Staff = await demo_staff(session)
    targets = {
        (category_id, priority.value): await targets_for(session, category_id, priority.value)
        for category_id, _ in categories
        for priority in Priority
    }
    return Setting(
        now=now,
        days=days,
        categories=categories,
        staff=staff,
        targets=targets,
        hours=await load_business_hours(session),
        settings=settings,
    )


async def _write_chunk(writer: BulkWriter, chunk: list[Generated], counts: Counter[str]) -> None:
    """The inquiries first (their rows are referenced), then their thread, timeline and ratings."""
    await writer.write(Inquiry, [generated.inquiry for generated in chunk])
    messages = [row for generated in chunk for row in generated.messages]
    events = [row for generated in chunk for row in generated.events]
    feedback = [generated.feedback for generated in chunk if generated.feedback is not None]
    for model, rows, name in (
        (InquiryMessage, messages, "messages"),
        (InquiryEvent, events, "events"),
        (InquiryFeedback, feedback, "feedback"),
    ):
        for row, row_id in zip(rows, await writer.reserve_ids(model, len(rows)), strict=True):
            row["id"] = row_id
        await writer.write(model, rows)
        counts[name] += len(rows)
