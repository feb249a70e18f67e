"""The 한국어 / English switch in a real browser: a visitor whose browser asks for Korean picks
English in the footer, keeps it from page to page (signed in or not, the chat script's words
included), and switches back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.inquiries.models import Macro
from tests.e2e.conftest import Desk, screenshot, serve_desk, watch_console

pytestmark = pytest.mark.e2e
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Desk]:
    agent = StaffCreate(
        email="agent@example.com", password="agent-password-123", display_name="Sam", role=StaffRole.AGENT
    )
    with serve_desk(
        tmp_path_factory.mktemp("e2e-language"), embedding_cache, agent, Macro(title="Hi", body="Hi")
    ) as desk:
        yield desk


def _switch(page: Page, code: str) -> None:
    page.locator(f".language-switch a[hreflang={code}]").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def test_the_switch_turns_the_pages_english_and_back(desk: Desk, chromium: Browser) -> None:
    context = chromium.new_context(locale="ko-KR", viewport={"width": 1024, "height": 800})
    page = context.new_page()
    problems = watch_console(page)

    page.goto(f"{desk.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("h1")).to_have_text("무엇을 도와드릴까요?")

    _switch(page, "en")
    expect(page).to_have_url(f"{desk.url}/")
    expect(page.locator("h1")).to_have_text("How can we help?")
    expect(page.locator(".language-switch [aria-current=true]")).to_have_text("English")
    screenshot(page, "language-home-english.png")

    # Remembered on the next page: the inquiry link asks a visitor to sign in first, in English.
    page.locator("#nav-new-inquiry").click()
    expect(page).to_have_url(re.compile(r"/auth/login\?next=%2Finquiries%2Fnew$"))
    expect(page.locator("h1")).to_have_text("Sign in to the Help Center")
    assert not HANGUL.search(page.locator("main").inner_text())

    # Signed in by the host app (no locale claim), the choice still holds on the callback page.
    token = issue_customer_token(desk.settings, sub="e2e-language", name="Alex Kim")
    page.goto(f"{desk.url}/auth/customer?token={token}&next=/callbacks/new")
    expect(page).to_have_url(re.compile(r"/callbacks/new$"))
    expect(page.locator("h1")).to_have_text("Book a callback")
    expect(page.locator("#slot-picker legend")).to_have_text("Time of the call")
    expect(page.locator("#book-callback")).to_have_text("Book")
    screenshot(page, "language-callback-english.png")

    # The chat page's script speaks the page's language too (data-texts rendered in English).
    page.goto(f"{desk.url}/chat")
    expect(page.locator("#chat-send")).to_have_text("Send")
    expect(page.locator("#chat-input")).to_have_attribute("placeholder", "Type a message")

    _switch(page, "ko")
    expect(page).to_have_url(re.compile(r"/chat$"))
    expect(page.locator("#chat-send")).to_have_text("보내기")
    expect(page.locator("#chat-input")).to_have_attribute("placeholder", "메시지를 입력하세요")
    page.goto(f"{desk.url}/callbacks/new")
    expect(page.locator("h1")).to_contain_text("전화 상담 예약")
    expect(page.locator("#book-callback")).to_have_text("예약하기")
    page.goto(f"{desk.url}/")
    expect(page.locator("h1")).to_have_text("무엇을 도와드릴까요?")
    assert problems == []
    context.close()
