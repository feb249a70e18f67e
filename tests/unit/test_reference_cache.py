"""The per-process copy of categories, routing, SLA policies and days off (``reference_cache``).

Runs on both databases with two engines, as two parts of one process (or the app and an admin
CLI) would: a commit through either clears the copy; a change not yet committed is read from
the database by its own session only; other writers are seen after the time-to-live.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek import reference_cache
from gogaek.calendar.models import CompanyDayOff
from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Team, TeamCategory
from gogaek.inquiries.models import SlaPolicy
from gogaek.inquiries.service import _route_team, find_category
from gogaek.inquiries.sla import targets_for

NEW_YEAR_EVE = date(2026, 12, 31)


@pytest.fixture
async def two_makers(settings: Settings) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], list[str]]]:
    """The app's engine, whose statements are recorded, and a second engine for "elsewhere"."""
    reference_cache.clear_reference_copies()
    app_engine, other_engine = create_engine(settings), create_engine(settings)
    statements: list[str] = []
    event.listen(
        app_engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement),
    )
    async with create_sessionmaker(other_engine)() as session:
        category = Category(slug="payment", name="결제")
        session.add(category)
        await session.flush()
        team = Team(slug="pay", name="결제팀")
        session.add(team)
        await session.flush()
        session.add(TeamCategory(team_id=team.id, category_id=category.id))
        await session.commit()
    yield create_sessionmaker(app_engine), statements
    await app_engine.dispose()
    await other_engine.dispose()


def selects(statements: list[str]) -> int:
    return sum(statement.lstrip().upper().startswith("SELECT") for statement in statements)


async def test_a_second_request_reads_nothing(two_makers: tuple[async_sessionmaker[AsyncSession], list[str]]) -> None:
    maker, statements = two_makers
    for _ in range(2):
        async with maker() as session:
            statements.clear()
            category = await find_category(session, "결제")
            await _route_team(session, category.id, emergency=False)
            await targets_for(session, category.id, "normal")
            await load_business_hours(session)
    assert selects(statements) == 0
    assert category.slug == "payment"  # usable after its session closed


async def test_a_commit_through_another_engine_is_seen_at_once(
    settings: Settings, two_makers: tuple[async_sessionmaker[AsyncSession], list[str]]
) -> None:
    maker, _ = two_makers
    async with maker() as session:
        category = await find_category(session, "payment")
        assert (await targets_for(session, category.id, "normal")).first_response.total_seconds() == 9 * 3600
        assert NEW_YEAR_EVE not in (await load_business_hours(session)).days_off
    other = create_engine(settings)
    async with create_sessionmaker(other)() as session:
        session.add(SlaPolicy(category_id=category.id, priority=None, first_response_hours=2, resolution_hours=4))
        session.add(CompanyDayOff(day=NEW_YEAR_EVE, name="종무식"))
        await session.commit()
        await session.execute(delete(TeamCategory))  # an ORM-enabled statement, not objects
        await session.commit()
    await other.dispose()
    async with maker() as session:
        assert (await targets_for(session, category.id, "normal")).first_response.total_seconds() == 2 * 3600
        assert NEW_YEAR_EVE in (await load_business_hours(session)).days_off
        assert await _route_team(session, category.id, emergency=False) is None


async def test_an_uncommitted_change_is_read_by_its_session_and_never_kept(
    two_makers: tuple[async_sessionmaker[AsyncSession], list[str]],
) -> None:
    maker, _ = two_makers
    async with maker() as session:
        session.add(CompanyDayOff(day=NEW_YEAR_EVE, name="종무식"))
        await session.flush()
        assert NEW_YEAR_EVE in (await load_business_hours(session)).days_off
        await session.rollback()
    async with maker() as session:
        assert NEW_YEAR_EVE not in (await load_business_hours(session)).days_off


async def test_a_change_made_outside_the_orm_is_seen_after_the_time_to_live(
    monkeypatch: pytest.MonkeyPatch, two_makers: tuple[async_sessionmaker[AsyncSession], list[str]]
) -> None:
    maker, _ = two_makers
    async with maker() as session:
        assert NEW_YEAR_EVE not in (await load_business_hours(session)).days_off
        await session.execute(
            text("INSERT INTO company_days_off (day, name, created_at) VALUES (:day, '종무식', CURRENT_TIMESTAMP)"),
            {"day": NEW_YEAR_EVE},
        )
        await session.commit()
    async with maker() as session:  # another process's commit: this one cannot know yet
        assert NEW_YEAR_EVE not in (await load_business_hours(session)).days_off
    monkeypatch.setattr(reference_cache, "REFERENCE_TTL_SECONDS", 0.0)
    async with maker() as session:
        assert NEW_YEAR_EVE in (await load_business_hours(session)).days_off


async def test_a_value_read_while_a_clear_happened_is_not_kept(
    settings: Settings, two_makers: tuple[async_sessionmaker[AsyncSession], list[str]]
) -> None:
    maker, _ = two_makers

    async def read_then_commit_elsewhere() -> str:
        other = create_engine(settings)
        async with create_sessionmaker(other)() as session:
            session.add(Category(slug="transfer", name="송금"))
            await session.commit()
        await other.dispose()
        return "read before the commit"

    async with maker() as session:
        assert await reference_cache.cached(session, "probe", read_then_commit_elsewhere) == "read before the commit"
        assert await reference_cache.cached(session, "probe", lambda: _value("fresh")) == "fresh"


async def _value(value: str) -> str:
    return value
