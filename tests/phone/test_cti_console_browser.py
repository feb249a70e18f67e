"""The phone screen-pop in the agent console, in Debian's chromium: a PBX push (py-zammad-cti)
makes the caller's card appear on the signed-in agent's /console/chats before anyone speaks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from zammad_cti import CTIClient  # type: ignore[import-untyped]  # no type hints shipped

from gogaek.db import create_engine, create_sessionmaker
from gogaek.helpcenter.models import Category
from gogaek.identity.schemas import StaffCreate
from gogaek.inquiries.models import Inquiry, Macro
from gogaek.phone.cti import token_hash
from gogaek.phone.models import CtiToken
from tests.e2e.conftest import (  # noqa: F401 - fixtures
    Desk,
    chromium,
    playwright,
    screenshot,
    serve_desk,
    staff_sign_in,
    watch_console,
)
from tests.phone.cti_helpers import CALLER, CENTER, add_customer

pytestmark = pytest.mark.e2e

AGENT = StaffCreate(email="phone-agent@example.com", password="agent-password-123", display_name="상담사 보람")
TOKEN = "browser-cti-token"


async def _phone_rows(desk: Desk) -> None:
    """A push token and a verified caller with one inquiry, added to the served database."""
    engine = create_engine(desk.settings)
    async with create_sessionmaker(engine)() as session:
        session.add(CtiToken(name="browser PBX", token_hash=token_hash(TOKEN)))
        customer = await add_customer(session, "browser-caller", "010-1234-5678", name="최고객")
        category_id = await session.scalar(select(Category.id).limit(1))
        assert category_id is not None
        session.add(Inquiry(customer_id=customer.id, category_id=category_id, title="이중 결제", body="두 번 결제됨"))
        await session.commit()
    await engine.dispose()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Desk]:
    macro = Macro(title="인사", body="안녕하세요")
    with serve_desk(tmp_path_factory.mktemp("e2e-cti"), embedding_cache, AGENT, macro) as desk:
        asyncio.run(_phone_rows(desk))
        yield desk


def signed_in_console(desk: Desk, browser: Browser) -> Page:
    page = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900}).new_page()
    staff_sign_in(page, f"{desk.url}/console/chats", AGENT.email, AGENT.password, desk.agent_totp)
    expect(page).to_have_url(re.compile(r"/console/chats$"))
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "open")
    return page


def test_a_ringing_call_pops_the_callers_card_and_follows_the_answer(
    desk: Desk,
    chromium: Browser,  # noqa: F811 - the fixture imported above
) -> None:
    console = signed_in_console(desk, chromium)
    problems = watch_console(console)
    pop = console.locator("#call-pop")
    expect(pop).to_be_hidden()
    pbx = CTIClient(url=f"{desk.url}/api/v1/cti/{TOKEN}")

    pbx.new_call(_from=CALLER, to=CENTER, direction="in", call_id="browser-1", user=[AGENT.display_name])
    expect(pop).to_be_visible()
    expect(pop).to_have_attribute("data-state", "call_ringing")
    expect(pop.locator("h2")).to_contain_text("전화 수신 중")
    expect(pop.locator(".call-pop-caller")).to_contain_text("최고객")
    expect(pop.locator(".call-pop-caller")).to_contain_text("010-****-5678")
    expect(pop.locator(".call-pop-inquiries li")).to_contain_text("이중 결제")
    screenshot(console, "cti-screen-pop.png")

    pbx.answer(_from=CALLER, to=CENTER, direction="in", call_id="browser-1", user=AGENT.display_name)
    expect(pop).to_have_attribute("data-state", "call_answered")
    expect(pop.locator("h2")).to_contain_text("통화 중")

    pbx.new_call(_from="01000000000", to=CENTER, direction="in", call_id="browser-2", user=[AGENT.display_name])
    expect(pop).to_have_attribute("data-call-id", "browser-2")
    expect(pop.locator(".call-pop-caller")).to_contain_text("등록되지 않은 번호")
    pop.get_by_role("button", name="닫기").click()
    expect(pop).to_be_hidden()
    assert problems == []
