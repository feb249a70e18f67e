"""실시간 채팅 상담 end to end in Debian's chromium, against a real server.

The server runs with ``GOGAEK_CHAT_HOURS=always`` so that handing a chat to a person does not
depend on the clock (outside 평일 09–18 KST it would get the offline options instead), and with
automatic assignment off so that the agent takes the chat from the queue with 수락. The
offline test runs first, while no console is connected: nobody online means the options.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.inquiries.models import Macro
from tests.e2e.conftest import Desk, screenshot, serve_desk, staff_sign_in, watch_console
from tests.hangul import HANGUL

pytestmark = pytest.mark.e2e

AGENT_EMAIL = "chat-agent@example.com"
AGENT_PASSWORD = "agent-password-123"
CANNED_TITLE = "실패 원인 안내"
CANNED_BODY = "{고객명}님, 상담사 {상담사명}입니다. 결제 실패 내역을 확인해 보겠습니다."
FAQ_QUESTION = "결제가 실패했다고 나와요. 원인이 무엇인가요?"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Desk]:
    agent = StaffCreate(email=AGENT_EMAIL, password=AGENT_PASSWORD, display_name="한결", role=StaffRole.AGENT)
    macro = Macro(title=CANNED_TITLE, body=CANNED_BODY)
    extra = {"GOGAEK_CHAT_HOURS": "always", "GOGAEK_CHAT_AUTO_ASSIGN": "false"}
    with serve_desk(tmp_path_factory.mktemp("e2e-chat"), embedding_cache, agent, macro, extra) as desk:
        yield desk


def open_chat(desk: Desk, phone: BrowserContext, sub: str) -> Page:
    """The host app opens the chat in its webview, signed in with its token."""
    page = phone.new_page()
    token = issue_customer_token(desk.settings, sub=sub, name="김고객", email=f"{sub}@example.com")
    page.goto(f"{desk.url}/auth/customer?token={token}&next=/chat")
    expect(page).to_have_url(re.compile(r"/chat$"))
    expect(page.locator("#chat-log li[data-sender=bot]").first).to_contain_text("고객센터 챗봇")
    return page


def receipt_photo(folder: Path) -> Path:
    path = folder / "영수증.png"
    Image.new("RGB", (120, 80), "white").save(path, format="PNG")
    return path


def say(page: Page, text: str) -> None:
    page.locator("#chat-input").fill(text)
    page.locator("#chat-input").press("Enter")


def shown_messages(page: Page) -> list[tuple[str, str]]:
    """(seq, text) of every message in the customer's list, in order."""
    rows: list[tuple[str, str]] = page.locator("#chat-log li.chat-msg").evaluate_all(
        "items => items.map(i => [i.dataset.seq || '', i.querySelector('.chat-bubble').textContent])"
    )
    return [(seq, text) for seq, text in rows]


def agent_console(desk: Desk, office: BrowserContext) -> Page:
    agent = office.new_page()
    agent.on("dialog", lambda dialog: dialog.accept())
    staff_sign_in(agent, f"{desk.url}/console/chats", AGENT_EMAIL, AGENT_PASSWORD, desk.agent_totp)
    expect(agent).to_have_url(re.compile(r"/console/chats$"))
    expect(agent.locator("#chat-connection")).to_have_attribute("data-state", "open")
    agent.locator("#chat-availability").select_option("available")
    return agent


def test_without_an_agent_online_the_chat_becomes_an_inquiry(
    desk: Desk, playwright: Playwright, chromium: Browser
) -> None:
    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    customer = open_chat(desk, phone, "e2e-offline")
    problems = watch_console(customer)
    say(customer, "카드 등록이 자꾸 실패하는데 어떻게 하나요")
    expect(customer.locator("#chat-log li[data-sender=bot]")).to_have_count(2)
    customer.locator("#chat-handoff").click()
    options = customer.locator("#chat-log li[data-sender=system] .chat-options")
    expect(options.locator("button[data-action=leave_inquiry]")).to_be_visible()
    expect(options.locator("a.chat-option-call")).to_have_attribute("href", re.compile(r"^tel:[0-9+]+$"))
    expect(options.locator("a[data-action=book_callback]")).to_have_attribute("href", re.compile(r"/callbacks/new$"))
    screenshot(customer, "chat-offline-options.png")
    # A Korean chat reads Korean only: no English asides in the bot's, the system's or the page's words.
    for words in (customer.locator("#chat-log li[data-sender=bot]"), options, customer.locator("#chat-status")):
        expect(words.first).not_to_contain_text(re.compile(r"\([A-Za-z][^()]*\)"))
    options.locator("button[data-action=leave_inquiry]").click()
    number = customer.locator(".chat-inquiry-number")
    expect(number).to_have_text(re.compile(r"\d{8}-\d+"))
    expect(customer.locator("#chat-status")).to_have_attribute("data-status", "ended")
    filed = number.inner_text()
    customer.goto(f"{desk.url}/inquiries")
    expect(customer.locator("#inquiry-list")).to_contain_text(filed)
    assert problems == []
    phone.close()


def test_customer_and_agent_chat_through_a_reload_then_rate_and_print(
    desk: Desk, playwright: Playwright, chromium: Browser, tmp_path: Path
) -> None:
    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    customer = open_chat(desk, phone, "e2e-chat")
    customer_problems = watch_console(customer)

    say(customer, FAQ_QUESTION)
    answer = customer.locator("#chat-log li[data-sender=bot]").nth(1)
    expect(answer).to_contain_text("잔액 부족")
    answer.locator(".chat-feedback button[data-helpful=yes]").click()
    expect(answer.locator(".chat-feedback")).to_contain_text("의견 감사합니다")

    office = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    agent = agent_console(desk, office)
    agent_problems = watch_console(agent)

    customer.locator("#chat-handoff").click()
    expect(customer.locator("#chat-queue")).to_contain_text(re.compile(r"대기 순서 1번째 · 약 \d+분"))
    waiting = agent.locator("#chat-queue-list li").first
    expect(waiting).to_contain_text(FAQ_QUESTION[:20])
    waiting.locator("button.chat-accept").click()

    pane = agent.locator("section.chat-pane:visible")
    expect(pane.locator(".chat-customer")).to_contain_text("김고객")
    expect(pane.locator(".chat-log")).to_contain_text(FAQ_QUESTION)  # the bot part comes along
    expect(pane.locator(".chat-log")).to_contain_text("잔액 부족")
    expect(customer.locator("#chat-status")).to_have_attribute("data-status", "active")
    expect(customer.locator("#chat-log li[data-sender=system]").last).to_contain_text("한결 상담사가 연결되었습니다")
    expect(customer.locator("#chat-log li[data-sender=customer] .chat-receipt").first).to_have_text("읽음")

    pane.locator("select.chat-canned").select_option(label=CANNED_TITLE)
    expect(pane.locator("textarea.chat-reply")).to_have_value(
        "김고객님, 상담사 한결입니다. 결제 실패 내역을 확인해 보겠습니다."
    )
    pane.locator("button.chat-send").click()
    expect(customer.locator("#chat-log li[data-sender=agent]")).to_contain_text("결제 실패 내역을 확인해 보겠습니다")

    customer.locator("#chat-input").fill("어제 오후 3시쯤이었어요")
    expect(pane.locator(".chat-typing")).to_be_visible()
    customer.locator("#chat-send").click()
    expect(pane.locator(".chat-log li[data-sender=customer]").last).to_contain_text("어제 오후 3시쯤이었어요")
    # A photo goes up over HTTP with the page's CSRF token and arrives in the console as an image.
    customer.locator("#chat-image").set_input_files(receipt_photo(tmp_path))
    expect(pane.locator(".chat-log li[data-sender=customer] img")).to_have_attribute("alt", "영수증.png")
    pane.locator("input.chat-note-toggle").check()
    pane.locator("textarea.chat-reply").fill("가맹점 점검 시간과 겹침")
    pane.locator("textarea.chat-reply").press("Enter")
    expect(pane.locator(".chat-log li.chat-msg-note")).to_contain_text("가맹점 점검 시간과 겹침")
    pane.locator("input.chat-note-toggle").uncheck()
    pane.locator("textarea.chat-reply").fill("확인해 보니 가맹점 점검 시간이었습니다. 지금은 결제될 거예요.")
    pane.locator("textarea.chat-reply").press("Enter")
    expect(customer.locator("#chat-log li[data-sender=agent]")).to_have_count(2)
    screenshot(agent, "chat-console.png")

    before = shown_messages(customer)
    customer.reload()
    expect(customer.locator("#chat-log li.chat-msg")).to_have_count(len(before))
    after = shown_messages(customer)
    assert after == before
    assert len({seq for seq, _ in after}) == len(after)
    assert not any("가맹점 점검 시간과 겹침" in text for _, text in after)
    say(customer, "네 다시 해볼게요 감사합니다")
    expect(pane.locator(".chat-log li[data-sender=customer]").last).to_contain_text("네 다시 해볼게요")
    screenshot(customer, "chat-customer.png")

    pane.locator("button.chat-end").click()
    expect(customer.locator("#chat-status")).to_have_attribute("data-status", "ended")
    expect(pane.locator(".chat-pane-status")).to_have_attribute("data-status", "ended")
    customer.locator("#chat-rating .chat-star[data-score='5']").click()
    customer.locator("#chat-rating-comment").fill("빠르게 알려 주셔서 감사해요")
    customer.locator("#chat-rating-submit").click()
    expect(customer.locator("#chat-rated")).to_contain_text("★5")
    customer.locator("#chat-email").click()
    expect(customer.locator("#chat-email")).to_contain_text("@example.com 주소로 보냈습니다")
    screenshot(customer, "chat-rated.png")

    with phone.expect_page() as opened:
        customer.locator("#chat-transcript-link").click()
    transcript = opened.value
    transcript_problems = watch_console(transcript)
    expect(transcript.locator("#transcript")).to_contain_text("결제 실패 내역을 확인해 보겠습니다")
    expect(transcript.locator("#transcript")).to_contain_text("상담사 한결")
    expect(transcript.locator("#transcript")).not_to_contain_text("가맹점 점검 시간과 겹침")
    expect(transcript.locator("#print-button")).to_be_visible()
    screenshot(transcript, "chat-transcript.png")

    customer.reload()  # the tab still shows the ended chat, rated, until a new one is started
    expect(customer.locator("#chat-status")).to_have_attribute("data-status", "ended")
    expect(customer.locator("#chat-rated")).to_contain_text("★5")
    customer.locator("#chat-email").click()
    expect(customer.locator("#chat-email")).to_contain_text("@example.com 주소로 보냈습니다")
    customer.locator("#chat-new").click()
    expect(customer.locator("#chat-status")).to_have_attribute("data-status", "bot")
    expect(customer.locator("#chat-log li.chat-msg")).to_have_count(1)
    assert customer_problems == [] and agent_problems == [] and transcript_problems == []
    phone.close()
    office.close()


KEEP_SOCKETS = """
window.__sockets = [];
const NativeSocket = window.WebSocket;
window.WebSocket = function (url, protocols) {
  const socket = new NativeSocket(url, protocols);
  window.__sockets.push(socket);
  return socket;
};
window.WebSocket.prototype = NativeSocket.prototype;
"""


def drop_after_sending(page: Page, text: str) -> None:
    """Sends, then kills the socket before the server's echo can arrive."""
    page.locator("#chat-input").fill(text)
    page.evaluate("() => { document.getElementById('chat-send').click(); window.__sockets.at(-1).close(); }")


def test_a_dropped_connection_loses_and_doubles_nothing(desk: Desk, playwright: Playwright, chromium: Browser) -> None:
    """The socket dies right after a message is sent, and again before the next one: the client
    reconnects, resumes after the last seq it showed and resends; each message shows once."""
    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    phone.add_init_script(KEEP_SOCKETS)
    customer = open_chat(desk, phone, "e2e-drop")
    problems = watch_console(customer)
    drop_after_sending(customer, "비밀번호를 잊어버렸어요")
    expect(customer.locator("#chat-connection")).to_be_visible()
    sent = customer.locator("#chat-log li[data-sender=customer]", has_text="비밀번호를 잊어버렸어요")
    expect(sent).not_to_have_class(re.compile("chat-msg-pending"))
    expect(customer.locator("#chat-connection")).to_be_hidden()
    customer.locator("#chat-input").fill("고맙습니다")
    customer.evaluate("() => { window.__sockets.at(-1).close(); document.getElementById('chat-send').click(); }")
    expect(customer.locator("#chat-log li[data-sender=bot]").last).to_contain_text("천만에요")
    shown = shown_messages(customer)
    assert [text for _, text in shown].count("비밀번호를 잊어버렸어요") == 1
    assert [text for _, text in shown].count("고맙습니다") == 1
    assert len({seq for seq, _ in shown}) == len(shown) and all(seq for seq, _ in shown)
    assert customer.evaluate("window.__sockets.length") == 3
    customer.reload()
    expect(customer.locator("#chat-log li.chat-msg")).to_have_count(len(shown))
    assert shown_messages(customer) == shown
    assert problems == []
    phone.close()


def test_the_bot_answers_even_when_the_sender_dropped_at_once(
    desk: Desk, playwright: Playwright, chromium: Browser
) -> None:
    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    phone.add_init_script(KEEP_SOCKETS)
    customer = open_chat(desk, phone, "e2e-drop-bot")
    try:
        drop_after_sending(customer, "비밀번호를 잊어버렸어요")
        expect(customer.locator("#chat-log li[data-sender=bot]")).to_have_count(2, timeout=15_000)
    finally:
        phone.close()


def shop_with_widget(desk: Desk, chromium: Browser, token: str, extra: str = "") -> BrowserContext:
    """A shop site on another origin that embeds the widget with the customer's token."""
    # Both servers are on this machine: Chromium asks before a site reaches a loopback address.
    shop = chromium.new_context(
        locale="ko-KR", viewport={"width": 1280, "height": 800}, permissions=["local-network-access"]
    )
    host_page = (
        '<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>가게</title></head>'
        f'<body><h1>우리 가게</h1><script src="{desk.url}/static/js/chat-widget.js" '
        f'data-gogaek-token="{token}" {extra} async></script></body></html>'
    )
    # The host site is served by the browser itself: nothing leaves this machine.
    shop.route("http://shop.localhost/**", lambda route: route.fulfill(body=host_page, content_type="text/html"))
    return shop


def test_widget_on_a_host_site_talks_to_the_bot(desk: Desk, chromium: Browser) -> None:
    """A shop page on another origin embeds the widget with its token: no cookie, no iframe."""
    token = issue_customer_token(desk.settings, sub="e2e-widget", name="위젯고객")
    shop = shop_with_widget(desk, chromium, token)
    page = shop.new_page()
    problems = watch_console(page)
    page.goto("http://shop.localhost/")
    page.get_by_role("button", name="채팅 상담").click()
    log = page.locator(".gcw-panel #chat-log")
    expect(log.locator("li[data-sender=bot]").first).to_contain_text("고객센터 챗봇")
    page.locator(".gcw-panel #chat-input").fill("상담 운영시간이 어떻게 되나요?")
    page.locator(".gcw-panel #chat-input").press("Enter")
    expect(log.locator("li[data-sender=customer]")).to_contain_text("운영시간")
    expect(log.locator("li[data-sender=bot]").nth(1)).to_contain_text("1577-3754")
    screenshot(page, "chat-widget.png")
    assert problems == []
    shop.close()


def test_widget_speaks_english_from_the_token_or_the_host_pages_choice(desk: Desk, chromium: Browser) -> None:
    """The token's ``locale`` claim, else ``data-gogaek-lang`` on the tag; both beat a Korean browser."""
    by_token = issue_customer_token(desk.settings, sub="e2e-widget-en", name="Jamie", locale="en")
    plain = issue_customer_token(desk.settings, sub="e2e-widget-lang", name="Sam")
    for token, extra in ((by_token, ""), (plain, 'data-gogaek-lang="en"')):
        shop = shop_with_widget(desk, chromium, token, extra=extra)
        page = shop.new_page()
        problems = watch_console(page)
        page.goto("http://shop.localhost/")
        page.get_by_role("button", name="Chat with us").click()
        panel = page.locator(".gcw-panel")
        expect(panel.locator(".gcw-head")).to_contain_text("Help Center chat")
        expect(panel.get_by_role("button", name="Close")).to_be_visible()
        expect(panel.locator("#chat-log li[data-sender=bot]").first).to_contain_text("Hello! I'm the help center")
        assert not HANGUL.search(panel.locator(".gcw-head").inner_text() + panel.locator("#chat-status").inner_text())
        assert problems == []
        shop.close()
