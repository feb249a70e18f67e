"""A phone agent works a callback to 통화 완료 in Debian's chromium, against a real server.

The callback is booked straight in the database (booking has its own browser test); the agent
signs in, opens 전화 예약, claims it, records the identity check (which unmasks the customer),
writes a note the customer may read and resolves the inquiry; the customer then sees the note
and the resolved status in 문의 내역 on a phone screen.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect

from gogaek.config import Settings
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import Customer, StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from tests.e2e.conftest import demo_database, running_server, screenshot, staff_sign_in, watch_console
from tests.phone.factories import make_callback, sensitive_category

pytestmark = pytest.mark.e2e

AGENT_EMAIL = "phone-agent@example.com"
AGENT_PASSWORD = "agent-password-123"
CUSTOMER_SUB = "e2e-callback-customer"
NOTE = "결제 비밀번호 초기화를 도와드렸습니다. 앱에서 새 비밀번호를 설정해 주세요."


@dataclass(frozen=True)
class PhoneDesk:
    url: str
    settings: Settings
    callback_id: int
    callback_number: str


async def _prepare(settings: Settings) -> tuple[int, str]:
    async with demo_database(settings) as session:
        await create_staff_user(
            session,
            StaffCreate(email=AGENT_EMAIL, password=AGENT_PASSWORD, display_name="상담사 한결", role=StaffRole.AGENT),
        )
        customer = Customer(external_id=CUSTOMER_SUB, name="김고객", phone="010-1234-5678", email="kim@example.com")
        session.add(customer)
        await session.commit()
        callback = await make_callback(session, customer, await sensitive_category(session))
        number = callback.number or ""
        callback_id = callback.id
    return callback_id, number


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[PhoneDesk]:
    data_dir = tmp_path_factory.mktemp("e2e-callbacks")
    settings = Settings(
        env="test", data_dir=data_dir, search_refresh_seconds=0, embedding_cache=embedding_cache, search_semantic=False
    )
    callback_id, number = asyncio.run(_prepare(settings))
    with running_server(settings, {"GOGAEK_SEARCH_SEMANTIC": "false"}) as url:
        yield PhoneDesk(url, settings, callback_id, number)


def test_agent_works_a_callback_to_completed_and_the_customer_sees_it(
    desk: PhoneDesk, playwright: Playwright, chromium: Browser
) -> None:
    office = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    agent = office.new_page()
    agent_problems = watch_console(agent)
    staff_sign_in(agent, f"{desk.url}/console", AGENT_EMAIL, AGENT_PASSWORD)
    agent.locator("#nav-console-callbacks").click()
    row = agent.locator(f"tr.callback-row[data-callback-id='{desk.callback_id}']")
    expect(row).to_contain_text("김**")
    expect(row).to_contain_text("010-9876-5432")
    row.locator("a.callback-link").click()

    expect(agent.locator("#callback-number")).to_have_text(desk.callback_number)
    expect(agent.locator("#masked-notice")).to_be_visible()
    expect(agent.locator("#booking-verification")).to_contain_text("앱 로그인 본인인증")
    agent.locator("#claim-button").click()
    expect(agent.locator("#callback-status")).to_have_text("통화 중")
    expect(agent.locator("#customer-name")).to_have_text("김**")
    screenshot(agent, "callback-claimed.png")

    agent.get_by_label("성함").check()
    agent.get_by_label("생년월일").check()
    agent.locator("#check-passed").check()
    agent.locator("#check-submit").click()
    expect(agent.locator("#identity-confirmed")).to_have_text("본인 확인 완료")
    expect(agent.locator("#masked-notice")).to_have_count(0)
    expect(agent.locator("#customer-name")).to_have_text("김고객")
    expect(agent.locator("#customer-email")).to_have_text("kim@example.com")

    agent.locator("#outcome-completed").check()
    agent.locator("#outcome-note").fill(NOTE)
    agent.locator("#outcome-public").check()
    agent.locator("#outcome-resolve").check()
    agent.locator("#outcome-submit").click()
    expect(agent.locator("#callback-status")).to_have_text("통화 완료")
    expect(agent.locator("#callback-outcome-note")).to_have_text(NOTE)
    screenshot(agent, "callback-completed.png")

    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    customer = phone.new_page()
    customer_problems = watch_console(customer)
    token = issue_customer_token(desk.settings, sub=CUSTOMER_SUB, name="김고객")
    customer.goto(f"{desk.url}/auth/customer?token={token}&next=/inquiries")
    expect(customer).to_have_url(re.compile(r"/inquiries$"))
    customer.get_by_role("link", name=re.compile("전화 상담 예약")).first.click()
    expect(customer.locator("#inquiry-status")).to_contain_text("해결")
    expect(customer.locator("#thread li.message[data-author=agent]")).to_contain_text(NOTE)
    screenshot(customer, "callback-outcome-customer.png")
    assert agent_problems == [] and customer_problems == []
    phone.close()
    office.close()
