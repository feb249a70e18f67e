"""Round-robin assignment: fairness, skills, teams, capacity, availability and idempotency.

Runs against the real database (SQLite and PostgreSQL) without the web app around it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.background import job_handlers
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import AgentSkill, Customer, StaffRole, StaffUser, Team, TeamCategory, TeamMember
from gogaek.inquiries.assignment import auto_assign
from gogaek.inquiries.models import Inquiry, InquiryEvent
from gogaek.inquiries.queue import QueueView, agent_queue
from gogaek.inquiries.schemas import InquiryCreate
from gogaek.inquiries.service import AUTO_ASSIGN_JOB, submit_inquiry
from gogaek.inquiries.storage import build_attachment_storage
from gogaek.inquiries.workflow import Status
from gogaek.jobs.handlers import build_handlers
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.worker import JobWorker


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings)
    factory = create_sessionmaker(engine)
    async with factory() as session:
        session.add_all(
            [
                Category(slug="payment", name="결제"),
                Category(slug="transfer", name="송금"),
                Customer(external_id="host-1", name="김고객"),
            ]
        )
        await session.commit()
    yield factory
    await engine.dispose()


async def category_id(session: AsyncSession, slug: str) -> int:
    found = await session.scalar(select(Category.id).where(Category.slug == slug))
    assert found is not None
    return found


async def add_agent(
    session: AsyncSession,
    name: str,
    *,
    skills: Sequence[str] = ("payment",),
    availability: str = "available",
    max_open: int | None = None,
    role: StaffRole = StaffRole.AGENT,
    active: bool = True,
) -> StaffUser:
    agent = StaffUser(
        email=f"{name}@example.com",
        display_name=name,
        password_hash="not-used-here",
        role=role.value,
        availability=availability,
        max_open_inquiries=max_open,
        is_active=active,
    )
    session.add(agent)
    await session.flush()
    session.add_all([AgentSkill(staff_id=agent.id, category_id=await category_id(session, slug)) for slug in skills])
    await session.commit()
    return agent


async def file(
    session: AsyncSession, settings: Settings, category: str = "payment", title: str = "결제 문의"
) -> Inquiry:
    customer = await session.scalar(select(Customer))
    assert customer is not None
    data = InquiryCreate(category=category, title=title, body="확인 부탁드립니다.")
    storage = build_attachment_storage(settings)
    return (await submit_inquiry(session, customer, data, settings=settings, storage=storage)).inquiry


async def assign_new(
    factory: async_sessionmaker[AsyncSession], settings: Settings, category: str = "payment", title: str = "결제 문의"
) -> StaffUser | None:
    async with factory() as session:
        inquiry = await file(session, settings, category, title)
    async with factory() as session:
        return await auto_assign(session, settings, inquiry.id)


async def test_round_robin_takes_turns_oldest_assignment_first(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session:
        agents = [await add_agent(session, name) for name in ("가", "나", "다")]
    picked = [await assign_new(sessions, settings) for _ in range(7)]
    names = [agent.display_name if agent else None for agent in picked]
    assert names == ["가", "나", "다", "가", "나", "다", "가"]
    async with sessions() as session:
        counts = Counter(
            (await session.scalars(select(Inquiry.assignee_id).where(Inquiry.assignee_id.is_not(None)))).all()
        )
        assert counts == {agents[0].id: 3, agents[1].id: 2, agents[2].id: 2}
        stamps = [await session.scalar(select(StaffUser.last_assigned_at).where(StaffUser.id == a.id)) for a in agents]
        assert stamps[1] is not None and stamps[2] is not None and stamps[1] < stamps[2]
        # an auto-assigned inquiry waits as "received" until the agent acts on it
        statuses = set((await session.scalars(select(Inquiry.status))).all())
        assert statuses == {Status.RECEIVED.value}


async def test_only_agents_with_the_category_as_a_skill(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session:
        await add_agent(session, "송금담당", skills=["transfer"])
        payer = await add_agent(session, "결제담당", skills=["payment"])
        await add_agent(session, "신입", skills=[])
    for _ in range(3):
        picked = await assign_new(sessions, settings, "payment")
        assert picked is not None and picked.id == payer.id
    transfer = await assign_new(sessions, settings, "transfer")
    assert transfer is not None and transfer.display_name == "송금담당"


async def test_nobody_fits_so_it_waits_in_the_unassigned_queue(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session:
        viewer = await add_agent(session, "송금담당", skills=["transfer"])
    assert await assign_new(sessions, settings, "payment", "아무도 없음") is None
    async with sessions() as session:
        rows = await agent_queue(session, viewer, QueueView.UNASSIGNED)
        assert [row.title for row in rows] == ["아무도 없음"]
        assert rows[0].assignee_id is None


async def test_team_routed_and_emergency_inquiries_go_to_team_members(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session:
        outsider = await add_agent(session, "결제담당", skills=["payment", "transfer"])
        member = await add_agent(session, "송금팀원", skills=[])
        guard = await add_agent(session, "보안팀원", skills=[])
        transfer_team = Team(slug="transfer-team", name="송금팀")
        security = Team(slug="security", name="보안팀", handles_emergencies=True)
        session.add_all([transfer_team, security])
        await session.flush()
        session.add_all(
            [
                TeamMember(team_id=transfer_team.id, staff_id=member.id),
                TeamMember(team_id=security.id, staff_id=guard.id),
                TeamCategory(team_id=transfer_team.id, category_id=await category_id(session, "transfer")),
            ]
        )
        await session.commit()
    routed = await assign_new(sessions, settings, "transfer", "송금이 안 돼요")
    assert routed is not None and routed.id == member.id
    emergency = await assign_new(sessions, settings, "payment", "보이스피싱 당했어요")
    assert emergency is not None and emergency.id == guard.id
    plain = await assign_new(sessions, settings, "payment", "영수증")
    assert plain is not None and plain.id == outsider.id


async def test_agents_at_capacity_are_skipped_until_work_is_finished(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session:
        small = await add_agent(session, "한건", max_open=1)
        default = await add_agent(session, "기본")
    tight = settings.model_copy(update={"agent_max_open_inquiries": 2})
    picked = [await assign_new(sessions, tight) for _ in range(4)]
    assert [p.id if p else None for p in picked] == [small.id, default.id, default.id, None]
    async with sessions() as session:
        first = await session.scalar(select(Inquiry).where(Inquiry.assignee_id == small.id))
        assert first is not None
        first.status = Status.RESOLVED.value  # finished work frees a slot
        await session.commit()
    again = await assign_new(sessions, tight)
    assert again is not None and again.id == small.id


@pytest.mark.parametrize(
    "unavailable",
    [
        {"availability": "away"},
        {"availability": "offline"},
        {"active": False},
        {"role": StaffRole.SUPERVISOR},
        {"role": StaffRole.ADMIN},
    ],
    ids=["away", "offline", "inactive", "supervisor", "admin"],
)
async def test_only_active_available_agents_take_new_work(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, unavailable: dict[str, object]
) -> None:
    async with sessions() as session:
        person = await add_agent(session, "대상", **unavailable)  # type: ignore[arg-type]
    assert await assign_new(sessions, settings) is None
    async with sessions() as session:
        row = await session.get(StaffUser, person.id)
        assert row is not None
        row.availability, row.is_active, row.role = "available", True, StaffRole.AGENT.value
        await session.commit()
    picked = await assign_new(sessions, settings)
    assert picked is not None and picked.id == person.id


async def test_auto_assign_is_idempotent(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    async with sessions() as session:
        first_agent = await add_agent(session, "가")
        await add_agent(session, "나")
        inquiry = await file(session, settings)
    async with sessions() as session:
        assert (await auto_assign(session, settings, inquiry.id)) is not None
    async with sessions() as session:
        assert await auto_assign(session, settings, inquiry.id) is None  # the job ran twice
        assert await auto_assign(session, settings, 999999) is None  # the inquiry is gone
        stored = await session.get(Inquiry, inquiry.id)
        assert stored is not None and stored.assignee_id == first_agent.id
        assigned_events = await session.scalar(
            select(func.count())
            .select_from(InquiryEvent)
            .where(InquiryEvent.inquiry_id == inquiry.id, InquiryEvent.kind == "assigned")
        )
        assert assigned_events == 1
        closed = await file(session, settings, title="종료된 문의")
        closed.status = Status.CLOSED.value
        await session.commit()
    async with sessions() as session:
        assert await auto_assign(session, settings, closed.id) is None


def job_worker(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> JobWorker:
    return JobWorker(sessions, settings, build_handlers(job_handlers()), "assignment-test")


async def test_the_job_a_submission_enqueues_assigns_the_inquiry(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session:
        agent = await add_agent(session, "가")
        inquiry = await file(session, settings)
    assert await job_worker(sessions, settings).run_once() == 2  # with the "created" event
    async with sessions() as session:
        stored = await session.get(Inquiry, inquiry.id)
        assert stored is not None and stored.assignee_id == agent.id
        [job] = (await session.scalars(select(Job).where(Job.kind == AUTO_ASSIGN_JOB))).all()
        assert (job.status, job.attempts, job.locked_by) == (JobStatus.DONE.value, 1, None)


async def test_jobs_assigned_together_still_take_turns_and_skip_the_ones_already_taken(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """One poll assigns a batch in one transaction: round-robin order, capacity and the
    already-assigned check hold inside it as they do job by job."""
    async with sessions() as session:
        first = await add_agent(session, "가", max_open=2)
        second = await add_agent(session, "나", max_open=2)
        inquiries = [await file(session, settings, title=f"문의 {n}") for n in range(5)]
        inquiries[0].assignee_id = second.id  # taken by hand before the job ran
        await session.commit()
    assert await job_worker(sessions, settings).run_once() == 10  # with the five "created" events
    async with sessions() as session:
        owners = {
            inquiry.id: (await session.get(Inquiry, inquiry.id)).assignee_id  # type: ignore[union-attr]
            for inquiry in inquiries
        }
        jobs = (await session.scalars(select(Job).where(Job.kind == AUTO_ASSIGN_JOB))).all()
    assert owners[inquiries[0].id] == second.id
    assert Counter(owners.values()) == Counter({first.id: 2, second.id: 2, None: 1})  # capacity 2 each
    assert [owners[inquiry.id] for inquiry in inquiries[1:3]] == [first.id, second.id]  # turns, not one agent
    assert {job.status for job in jobs} == {JobStatus.DONE.value}


async def test_a_bad_job_in_a_batch_fails_alone(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """A batch rolls back as a whole when one job raises; each then runs alone, so the good ones
    are done and only the bad one is parked, with nothing half written."""
    async with sessions() as session:
        agent = await add_agent(session, "가")
        good = await file(session, settings)
        session.add(Job(kind=AUTO_ASSIGN_JOB, payload={"inquiry_id": "not-a-number"}, run_at=utcnow()))
        await session.commit()
    assert await job_worker(sessions, settings).run_once() == 3  # with the "created" event
    async with sessions() as session:
        stored = await session.get(Inquiry, good.id)
        assert stored is not None and stored.assignee_id == agent.id
        jobs = {
            job.payload["inquiry_id"]: job
            for job in await session.scalars(select(Job).where(Job.kind == AUTO_ASSIGN_JOB))
        }
        assigned = await session.scalar(
            select(func.count()).select_from(InquiryEvent).where(InquiryEvent.kind == "assigned")
        )
    assert jobs[good.id].status == JobStatus.DONE.value
    assert jobs["not-a-number"].status == JobStatus.PARKED.value
    assert "inquiry_id" in (jobs["not-a-number"].last_error or "")
    assert assigned == 1  # the batch's rolled-back attempt left no second timeline entry


async def test_waiting_inquiries_are_assigned_when_an_agent_comes_back(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """The periodic sweep gives unassigned inquiries another round once someone is available."""
    from gogaek.background import periodic_tasks

    async with sessions() as session:
        agent = await add_agent(session, "away", availability="away")
        agent_id, inquiry_id = agent.id, (await file(session, settings)).id
        assert await auto_assign(session, settings, inquiry_id) is None
        await session.execute(update(StaffUser).where(StaffUser.id == agent_id).values(availability="available"))
        await session.commit()
    sweep = next(task for task in periodic_tasks(Settings()) if task.name == "inquiry-assign-waiting")
    assert await sweep.run(sessions, settings, utcnow()) == 1
    async with sessions() as session:
        assert await session.scalar(select(Inquiry.assignee_id).where(Inquiry.id == inquiry_id)) == agent_id
