"""The booking pages work as plain forms (no JavaScript): book, see it in 문의 내역, move, cancel."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.hours import SEOUL
from gogaek.calendar.service import add_day_off
from gogaek.db import utcnow
from tests.api.test_customer_auth import browser, csrf_of, last_code, request_code, submit_code
from tests.phone.booking_helpers import open_slot

__all__ = ["browser"]
pytestmark = pytest.mark.usefixtures("demo_categories")
SLOT_VALUE = re.compile(r'name="slot_start" value="([^"]+)"(?![^>]*disabled)')


async def sign_in(browser: httpx.AsyncClient, app: FastAPI, destination: str) -> None:
    await request_code(browser, destination)
    await submit_code(browser, last_code(app, destination.replace("-", "")))


async def test_booking_from_the_page_without_javascript(browser: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_in(browser, app, "010-4444-5555")
    form = await browser.get("/callbacks/new", params={"category": "payment"})
    assert form.status_code == 200 and 'name="slot_start"' in form.text
    assert 'value="01044445555"' in form.text  # the number they signed in with, ready to use
    first_slot = SLOT_VALUE.search(form.text)
    assert first_slot
    posted = await browser.post(
        "/callbacks",
        data={
            "csrf_token": csrf_of(form.text),
            "category": "payment",
            "slot_start": first_slot.group(1),
            "phone": "010-4444-5555",
            "note": "결제 취소 문의",
        },
    )
    assert posted.status_code == 303 and posted.headers["location"].startswith("/callbacks/")
    detail = await browser.get(posted.headers["location"])
    assert "상담 예약이 완료되었습니다" in detail.text and "010-****-5555" in detail.text
    inquiry_link = re.search(r'href="(/inquiries/\d+)"', detail.text)
    assert inquiry_link
    inquiry_page = await browser.get(inquiry_link.group(1))
    assert 'id="inquiry-callbacks"' in inquiry_page.text and "예약됨" in inquiry_page.text

    other = SLOT_VALUE.findall(detail.text)[1]
    moved = await browser.post(
        f"{posted.headers['location']}/reschedule", data={"csrf_token": csrf_of(detail.text), "slot_start": other}
    )
    assert moved.status_code == 303
    detail = await browser.get(posted.headers["location"])
    assert "예약 시간을 바꿨습니다" in detail.text
    cancelled = await browser.post(f"{posted.headers['location']}/cancel", data={"csrf_token": csrf_of(detail.text)})
    assert cancelled.status_code == 303
    detail = await browser.get(posted.headers["location"])
    assert "취소됨" in detail.text and 'id="cancel-callback"' not in detail.text
    listing = await browser.get("/callbacks")
    assert "취소됨" in listing.text


async def test_mistakes_are_shown_next_to_the_fields_and_kept(browser: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_in(browser, app, "010-4444-6666")
    form = await browser.get("/callbacks/new")
    refused = await browser.post(
        "/callbacks",
        data={"csrf_token": csrf_of(form.text), "category": "payment", "phone": "abc", "note": "메모는 남아요"},
    )
    assert refused.status_code == 422 and "메모는 남아요" in refused.text and 'id="slot-error"' in refused.text
    slot = SLOT_VALUE.search(form.text)
    assert slot
    bad_phone = await browser.post(
        "/callbacks",
        data={"csrf_token": csrf_of(form.text), "category": "payment", "phone": "abc", "slot_start": slot.group(1)},
    )
    assert bad_phone.status_code == 422 and "휴대폰 번호" in bad_phone.text
    forged = await browser.post("/callbacks", data={"category": "payment"})
    assert forged.status_code == 403


async def test_a_sensitive_category_leads_through_the_phone_check_and_back(
    browser: httpx.AsyncClient, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await request_code(browser, "visitor@example.com")
    await submit_code(browser, last_code(app, "visitor@example.com"))
    slot = (await open_slot(client))["start"]
    form = await browser.get("/callbacks/new", params={"category": "security"})
    assert 'id="verification-needed"' in form.text
    refused = await browser.post(
        "/callbacks",
        data={"csrf_token": csrf_of(form.text), "category": "security", "slot_start": slot, "phone": "010-9999-0000"},
    )
    assert refused.status_code == 303 and refused.headers["location"].startswith("/verify/phone?next=")
    check = await browser.get(refused.headers["location"])
    assert "본인 확인이 필요합니다" in check.text
    sent = await browser.post(
        "/verify/phone", data={"csrf_token": csrf_of(check.text), "phone": "010-9999-0000", "next": "/callbacks/new"}
    )
    assert sent.status_code == 303
    code_page = await browser.get(sent.headers["location"])
    assert 'id="code-form"' in code_page.text and "010-****-0000" in code_page.text
    confirmed = await browser.post(
        "/verify/phone/confirm",
        data={"csrf_token": csrf_of(code_page.text), "code": last_code(app, "01099990000"), "next": "/callbacks/new"},
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/callbacks/new"
    booked = await browser.post(
        "/callbacks",
        data={
            "csrf_token": csrf_of(code_page.text),
            "category": "security",
            "slot_start": slot,
            "phone": "01099990000",
        },
    )
    assert booked.status_code == 303 and booked.headers["location"].startswith("/callbacks/")


async def test_the_verify_page_refuses_to_send_visitors_elsewhere(browser: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_in(browser, app, "010-1212-3434")
    page = await browser.get("/verify/phone", params={"next": "https://evil.example/"})
    assert 'name="next" value="/inquiries"' in page.text
    wrong = await browser.post(
        "/verify/phone/confirm", data={"csrf_token": csrf_of(page.text), "code": "123456", "next": "/callbacks"}
    )
    assert wrong.status_code == 303  # no code was requested: back to the first step


async def test_contact_page_shows_phone_booking_and_appeal(client: httpx.AsyncClient, session: AsyncSession) -> None:
    page = await client.get("/contact")
    assert page.status_code == 200
    for anchor in ('id="phone-open-status"', 'id="contact-callback-link"', 'id="contact-appeal-link"', "1577-3754"):
        assert anchor in page.text
    assert 'id="next-slots"' in page.text
    today = utcnow().astimezone(SEOUL).date()
    await add_day_off(session, today, "창립기념일")
    closed = await client.get("/contact")
    assert "오늘은 회사 휴무일 휴무입니다" in closed.text
