"""The help center in a real browser (Debian's chromium) against a real uvicorn server.

Scenario 1 is a customer on a phone: search with live suggestions, open an answer, vote.
Scenario 2 is an admin: edit a question, and the help-center search finds it at once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from gogaek.config import Settings
from gogaek.db import create_engine
from gogaek.demo import load_demo_content
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.migrate import upgrade_database
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import running_server, screenshot, staff_sign_in, watch_console

pytestmark = pytest.mark.e2e
ADMIN_TOTP: list[str] = []  # filled when the module's server is prepared


async def _prepare_database(settings: Settings) -> None:
    engine = create_engine(settings)
    await upgrade_database(engine)
    await engine.dispose()
    from gogaek.db import create_sessionmaker

    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        await load_demo_content(session)
        admin = await create_staff_user(
            session,
            StaffCreate(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, display_name="관리자", role=StaffRole.ADMIN),
            with_totp=True,
        )
        ADMIN_TOTP.append(admin.totp_secret or "")
    await engine.dispose()


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[str]:
    """A migrated SQLite data dir with demo content and an admin (with TOTP), served by uvicorn."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    settings = Settings(env="test", data_dir=data_dir, search_refresh_seconds=0, embedding_cache=embedding_cache)
    asyncio.run(_prepare_database(settings))
    with running_server(settings) as url:
        yield url


def _type_with_korean_ime(page: Page, syllables: list[list[str]]) -> None:
    """Types like a Korean keyboard: each syllable is composed jamo by jamo, then committed,
    so the page sees compositionstart/update, input events while composing, compositionend."""
    cdp = page.context.new_cdp_session(page)
    for steps in syllables:
        for partial in steps:
            cdp.send(
                "Input.imeSetComposition",
                {"text": partial, "selectionStart": len(partial), "selectionEnd": len(partial)},
            )
        cdp.send("Input.insertText", {"text": steps[-1]})
    cdp.detach()


def test_customer_on_a_phone_searches_reads_and_votes(
    server_url: str, playwright: Playwright, chromium: Browser
) -> None:
    context = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    page = context.new_page()
    problems = watch_console(page)
    page.goto(server_url + "/")
    expect(page.get_by_role("heading", name="무엇을 도와드릴까요?")).to_be_visible()
    screenshot(page, "mobile-home.png")

    box = page.locator("#home-search")
    box.click()
    _type_with_korean_ime(page, [["ㅅ", "소", "송"], ["ㄱ", "그", "금"]])
    expect(box).to_have_value("송금")
    suggestions = page.locator("#home-search-list [role=option]")
    expect(suggestions.first).to_be_visible()
    expect(suggestions.first).to_contain_text("송금")
    screenshot(page, "mobile-suggestions.png")
    box.press("ArrowDown")
    expect(suggestions.first).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    expect(suggestions.first).to_have_attribute("aria-selected", "false")
    box.press_sequentially("이 안돼요")
    expect(box).to_have_value("송금이 안돼요")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(page.get_by_role("heading", level=1)).to_contain_text("송금이 안돼요")
    first = page.locator(".result-title").first
    expect(first).to_contain_text("송금")
    question = first.inner_text()
    first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(question)
    expect(page.get_by_text("도움이 되었나요?")).to_be_visible()
    page.get_by_role("button", name="예", exact=True).click()
    expect(page.get_by_text("소중한 의견 감사합니다").first).to_be_visible()
    expect(page.get_by_role("button", name="예", exact=True)).to_be_hidden()
    screenshot(page, "mobile-article-voted.png")
    assert problems == []
    context.close()


def test_admin_edit_is_found_by_search_at_once(server_url: str, chromium: Browser) -> None:
    context = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    staff_sign_in(page, server_url + "/admin", ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOTP[0])
    expect(page.get_by_role("heading", name="FAQ 관리")).to_be_visible()

    page.get_by_role("link", name="게시중").click()
    first_article = page.locator(".admin-table tbody a").first
    original = first_article.inner_text()
    first_article.click()
    question = page.get_by_label("질문")
    expect(question).to_have_value(original)
    edited = f"{original} 무지개다리 안내"
    question.fill(edited)
    page.get_by_role("button", name="저장", exact=True).click()
    expect(page.get_by_text("저장했습니다")).to_be_visible()
    screenshot(page, "admin-article-saved.png")

    page.goto(server_url + "/")
    box = page.locator("#home-search")
    box.fill("무지개다리")
    box.press("Enter")
    expect(page.locator(".result-title").first).to_have_text(edited)
    assert problems == []
    context.close()
