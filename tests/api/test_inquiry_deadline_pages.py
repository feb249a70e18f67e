"""문의 내역 and the console name the same deadline the same way (issue 15, rough edges): the first
answer's until it was given, then the resolution's, in Korean time; and the date an inquiry was
filed is not written "접수 … 접수" next to the 접수 badge."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.pages import due_text
from gogaek.inquiries.workflow import Status
from gogaek.web.templating import korean_datetime
from tests.api.test_agent_auth import PASSWORD, file_inquiry, make_customer, make_staff
from tests.api.test_pages import HTML, post_form


@pytest.fixture
async def inquiry(session: AsyncSession, settings: Settings) -> Inquiry:
    session.add(Category(slug="payment", name="결제"))
    await session.commit()
    await make_staff(session, "agent@example.com", name="상담사 한결")
    return await file_inquiry(session, settings, await make_customer(session, "deadline-customer"))


@pytest.fixture
async def customer(app: FastAPI, settings: Settings, inquiry: Inquiry) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as client:
        token = issue_customer_token(settings, sub="deadline-customer")
        assert (await client.get("/auth/customer", params={"token": token})).status_code == 303
        yield client


@pytest.fixture
async def agent(app: FastAPI, inquiry: Inquiry) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as client:
        data = {"email": "agent@example.com", "password": PASSWORD, "totp": "", "next": "/console"}
        response = await post_form(client, "/admin/login?next=/console", "/admin/login", data)
        assert response.status_code == 303, response.text
        yield client


def _text(response: httpx.Response) -> str:
    """What a reader sees: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


async def _pages(customer: httpx.AsyncClient, agent: httpx.AsyncClient, inquiry: Inquiry) -> tuple[str, str, str]:
    listing = _text(await customer.get("/inquiries"))
    detail = _text(await customer.get(f"/inquiries/{inquiry.id}"))
    queue = _text(await agent.get("/console", params={"view": "all"}))
    return listing, detail, queue


async def test_filed_date_is_not_written_twice_as_received(customer: httpx.AsyncClient, inquiry: Inquiry) -> None:
    filed = korean_datetime(inquiry.created_at)
    for page in ("/inquiries", f"/inquiries/{inquiry.id}"):
        text = (await customer.get(page)).text
        assert ">접수<" in text  # the status badge
        assert f"문의일 {filed}" in text
        assert f"{filed} 접수" not in text


async def test_customer_and_console_show_the_same_named_deadline(
    customer: httpx.AsyncClient, agent: httpx.AsyncClient, inquiry: Inquiry, session: AsyncSession
) -> None:
    assert inquiry.first_response_due_at is not None and inquiry.resolution_due_at is not None
    first, resolution = inquiry.first_response_due_at, inquiry.resolution_due_at
    assert first != resolution
    # Taken up but not answered yet: the first answer is still the promise on both sides.
    inquiry.status = Status.IN_PROGRESS.value
    await session.commit()
    listing, detail, queue = await _pages(customer, agent, inquiry)
    assert f"첫 답변 예정 {due_text(first)} (한국 시간)" in listing
    assert f"첫 답변 예정: {due_text(first)} (한국 시간)" in detail
    assert f"첫 답변 {korean_datetime(first)}" in queue and "(KST)" in queue
    assert due_text(resolution) not in detail and "처리 예정" not in detail
    # After the first answer (and the customer writing again) the resolution is the promise.
    inquiry.first_responded_at = utcnow()
    await session.commit()
    listing, detail, queue = await _pages(customer, agent, inquiry)
    assert f"해결 예정 {due_text(resolution)} (한국 시간)" in listing
    assert f"해결 예정: {due_text(resolution)} (한국 시간)" in detail
    assert f"해결 {korean_datetime(resolution)}" in queue
