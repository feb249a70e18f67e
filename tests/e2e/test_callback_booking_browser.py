"""A customer books a callback on a 390-px phone screen with JavaScript off, sees it in 문의 내역,
moves it and cancels it — in Debian's chromium against a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.inquiries.models import Macro
from tests.e2e.conftest import Desk, screenshot, serve_desk

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Desk]:
    agent = StaffCreate(
        email="a@example.com", password="agent-password-123", display_name="상담사", role=StaffRole.AGENT
    )
    with serve_desk(tmp_path_factory.mktemp("e2e-booking"), embedding_cache, agent, Macro(title="m", body="b")) as desk:
        yield desk


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"


def test_customer_books_moves_and_cancels_on_a_phone_without_javascript(
    desk: Desk, playwright: Playwright, chromium: Browser
) -> None:
    phone = chromium.new_context(**{**playwright.devices["iPhone 13"], "java_script_enabled": False}, locale="ko-KR")
    page = phone.new_page()
    assert page.viewport_size is not None and page.viewport_size["width"] == 390
    token = issue_customer_token(desk.settings, sub="e2e-booker", name="김고객")
    page.goto(f"{desk.url}/auth/customer?token={token}&next=/contact")
    expect(page.locator("#phone-open-status")).to_be_visible()
    fits_the_screen(page)
    screenshot(page, "contact-phone.png")
    page.locator("#contact-callback-link").click()
    expect(page).to_have_url(re.compile(r"/callbacks/new"))

    page.locator("#f-category").select_option("payment")
    first = page.locator(".slot:not(.is-full)").first
    chosen = first.locator(".slot-time").inner_text()
    first.click()
    page.locator("#f-phone").fill("010-2468-1357")
    page.locator("#f-note").fill("결제 취소가 아직 안 됐어요")
    fits_the_screen(page)
    screenshot(page, "callback-form.png")
    page.locator("#book-callback").click()

    expect(page.locator("#callback-slot")).to_contain_text(chosen)
    expect(page.locator("h1")).to_contain_text("예약됨")
    expect(page.locator("#callback-facts")).to_contain_text("010-****-1357")
    fits_the_screen(page)
    screenshot(page, "callback-booked.png")
    booking_url = page.url

    page.locator("#callback-facts a[href^='/inquiries/']").click()
    expect(page.locator("#inquiry-callbacks")).to_contain_text("예약됨")
    page.goto(f"{desk.url}/inquiries")
    expect(page.locator("body")).to_contain_text("전화 상담 예약")

    page.goto(booking_url)
    # Another day, opened as a person would: how many of today's slots are left depends on the
    # hour the test runs, and days other than the booked one are folded.
    next_day = page.locator("#reschedule-form details.slot-day").nth(1)
    next_day.locator("summary").click()
    later = next_day.locator(".slot:not(.is-full)").first
    later_time = later.locator(".slot-time").inner_text()
    later.click()
    page.locator("#reschedule-callback").click()
    expect(page.locator("#callback-slot")).to_contain_text(later_time)

    page.locator("#cancel-callback").click()
    expect(page.locator("h1")).to_contain_text("취소됨")
    expect(page.locator("#cancel-callback")).to_have_count(0)
    screenshot(page, "callback-cancelled.png")
    phone.close()
