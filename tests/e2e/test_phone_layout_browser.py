"""The customer pages on a 390-px phone in chromium (issue 15, rough edges): the header keeps the
brand on one line, the menu on one row, and every search box shows its whole placeholder; when
what was typed has no good answer, autocomplete says so instead of offering a confident first row."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from gogaek.config import Settings
from tests.e2e.conftest import demo_database, running_server, screenshot, watch_console

pytestmark = pytest.mark.e2e
PHONE: ViewportSize = {"width": 390, "height": 844}
PAGES = ["/", "/search?q=송금", "/notices", "/contact", "/categories/payment"]


async def _prepare(settings: Settings) -> None:
    async with demo_database(settings):
        pass


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("e2e-phone-layout")
    settings = Settings(
        env="test", data_dir=data_dir, search_refresh_seconds=0, embedding_cache=embedding_cache, search_semantic=False
    )
    asyncio.run(_prepare(settings))
    with running_server(settings, {"GOGAEK_SEARCH_SEMANTIC": "false"}) as url:
        yield url


def _line_count(page: Page, selector: str) -> int:
    """How many lines the element's text is laid out on (distinct tops of its text fragments)."""
    count: int = page.evaluate(
        """(selector) => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector(selector));
            const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            return tops.size;
        }""",
        selector,
    )
    return count


def _nav_rows(page: Page) -> int:
    rows: int = page.evaluate(
        """() => new Set([...document.querySelectorAll('.site-header .header-nav > a')]
                 .map((a) => Math.round(a.getBoundingClientRect().top))).size"""
    )
    return rows


def _cut_placeholders(page: Page) -> list[str]:
    """Placeholders wider than the room inside their input, measured in the input's own font."""
    cut: list[str] = page.evaluate(
        """() => {
            const canvas = document.createElement('canvas').getContext('2d');
            const cut = [];
            for (const input of document.querySelectorAll('input[placeholder]')) {
                if (!input.offsetParent) continue;
                const style = getComputedStyle(input, '::placeholder');
                canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                if (canvas.measureText(input.placeholder).width > room) cut.push(input.placeholder);
            }
            return cut;
        }"""
    )
    return cut


@pytest.mark.parametrize("path", PAGES)
def test_header_fits_a_390_px_phone(server_url: str, chromium: Browser, path: str) -> None:
    context = chromium.new_context(locale="ko-KR", viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    problems = watch_console(page)
    page.goto(server_url + path)
    assert page.locator(".brand").inner_text() == "고객센터"
    assert _line_count(page, ".site-header .brand") == 1
    assert _nav_rows(page) == 1
    assert _cut_placeholders(page) == []
    # Nothing sticks out sideways: the page itself never scrolls horizontally.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if path == "/":
        screenshot(page, "phone-390-home.png")
    assert problems == []
    context.close()


def test_autocomplete_shows_no_good_answer_plainly(server_url: str, chromium: Browser) -> None:
    """The server's verdict (``no_match``) is stubbed: this is about what the script shows."""
    context = chromium.new_context(locale="ko-KR", viewport=PHONE)
    page = context.new_page()
    problems = watch_console(page)
    closest = [{"id": 1, "question": "가장 가까운 질문", "category": "결제"}]

    def answer(route: Route) -> None:
        body = {"query": "주식 투자 수익률", "suggestions": closest, "no_match": True}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/faq/suggest?*", answer)
    page.goto(server_url + "/")
    box = page.locator("#home-search")
    box.fill("주식 투자 수익률")
    listing = page.locator("#home-search-list")
    expect(listing).to_be_visible()
    expect(listing.locator(".suggestion-note")).to_have_text("딱 맞는 답변을 찾지 못했어요. 가장 가까운 도움말:")
    expect(listing.locator("[role=option]")).to_have_count(1)
    expect(listing.locator("[role=option]")).to_have_attribute("aria-selected", "false")  # nothing picked for you
    people = listing.locator(".suggestion-people a")
    expect(people).to_have_text(["1:1 문의하기", "채팅 상담", "전화 상담 예약"])
    assert [people.nth(n).get_attribute("href") for n in range(3)] == ["/inquiries/new", "/chat", "/callbacks/new"]
    box.press("ArrowDown")  # the keyboard walks the articles only
    expect(listing.locator("[role=option]")).to_have_attribute("aria-selected", "true")
    screenshot(page, "phone-390-suggest-no-match.png")
    assert problems == []
    context.close()
