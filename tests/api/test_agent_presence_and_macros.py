"""Presence ("someone else has this open"), macro placeholders and tag cleaning, without the web app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.errors import ProblemError
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser
from gogaek.inquiries.macros import render_macro
from gogaek.inquiries.models import Inquiry, InquiryViewer
from gogaek.inquiries.presence import mark_viewing
from gogaek.inquiries.triage import clean_tags


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def seed(factory: async_sessionmaker[AsyncSession]) -> tuple[int, list[StaffUser]]:
    async with factory() as session:
        category = Category(slug="payment", name="결제")
        customer = Customer(external_id="host-1")
        staff = [
            StaffUser(email=f"{name}@example.com", display_name=name, password_hash="x") for name in ("가", "나", "다")
        ]
        session.add_all([category, customer, *staff])
        await session.flush()
        inquiry = Inquiry(customer_id=customer.id, category_id=category.id, title="문의", body="내용")
        session.add(inquiry)
        await session.commit()
        return inquiry.id, staff


async def test_viewers_are_the_others_seen_in_the_last_two_minutes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inquiry_id, (ga, na, da) = await seed(sessions)
    start = utcnow()
    async with sessions() as session:
        assert await mark_viewing(session, inquiry_id, ga, now=start) == []
        others = await mark_viewing(session, inquiry_id, na, now=start + timedelta(seconds=40))
        assert [user.id for user in others] == [ga.id]
        # 가 looked 2.5 minutes ago: no longer counted; 나 (110 s ago) still is
        later = start + timedelta(minutes=2, seconds=30)
        assert [user.id for user in await mark_viewing(session, inquiry_id, da, now=later)] == [na.id]
        # looking again refreshes the same row instead of adding one
        assert [user.id for user in await mark_viewing(session, inquiry_id, ga, now=later)] == [da.id, na.id]
        rows = await session.scalar(select(func.count()).select_from(InquiryViewer))
        assert rows == 3
        deactivated = await session.get(StaffUser, da.id)
        assert deactivated is not None
        deactivated.is_active = False
        await session.commit()
        assert [user.id for user in await mark_viewing(session, inquiry_id, ga, now=later)] == [na.id]


async def test_two_tabs_marking_at_once_do_not_collide(sessions: async_sessionmaker[AsyncSession]) -> None:
    inquiry_id, (ga, _, _) = await seed(sessions)
    now = utcnow()

    async def open_tab() -> list[StaffUser]:
        async with sessions() as session:
            return await mark_viewing(session, inquiry_id, ga, now=now)

    assert await asyncio.gather(*(open_tab() for _ in range(5))) == [[]] * 5
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InquiryViewer)) == 1


@pytest.mark.parametrize(
    ("body", "name", "expected"),
    [
        (
            "{고객명}님, {문의번호} 건은 {상담사명}이 맡았어요.",
            "김고객",
            "김고객님, 20260923-000001 건은 민지이 맡았어요.",
        ),
        ("{고객명}님 안녕하세요", None, "고객님 안녕하세요"),
        ("{고객명}님 안녕하세요", "   ", "고객님 안녕하세요"),
        ("{이름} {고객명 } {{고객명}}", "김", "{이름} {고객명 } {김}"),
        ("{고객명}", "{문의번호}", "{문의번호}"),  # a value is never expanded again
        ("자리표시자 없음", "김", "자리표시자 없음"),
    ],
)
def test_render_macro(body: str, name: str | None, expected: str) -> None:
    assert render_macro(body, customer_name=name, number="20260923-000001", agent_name="민지") == expected


def test_clean_tags() -> None:
    assert clean_tags([" 환불 ", "환불", "", "  ", "카드\t취소", "카드 취소"]) == ["환불", "카드 취소"]
    assert clean_tags(["가" * 30] + [str(n) for n in range(9)]) == ["가" * 30] + [str(n) for n in range(9)]
    with pytest.raises(ProblemError) as too_long:
        clean_tags(["가" * 31])
    assert too_long.value.code == "invalid_tags" and too_long.value.status == 422
    with pytest.raises(ProblemError):
        clean_tags([str(n) for n in range(11)])
    assert clean_tags([str(n % 10) for n in range(30)]) == [str(n) for n in range(10)]  # counted after dedupe
