"""The appeal pages as a browser without JavaScript uses them: the guided form, 문의 내역, the console
decision form, and the links from search and the restrictions category."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.models import RestrictionAppeal
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry
from tests.api.test_agent_auth import PASSWORD, make_staff
from tests.api.test_customer_auth import last_code, request_code, submit_code
from tests.api.test_pages import HTML, csrf_of, post_form
from tests.appeals.conftest import DESCRIPTION, Files, days_ago, host_headers, png_bytes

IDEMPOTENCY = re.compile(r'name="idempotency_key" value="([^"]+)"')
NO_FILE: Files = [("attachments", ("", b"", "application/octet-stream"))]


def an_image() -> Files:
    return [("attachments", ("캡처.png", png_bytes(), "image/png"))]


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as http:
        yield http


async def sign_in_customer(browser: httpx.AsyncClient, settings: Settings, *, verified_ago: int | None = 30) -> None:
    token = host_headers(settings, verified_ago=verified_ago)["Authorization"].removeprefix("Bearer ")
    response = await browser.get("/auth/customer", params={"token": token, "next": "/appeal"})
    assert (response.status_code, response.headers["location"]) == (303, "/appeal")


async def post_appeal(browser: httpx.AsyncClient, files: Files | None = None, **fields: str) -> httpx.Response:
    page = (await browser.get("/appeal")).text
    key = IDEMPOTENCY.search(page)
    data: dict[str, Any] = {"csrf_token": csrf_of(page), "description": DESCRIPTION, "restricted_on": days_ago(2)}
    if key:
        data["idempotency_key"] = key.group(1)
    return await browser.post("/appeal", data={**data, **fields}, files=files or an_image())


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_signed_out_visitors_sign_in_first(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/appeal")
    assert (response.status_code, response.headers["location"]) == (303, "/auth/login?next=%2Fappeal")


async def test_without_an_identity_check_the_page_sends_them_to_verify(
    browser: httpx.AsyncClient, settings: Settings, restrictions: Category
) -> None:
    await sign_in_customer(browser, settings, verified_ago=None)
    page = await browser.get("/appeal")
    assert page.status_code == 200
    assert 'id="verify-first"' in page.text and 'href="/verify/phone?next=%2Fappeal"' in page.text
    assert 'id="appeal-form"' not in page.text


@pytest.mark.usefixtures("restrictions")
async def test_a_web_visitor_proves_their_phone_and_comes_back_to_the_form(
    app: FastAPI, browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Signed in by an e-mail code, which proves no phone: the phone code check of the phone pages."""
    await request_code(browser, "visitor@example.com")
    await submit_code(browser, last_code(app, "visitor@example.com"))
    first = (await browser.get("/appeal")).text
    link = re.search(r'id="verify-link" class="[^"]*" href="([^"]+)"', first)
    assert link, first
    check = await browser.get(html.unescape(link.group(1)))
    sent = await browser.post(
        "/verify/phone", data={"csrf_token": csrf_of(check.text), "phone": "010-9999-0000", "next": "/appeal"}
    )
    code_page = await browser.get(sent.headers["location"])
    code = last_code(app, "01099990000")
    confirmed = await browser.post(
        "/verify/phone/confirm", data={"csrf_token": csrf_of(code_page.text), "code": code, "next": "/appeal"}
    )
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, "/appeal")
    assert (await post_appeal(browser)).status_code == 303
    appeal = await session.scalar(select(RestrictionAppeal))
    assert appeal is not None and appeal.verified_by == "sms_code"


@pytest.mark.usefixtures("restrictions")
async def test_verified_customer_files_and_sees_it_in_their_inquiries(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    await sign_in_customer(browser, settings)
    form = await browser.get("/appeal")
    assert 'id="verified-until"' in form.text and 'id="appeal-form"' in form.text
    assert f'max="{days_ago(0)}"' in form.text  # the date picker stops at today
    response = await post_appeal(browser, restriction_ref="RS-9")
    assert response.status_code == 303, response.text
    appeal = await session.scalar(select(RestrictionAppeal))
    assert appeal is not None and appeal.restriction_ref == "RS-9" and appeal.verified_by == "host_token"
    assert response.headers["location"] == f"/inquiries/{appeal.inquiry_id}"

    detail = html.unescape((await browser.get(response.headers["location"])).text)
    assert "이용 제한 해명이 접수되었습니다" in detail
    assert 'id="appeal-status" data-outcome="pending"' in detail and "검토 중" in detail
    assert 'class="attachment-thumb"' in detail
    listing = (await browser.get("/inquiries")).text
    assert 'data-appeal-label="검토 중"' in listing


@pytest.mark.usefixtures("restrictions")
async def test_refusals_keep_what_was_typed(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    await sign_in_customer(browser, settings)
    no_file = await post_appeal(browser, NO_FILE, description="제 설명입니다")
    assert no_file.status_code == 422
    assert 'id="attachments-error"' in no_file.text and "증빙 자료를 하나 이상" in no_file.text
    assert "제 설명입니다</textarea>" in no_file.text
    future = await post_appeal(browser, restricted_on=days_ago(-2))
    assert future.status_code == 422 and 'id="restricted_on-error"' in future.text
    blank = await post_appeal(browser, description="  ")
    assert blank.status_code == 422 and 'id="description-error"' in blank.text
    disguised = await post_appeal(browser, [("attachments", ("a.png", b"MZ" + b"\x00" * 100, "image/png"))])
    assert disguised.status_code == 422 and 'id="attachments-error"' in disguised.text
    assert "a.png" in disguised.text
    no_token = await browser.post("/appeal", data={"description": DESCRIPTION}, files=an_image())
    assert no_token.status_code == 403
    assert await count(session, Inquiry) == 0


@pytest.mark.usefixtures("restrictions")
async def test_an_identity_check_that_expired_while_writing_is_asked_again(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    await sign_in_customer(browser, settings)
    page = (await browser.get("/appeal")).text
    await session.execute(update(Customer).values(verified_at=utcnow() - timedelta(hours=1)))
    await session.commit()
    data = {"csrf_token": csrf_of(page), "description": "길게 쓴 해명", "restricted_on": days_ago(1)}
    response = await browser.post("/appeal", data=data, files=an_image())
    assert response.status_code == 403
    text = html.unescape(response.text)
    assert 'id="verify-error"' in text and "길게 쓴 해명</textarea>" in text
    assert 'target="_blank"' in text  # the check opens beside the form, which keeps the text
    assert await count(session, Inquiry) == 0


@pytest.mark.usefixtures("restrictions")
async def test_an_appeal_in_review_is_shown_instead_of_a_second_form(
    browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    await sign_in_customer(browser, settings)
    token = csrf_of((await browser.get("/appeal")).text)
    first = await post_appeal(browser)
    assert first.status_code == 303
    page = (await browser.get("/appeal")).text
    assert 'id="appeal-in-review"' in page and f'href="{first.headers["location"]}"' in page
    assert 'id="appeal-form"' not in page
    data = {"csrf_token": token, "description": "다시", "restricted_on": days_ago(1)}
    second = await browser.post("/appeal", data=data, files=an_image())  # a form left open in another tab
    assert second.status_code == 409 and 'id="appeal-in-review"' in second.text
    assert await count(session, RestrictionAppeal) == 1


@pytest.mark.usefixtures("restrictions")
async def test_agent_decides_in_the_console_and_the_customer_sees_it(
    app: FastAPI, browser: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    await sign_in_customer(browser, settings)
    inquiry_url = (await post_appeal(browser)).headers["location"]
    inquiry_id = int(inquiry_url.rsplit("/", 1)[1])
    await make_staff(session, "reviewer@example.com", name="심사관")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as desk:
        sign_in = {"email": "reviewer@example.com", "password": PASSWORD, "totp": "", "next": "/console"}
        signed = await post_form(desk, "/admin/login?next=/console", "/admin/login", sign_in)
        assert signed.status_code == 303, signed.text
        page_url, action = f"/console/inquiries/{inquiry_id}", f"/console/inquiries/{inquiry_id}/appeal"
        page = (await desk.get(page_url)).text
        assert 'id="appeal-panel"' in page and 'id="appeal-decision-form"' in page

        missing_reason = await post_form(desk, page_url, action, {"outcome": "kept", "reason": ""})
        assert missing_reason.status_code == 303
        shown = html.unescape((await desk.get(missing_reason.headers["location"])).text)
        assert "유지 사유나 필요한 자료를 적어 주세요" in shown
        no_outcome = await post_form(desk, page_url, action, {"reason": "x"})
        shown = html.unescape((await desk.get(no_outcome.headers["location"])).text)
        assert "결과를 입력해 주세요" in shown
        assert (await desk.post(action, data={"outcome": "lifted"})).status_code == 403  # no CSRF token

        asked = await post_form(desk, page_url, action, {"outcome": "more_evidence", "reason": "결제 영수증"})
        shown = html.unescape((await desk.get(asked.headers["location"])).text)
        assert "'추가 자료 요청'으로 기록하고" in shown and "이용 제한 해명 결과: 추가 자료 요청" in shown

        plain = await session.scalar(select(Inquiry.id).where(Inquiry.id != inquiry_id))
        assert plain is None  # only the appeal exists: any other id is not an appeal
        missing = await post_form(desk, page_url, f"/console/inquiries/{inquiry_id + 1}/appeal", {"outcome": "lifted"})
        assert missing.status_code == 404

    detail = html.unescape((await browser.get(inquiry_url)).text)
    assert 'data-outcome="more_evidence"' in detail and "필요한 자료: 결제 영수증" in detail
    assert 'data-appeal-label="추가 자료 요청"' in (await browser.get("/inquiries")).text


@pytest.mark.usefixtures("restrictions")
async def test_a_plain_inquiry_shows_no_appeal_pieces(browser: httpx.AsyncClient, settings: Settings) -> None:
    await sign_in_customer(browser, settings)
    form = (await browser.get("/inquiries/new")).text
    data = {"csrf_token": csrf_of(form), "category": "payment", "title": "결제 문의", "body": "결제가 안 돼요"}
    filed = await browser.post("/inquiries", data=data, files=NO_FILE)
    assert filed.status_code == 303, filed.text
    assert 'id="appeal-status"' not in (await browser.get(filed.headers["location"])).text
    assert "appeal-status" not in (await browser.get("/inquiries")).text


@pytest.mark.usefixtures("demo_content")
@pytest.mark.parametrize(
    ("query", "offered"),
    [("계정 정지", True), ("이용제한 풀어주세요", True), ("포인트 유효기간", False)],
)
async def test_search_offers_the_appeal_when_it_is_about_restrictions(
    browser: httpx.AsyncClient, query: str, offered: bool
) -> None:
    page = await browser.get("/search", params={"q": query})
    assert page.status_code == 200
    assert ('id="appeal-link" class="button" href="/appeal"' in page.text) is offered


@pytest.mark.usefixtures("demo_content")
async def test_an_article_about_restrictions_brings_the_link_too(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    """No restriction word typed, but an article of the restrictions category was found."""
    category = await session.scalar(select(Category).where(Category.slug == "restrictions"))
    assert category is not None
    page = await browser.get("/search", params={"q": "증빙자료 제출"})
    assert category.name in page.text  # a result of that category is on the page
    assert 'id="appeal-link"' in page.text


@pytest.mark.usefixtures("demo_content")
async def test_the_restrictions_category_page_links_to_the_form(browser: httpx.AsyncClient) -> None:
    assert 'id="appeal-link"' in (await browser.get("/categories/restrictions")).text
    assert 'id="appeal-link"' not in (await browser.get("/categories/points")).text
