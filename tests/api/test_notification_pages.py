"""In-app notifications on the pages: shown above 문의 내역 and the console queue until opened."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffUser
from gogaek.inquiries.agent_verbs import reply_as_agent
from gogaek.inquiries.assignment import assign_inquiry
from gogaek.inquiries.models import Inquiry
from gogaek.web.i18n import COOKIE
from tests.api.test_agent_auth import file_inquiry, make_customer, make_staff
from tests.api.test_console_pages import signed_in as agent_signed_in
from tests.api.test_inquiry_pages import signed_in as customer_signed_in
from tests.api.test_pages import browser

__all__ = ["browser"]  # the page-browser fixture from test_pages.py


async def test_customer_sees_the_answer_notice_until_opening_the_inquiry(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    session.add(Category(slug="payment", name="결제"))
    await session.commit()
    customer = await make_customer(session)
    agent = await make_staff(session, "agent@example.com")
    inquiry = await file_inquiry(session, settings, customer)
    await reply_as_agent(session, agent, inquiry, "확인했습니다.", internal=False, settings=settings)
    await app.state.jobs.worker.run_once()  # the event fan-out
    async with customer_signed_in(app, settings, customer.external_id) as browser:
        listing = (await browser.get("/inquiries")).text
        assert "답변이 등록되었습니다" in listing and f'href="/inquiries/{inquiry.id}"' in listing
        assert (await browser.get(f"/inquiries/{inquiry.id}")).status_code == 200
        assert "답변이 등록되었습니다" not in (await browser.get("/inquiries")).text


@dataclass
class Desk:
    lead: StaffUser
    agent: StaffUser


@pytest.fixture
async def desk(session: AsyncSession) -> Desk:
    """A category, a lead who assigns and an agent who is assigned."""
    session.add(Category(slug="payment", name="결제"))
    await session.commit()
    return Desk(await make_staff(session, "lead@example.com"), await make_staff(session, "agent@example.com"))


async def assigned(app: FastAPI, session: AsyncSession, settings: Settings, desk: Desk, customer: str) -> Inquiry:
    """A new inquiry of ``customer`` assigned to the agent, its notice written by the job worker."""
    inquiry = await file_inquiry(session, settings, await make_customer(session, customer))
    await assign_inquiry(session, desk.lead, inquiry, desk.agent.id, settings)
    await app.state.jobs.worker.run_once()
    return inquiry


async def test_agent_sees_the_assignment_notice_in_the_console(
    app: FastAPI, session: AsyncSession, settings: Settings, browser: httpx.AsyncClient, desk: Desk
) -> None:
    inquiry = await assigned(app, session, settings, desk, "host-1")
    await agent_signed_in(browser, "agent@example.com")
    queue = (await browser.get("/console")).text
    assert "새 문의가 배정되었습니다" in queue and f'href="/console/inquiries/{inquiry.id}"' in queue
    assert (await browser.get(f"/console/inquiries/{inquiry.id}")).status_code == 200
    assert "새 문의가 배정되었습니다" not in (await browser.get("/console")).text


async def test_an_agent_who_reads_english_gets_the_assignment_notice_in_english(
    app: FastAPI, session: AsyncSession, settings: Settings, browser: httpx.AsyncClient, desk: Desk
) -> None:
    """The language switch of a signed-in agent is kept for what the job worker writes to them later."""
    await agent_signed_in(browser, "agent@example.com")
    assert (await browser.get("/language/en", params={"next": "/console"})).status_code == 303
    await assigned(app, session, settings, desk, "host-1")
    queue = (await browser.get("/console")).text
    assert "New inquiry assigned to you (inquiry " in queue and "새 문의가 배정되었습니다" not in queue

    assert (await browser.get("/language/ko", params={"next": "/console"})).status_code == 303
    second = await assigned(app, session, settings, desk, "host-2")
    assert f"새 문의가 배정되었습니다 (문의번호 {second.number})" in (await browser.get("/console")).text


async def test_signing_in_on_an_english_page_keeps_english_for_notices(
    session: AsyncSession, browser: httpx.AsyncClient
) -> None:
    await make_staff(session, "agent@example.com")
    browser.cookies.set(COOKIE, "en")
    await agent_signed_in(browser, "agent@example.com")
    stored = await session.scalar(
        select(StaffUser.locale).where(StaffUser.email == "agent@example.com").execution_options(populate_existing=True)
    )
    assert stored == "en"
