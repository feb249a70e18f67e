"""The chat console in English, in Debian's chromium: the words its scripts write (connection,
queue, the chat pane and its customer card) come from the page's string table, not Korean."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect

from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.inquiries.models import Macro
from tests.e2e.conftest import Desk, serve_desk, staff_sign_in, watch_console

pytestmark = pytest.mark.e2e

AGENT_EMAIL = "english-agent@example.com"
AGENT_PASSWORD = "agent-password-123"
HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Desk]:
    agent = StaffCreate(email=AGENT_EMAIL, password=AGENT_PASSWORD, display_name="Alex", role=StaffRole.AGENT)
    macro = Macro(title="Greeting", body="Hello {고객명}, this is {상담사명}.")
    extra = {"GOGAEK_CHAT_HOURS": "always", "GOGAEK_CHAT_AUTO_ASSIGN": "false"}
    with serve_desk(tmp_path_factory.mktemp("e2e-console-en"), embedding_cache, agent, macro, extra) as desk:
        yield desk


def test_an_english_agent_takes_a_chat_in_english(desk: Desk, playwright: Playwright, chromium: Browser) -> None:
    office = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    agent = office.new_page()
    problems = watch_console(agent)
    staff_sign_in(agent, f"{desk.url}/console/chats", AGENT_EMAIL, AGENT_PASSWORD, desk.agent_totp)
    agent.goto(f"{desk.url}/language/en?next=/console/chats")
    expect(agent.locator("html")).to_have_attribute("lang", "en")
    expect(agent.locator("#chat-connection")).to_have_text("Connected")
    agent.locator("#chat-availability").select_option("available")

    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    customer = phone.new_page()
    token = issue_customer_token(desk.settings, sub="e2e-english", name="Jamie", email="jamie@example.com")
    customer.goto(f"{desk.url}/auth/customer?token={token}&next=/chat")
    expect(customer.locator("#chat-log li[data-sender=bot]").first).to_be_visible()
    customer.locator("#chat-input").fill("My card payment failed twice.")
    customer.locator("#chat-input").press("Enter")
    expect(customer.locator("#chat-log li[data-sender=bot]").nth(1)).to_be_visible()
    customer.locator("#chat-handoff").click()

    waiting = agent.locator("#chat-queue-list li").first
    expect(waiting).to_contain_text(re.compile(r"waiting \d+ min"))
    accept = waiting.locator("button.chat-accept")
    expect(accept).to_have_text("Accept")
    accept.click()

    pane = agent.locator("section.chat-pane:visible")
    expect(pane.locator(".chat-pane-title")).to_have_text(re.compile(r"^Jamie · Chat #\d+$"))
    card = pane.locator(".chat-customer")
    expect(card).to_contain_text("Identity check")
    expect(card).not_to_contain_text(HANGUL)
    expect(pane.locator(".chat-pane-status")).not_to_contain_text(HANGUL)
    expect(pane.locator("select.chat-canned option").first).to_have_text("Canned replies")
    assert not problems, problems
