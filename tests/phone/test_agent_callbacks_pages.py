"""The callback console pages (/console/callbacks) as a browser without JavaScript drives them.

Agents sign in through the real form; every form is posted with the CSRF token scraped from the
page, and every check reads the page the redirect lands on or the database.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.inquiries.models import Inquiry, InquiryMessage
from gogaek.phone import console_pages
from gogaek.phone.models import CallbackStatus, IdentityCheck
from gogaek.phone.timeline import callback_event_text
from gogaek.web.csrf import verified_form
from tests.api.test_console_pages import other_browser, signed_in
from tests.api.test_pages import _depends_on, browser, post_form
from tests.phone.factories import Desk, desk, make_callback

__all__ = ["browser", "desk", "other_browser"]  # shared fixtures

BOARD = "/console/callbacks"


async def submit(browser: httpx.AsyncClient, page: str, action: str, data: dict[str, Any]) -> str:
    """Posts a form of ``page`` and follows the redirect back: the page with its flash message, unescaped."""
    response = await post_form(browser, page, action, data)
    assert response.status_code == 303, response.text
    return html.unescape((await browser.get(response.headers["location"])).text)


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert match, f"no #{element_id}"
    return html.unescape(match.group(1)).strip()


def test_every_callback_form_checks_the_csrf_token() -> None:
    routes = [r for r in console_pages.router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or set())]
    assert len(routes) == 4
    for route in routes:
        assert _depends_on(route.dependant, verified_form), route.path


async def test_board_needs_sign_in_and_groups_callbacks(
    browser: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    anonymous = await browser.get(BOARD)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/admin/login?next=/console/callbacks")
    refused = await browser.post(f"{BOARD}/1/claim", data={})
    assert refused.headers["location"] == "/admin/login?next=/console"

    now = utcnow()
    overdue = await make_callback(session, desk.customer, desk.category, slot_start=now - timedelta(hours=1))
    overdue.overdue_flagged_at = now
    upcoming = await make_callback(session, desk.customer, desk.category, slot_start=now + timedelta(days=1))
    await session.commit()
    await signed_in(browser)
    page = (await browser.get(BOARD)).text
    assert 'id="nav-console-callbacks"' in page and '<meta http-equiv="refresh" content="60">' in page
    groups = re.findall(r'data-group="(\w+)"', page)
    assert groups == ["overdue", "slot"]
    assert f'data-callback-id="{overdue.id}"' in page and f'data-callback-id="{upcoming.id}"' in page
    assert "badge-overdue" in page and "김**" in page and "김고객" not in page
    assert "이력: 문의 1 · 채팅 0 · 전화 1" in html.unescape(page)
    empty = (await browser.get(BOARD, params={"status": "missed"})).text
    assert 'id="callbacks-empty"' in empty
    assert (await browser.get(BOARD, params={"day": "not-a-day", "status": "bogus"})).status_code == 200


async def test_agent_works_a_callback_to_completed_through_the_forms(
    browser: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    url = f"{BOARD}/{callback.id}"
    await signed_in(browser)
    before = (await browser.get(url)).text
    assert 'id="masked-notice"' in before and 'id="identity-form"' not in before
    assert before.index('id="identity"') < before.index('id="callback-number"')  # the check comes first
    assert text_of(before, "booking-verification").startswith("앱 로그인 본인인증")

    claimed = await submit(browser, url, f"{url}/claim", {})
    assert "이 예약을 맡았습니다" in claimed and 'id="identity-form"' in claimed
    assert text_of(claimed, "customer-name") == "김**"
    assert text_of(claimed, "callback-phone") == "010-9876-5432"

    no_result = await submit(browser, url, f"{url}/identity-check", {"checked": "성함"})
    assert "통과/실패" in no_result
    checked = await submit(browser, url, f"{url}/identity-check", {"checked": ["성함", "생년월일"], "result": "passed"})
    assert "본인 확인 결과를 기록했습니다" in checked and 'id="masked-notice"' not in checked
    assert text_of(checked, "customer-name") == "김고객"
    check = await session.scalar(select(IdentityCheck))
    assert check is not None and check.passed and check.answers["생년월일"] is True

    missing_slot = await submit(browser, url, f"{url}/outcome", {"outcome": "rescheduled"})
    assert "재예약할 새 시간을 골라 주세요" in missing_slot
    done = await submit(
        browser,
        url,
        f"{url}/outcome",
        {"outcome": "completed", "note": "비밀번호 재설정 안내 완료", "visible_to_customer": "on", "resolve": "on"},
    )
    assert "통화 완료로 기록했습니다" in done and text_of(done, "callback-status") == "통화 완료"
    inquiry = await session.get(Inquiry, callback.inquiry_id)
    assert inquiry is not None
    await session.refresh(inquiry)
    assert inquiry.status == "resolved"
    message = await session.scalar(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id))
    assert message is not None and message.internal is False and message.body == "비밀번호 재설정 안내 완료"
    timeline = html.unescape((await browser.get(f"/console/inquiries/{inquiry.id}")).text)
    assert "전화 상담 완료 · 문의 해결" in timeline


def test_callback_timeline_entries_read_as_sentences() -> None:
    slot = "2026-12-07T05:00:00+00:00"
    assert callback_event_text("callback_booked", {"slot_start": slot}) == "전화 상담 예약: 12월 7일 (월) 14:00"
    moved = callback_event_text("callback_rescheduled", {"from": slot, "to": "2026-12-08T06:30:00+00:00"})
    assert moved == "전화 상담 시간 변경: 12월 7일 (월) 14:00 → 12월 8일 (화) 15:30"
    retry = callback_event_text("callback_no_answer", {"attempt": 2, "retry_at": "garbled"})
    assert retry == "전화 부재중 (2회째) · 다시 걸기 -"
    assert callback_event_text("callback_missed", {"attempts": 3}).startswith("전화 부재중: 3번 모두")
    assert callback_event_text("callback_completed", {"resolved": False}) == "전화 상담 완료"
    assert callback_event_text("callback_unknown", {}) == "callback_unknown"


async def test_refusals_come_back_as_flash_messages(
    browser: httpx.AsyncClient, other_browser: httpx.AsyncClient, session: AsyncSession, desk: Desk
) -> None:
    callback = await make_callback(session, desk.customer, desk.category)
    url = f"{BOARD}/{callback.id}"
    await signed_in(browser)
    await signed_in(other_browser, "colleague@example.com")
    await submit(browser, url, f"{url}/claim", {})
    taken = await submit(other_browser, url, f"{url}/claim", {})
    assert "다른 상담사가 이미 맡은 예약입니다" in taken and 'id="outcome-form"' not in taken
    assert 'id="release-button"' not in taken  # neither its agent nor a supervisor

    # 부재중 ignores the 통화 완료 checkboxes that sit in the same form.
    missed = await submit(browser, url, f"{url}/outcome", {"outcome": "no_answer", "resolve": "on"})
    assert "부재중으로 기록했습니다" in missed
    await session.refresh(callback)
    assert (callback.status, callback.attempts) == (CallbackStatus.RETRY.value, 1)

    forged = await browser.post(f"{url}/claim", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    await session.refresh(callback)
    assert callback.status == CallbackStatus.RETRY.value
    assert (await browser.get(f"{BOARD}/424242")).status_code == 404
    assert (await browser.get(f"{BOARD}/abc")).status_code == 404
