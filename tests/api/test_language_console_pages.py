"""The agent console in English: every page, signed in the way agents sign in, with its test data
written in English so that any Hangul left on the page is a message still to translate.

The same pages without English chosen stay Korean (the other console tests check their words).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.inquiries.models import Inquiry, Macro
from gogaek.phone.models import Callback
from gogaek.web.i18n import COOKIE
from tests.api.test_agent_auth import file_inquiry, make_customer, make_staff
from tests.api.test_console_pages import console_sign_in, submit
from tests.api.test_pages import browser
from tests.hangul import hangul_in
from tests.phone.factories import make_callback

__all__ = ["browser"]  # fixture shared with test_pages.py

# Not shown: the identity checklist posts its questions back in Korean, the words the server checks.
POSTED_QUESTION = re.compile(r'name="checked" value="[^"]*"')


@dataclass
class Console:
    agent: StaffUser
    supervisor: StaffUser
    inquiry: Inquiry
    callback: Callback


@pytest.fixture
async def console(session: AsyncSession, settings: Settings) -> Console:
    """Everything in English: a category, staff, a customer with an inquiry, a macro, a callback."""
    category = Category(slug="payment", name="Payments", requires_verification=True)
    session.add_all([category, Macro(title="Greeting", body="Hello, we are looking into it.")])
    await session.commit()
    customer = await make_customer(session, name="Jamie Doe", email="jamie@example.com")
    inquiry = await file_inquiry(
        session, settings, customer, title="Charged twice", body="My card was charged twice yesterday."
    )
    callback = await make_callback(
        session, customer, category, slot_start=utcnow() + timedelta(days=1), note="I forgot my payment password."
    )
    # The booking opens its inquiry under a stored Korean title (content, not a page message).
    await session.execute(update(Inquiry).where(Inquiry.id == callback.inquiry_id).values(title="Phone callback"))
    await session.commit()
    return Console(
        agent=await make_staff(session, "agent@example.com", name="Alex Agent"),
        supervisor=await make_staff(session, "lead@example.com", name="Sam Lead", role=StaffRole.SUPERVISOR),
        inquiry=inquiry,
        callback=callback,
    )


async def sign_in_as(browser: httpx.AsyncClient, email: str, *, english: bool = True) -> None:
    response = await console_sign_in(browser, email)
    assert response.status_code == 303, response.text
    if english:
        browser.cookies.set(COOKIE, "en")


def korean_left(page: str) -> list[str]:
    """Every Hangul character on the page with a little context, for a readable failure."""
    return hangul_in(html.unescape(POSTED_QUESTION.sub("", page)), context=40)


async def english_page(browser: httpx.AsyncClient, url: str, *phrases: str, status: int = 200) -> str:
    response = await browser.get(url)
    assert response.status_code == status, response.text
    page = html.unescape(response.text)
    assert '<html lang="en">' in page
    assert not korean_left(response.text), korean_left(response.text)
    for phrase in phrases:
        assert phrase in page, phrase
    return page


async def test_the_queue_and_an_inquiry_are_english(
    browser: httpx.AsyncClient, session: AsyncSession, console: Console
) -> None:
    await session.execute(update(Inquiry).where(Inquiry.id == console.inquiry.id).values(is_emergency=True))
    await session.commit()
    await sign_in_as(browser, "agent@example.com")
    await english_page(
        browser,
        "/console",
        ">Inquiry queue</h1>",
        ">Agent console</span>",
        ">Unassigned</a>",
        "All open (received · in progress · answered)",
        "Charged twice",
        ">Received</span>",
    )
    url = f"/console/inquiries/{console.inquiry.id}"
    page = await english_page(
        browser,
        url,
        ">Timeline</h2>",
        "Inquiry received",
        ">Assign to me</button>",
        "Close this inquiry and merge it into the one you entered?",
        ">Greeting</option>",
        ">Suspected financial fraud</h2>",
    )
    assert '<span class="en">Timeline</span>' not in page  # no gloss doubling the English
    await english_page(browser, "/console?view=overdue", "No inquiries in this view.")


async def test_console_changes_answer_in_english(browser: httpx.AsyncClient, console: Console) -> None:
    await sign_in_as(browser, "agent@example.com")
    url = f"/console/inquiries/{console.inquiry.id}"
    steps = [
        ("assign", {"assignee": "me"}, "Assignee set."),
        ("priority", {"priority": "high"}, "Priority changed to 'High'."),
        ("tags", {"tags": "refund, card"}, "Tags saved."),
        ("reply", {"body": "We are checking the payment."}, "Reply sent. The customer will be notified."),
        ("reply", {"body": "Called the bank.", "internal": "on"}, "Internal note saved."),
        ("status", {"status": "resolved"}, "Status changed to 'Resolved'."),
    ]
    for action, data, flash in steps:
        page = await submit(browser, url, f"{url}/{action}", data)
        assert flash in page, action
        assert not korean_left(page), (action, korean_left(page))
    page = await english_page(
        browser,
        url,
        "Priority changed: Normal → High",
        "Status changed: ",
        "Tags changed: refund, card",
        ">Internal note</span>",
        "This inquiry is resolved.",
    )
    assert "Assignee changed: Unassigned → Alex Agent" in page or "Auto-assigned" in page
    refused = await submit(browser, url, f"{url}/merge", {"into": "20990101-000001"})
    assert "Inquiry to merge into not found" in refused and not korean_left(refused)
    await english_page(browser, f"{url}/emails", ">Original email</h1>", "No email received for this inquiry.")
    await english_page(browser, "/console?view=mine&status=resolved", ">High</span>", ">Resolved</span>")


async def test_callbacks_are_english(browser: httpx.AsyncClient, console: Console) -> None:
    await sign_in_as(browser, "agent@example.com")
    await english_page(browser, "/console/callbacks", ">Callbacks</h1>", "Booked for ", ">ID check required</span>")
    url = f"/console/callbacks/{console.callback.id}"
    await english_page(browser, url, ">Identity check</h2>", "Verified via app sign-in", ">Claim</button>")
    claimed = await submit(browser, url, f"{url}/claim", {})
    assert "Claimed. Start with the identity check." in claimed and not korean_left(claimed)
    await english_page(browser, url, ">Call outcome</h2>", "Passed (identity confirmed)", ">Record outcome</button>")
    missing_slot = await submit(browser, url, f"{url}/outcome", {"outcome": "rescheduled"})
    assert "Choose the new time." in missing_slot and not korean_left(missing_slot)
    checked = await submit(browser, url, f"{url}/identity-check", {"checked": "성함", "result": "passed"})
    assert "Identity check recorded." in checked and not korean_left(checked)
    done = await submit(browser, url, f"{url}/outcome", {"outcome": "completed", "note": "Reset the password."})
    assert "Recorded as completed." in done and not korean_left(done)
    await english_page(browser, f"/console/inquiries/{console.callback.inquiry_id}", "Callback completed")


async def test_the_chat_console_is_english_with_its_script_strings(
    browser: httpx.AsyncClient, console: Console
) -> None:
    await sign_in_as(browser, "agent@example.com")
    page = await english_page(
        browser, "/console/chats", ">Live chat</h1>", "Nobody is waiting.", ">Canned replies</option>"
    )
    strings = re.search(r'<script type="application/json" id="console-strings">(.*?)</script>', page, re.S)
    assert strings and '"Accept"' in strings.group(1) and '"Incoming call"' in strings.group(1)


async def test_the_supervisors_live_chat_view_is_english(browser: httpx.AsyncClient, console: Console) -> None:
    await sign_in_as(browser, "lead@example.com")
    await english_page(browser, "/console/chats", ">Live chats</h2>", "agents available", "No live chats.")
    await english_page(browser, "/console/chats/live", ">Live chats</h1>", ">Chat console</a>")


async def test_reports_are_english(browser: httpx.AsyncClient, console: Console) -> None:
    await sign_in_as(browser, "lead@example.com")
    await english_page(browser, "/console/reports", ">Reports</h1>", "Download CSV", ">Category</label>")
    await english_page(
        browser,
        "/console/reports?from=bad&channel=fax",
        "Please check the filters.",
        "From: enter a date like 2026-01-31.",
        "Choose a channel: web, chat, email or phone.",
        status=400,
    )


async def test_without_english_the_console_stays_korean(browser: httpx.AsyncClient, console: Console) -> None:
    await sign_in_as(browser, "lead@example.com", english=False)
    pages = {
        "/console": ['<h1 class="page-title">문의 목록</h1>', "진행 중 전체"],
        f"/console/inquiries/{console.inquiry.id}": ["처리 내역", "문의 접수"],
        "/console/callbacks": ["전화 예약", "본인 확인 필수"],
        f"/console/callbacks/{console.callback.id}": ["본인 확인"],
        "/console/chats": ["채팅 상담", "기다리는 고객이 없습니다."],
        "/console/reports": ["리포트", "CSV 내려받기"],
    }
    for url, phrases in pages.items():
        response = await browser.get(url)
        assert response.status_code == 200, url
        assert '<html lang="ko">' in response.text and 'id="console-strings"' not in response.text
        for phrase in phrases:
            assert phrase in html.unescape(response.text), (url, phrase)


SWITCH = re.compile(r'<header class="site-header (?:console|admin)-header">.*?</header>', re.S)


async def test_the_console_and_admin_headers_switch_the_language_and_come_back(
    browser: httpx.AsyncClient, console: Console
) -> None:
    """Console and admin pages have no footer, so their headers carry the switch."""
    await sign_in_as(browser, "lead@example.com", english=False)
    queue = await browser.get("/console", params={"view": "overdue"})
    header = SWITCH.search(queue.text)
    assert header is not None
    assert 'href="/language/en?next=/console%3Fview%3Doverdue"' in header.group(0)
    assert '<span aria-current="true" lang="ko">' in header.group(0)

    switched = await browser.get("/language/en", params={"next": "/console?view=overdue"})
    assert (switched.status_code, switched.headers["location"]) == (303, "/console?view=overdue")
    page = await english_page(browser, "/console?view=overdue", "No inquiries in this view.")
    assert 'href="/language/ko?next=/console%3Fview%3Doverdue"' in page

    admin = await browser.get("/admin/categories")
    admin_header = SWITCH.search(admin.text)
    assert admin_header is not None and 'href="/language/ko?next=/admin/categories"' in admin_header.group(0)
    await browser.get("/language/ko", params={"next": "/admin/categories"})
    assert '<html lang="ko">' in (await browser.get("/admin/categories")).text
