"""Online inquiry end to end in Debian's chromium, against a real server with its job worker.

A customer signed in by the host app files an inquiry with a photo on a phone; an agent
signs in with TOTP, answers with a macro; the customer sees the answer, marks it solved and
rates it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Playwright, expect

from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.inquiries.models import Macro
from tests.e2e.conftest import Desk, screenshot, serve_desk, staff_sign_in, watch_console

pytestmark = pytest.mark.e2e

AGENT_EMAIL = "agent@example.com"
AGENT_PASSWORD = "agent-password-123"
MACRO_TITLE = "결제 확인 안내"
MACRO_BODY = "{고객명}님, 문의번호 {문의번호} 건의 이중 결제는 취소 처리했습니다."


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Desk]:
    agent = StaffCreate(email=AGENT_EMAIL, password=AGENT_PASSWORD, display_name="상담사 한결", role=StaffRole.AGENT)
    macro = Macro(title=MACRO_TITLE, body=MACRO_BODY)
    with serve_desk(tmp_path_factory.mktemp("e2e-inquiries"), embedding_cache, agent, macro) as desk:
        yield desk


def _receipt_photo(folder: Path) -> Path:
    path = folder / "영수증.png"
    image = Image.new("RGB", (320, 200), "white")
    image.paste((30, 90, 200), (20, 20, 300, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_customer_files_agent_answers_with_macro_customer_rates(
    desk: Desk, playwright: Playwright, chromium: Browser, tmp_path: Path
) -> None:
    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    customer = phone.new_page()
    customer_problems = watch_console(customer)
    token = issue_customer_token(desk.settings, sub="e2e-customer", name="김고객")
    customer.goto(f"{desk.url}/auth/customer?token={token}&next=/inquiries/new")
    expect(customer).to_have_url(re.compile(r"/inquiries/new$"))
    customer.locator("#f-category").select_option("payment")
    customer.locator("#f-title").fill("같은 결제가 두 번 됐어요")
    customer.locator("#f-body").fill("어제 편의점에서 4,500원이 두 번 결제됐어요. 연락처 010-1234-5678")
    customer.locator("#f-attachments").set_input_files(str(_receipt_photo(tmp_path)))
    screenshot(customer, "inquiry-form.png")
    customer.locator("#submit-inquiry").click()
    expect(customer.locator("#inquiry-number")).to_be_visible()
    number = customer.locator("#inquiry-number").inner_text().strip()
    expect(customer.locator("#inquiry-status")).to_contain_text("접수")
    expect(customer.locator("img.attachment-thumb")).to_be_visible()
    expect(customer.locator("#inquiry-body")).not_to_contain_text("1234-5678")
    inquiry_url = customer.url
    screenshot(customer, "inquiry-submitted.png")

    office = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    agent = office.new_page()
    agent_problems = watch_console(agent)
    staff_sign_in(agent, f"{desk.url}/console", AGENT_EMAIL, AGENT_PASSWORD, desk.agent_totp)
    row = agent.locator("table#queue tbody tr", has_text="같은 결제가 두 번 됐어요")
    expect(row).to_be_visible()
    row.locator("a.queue-link").click()
    expect(agent.locator("#inquiry-number")).to_contain_text(number)
    expect(agent.locator("img.attachment-thumb")).to_be_visible()
    agent.locator("#macro-select").select_option(label=MACRO_TITLE)
    agent.locator("#macro-apply").click()
    reply = agent.locator("#reply-body")
    expect(reply).to_have_value(re.compile(f"김고객님, 문의번호 {re.escape(number)} 건"))
    screenshot(agent, "console-macro.png")
    agent.locator("#reply-submit").click()
    expect(agent.locator("#inquiry-status")).to_contain_text("답변완료")
    screenshot(agent, "console-answered.png")

    customer.goto(inquiry_url)
    answer = customer.locator("#thread li.message[data-author=agent]")
    expect(answer).to_contain_text("이중 결제는 취소 처리했습니다")
    expect(customer.locator("#inquiry-status")).to_contain_text("답변완료")
    customer.locator("#resolve-button").click()
    expect(customer.locator("#inquiry-status")).to_contain_text("해결")
    customer.locator("label[for=f-score-5]").click()
    customer.locator("#f-comment").fill("빠르게 처리해 주셔서 감사합니다")
    customer.locator("#feedback-button").click()
    expect(customer.locator("#feedback-result")).to_contain_text("5")
    screenshot(customer, "inquiry-rated.png")

    agent.reload()
    expect(agent.locator("#inquiry-status")).to_contain_text("해결")
    expect(agent.locator("#feedback")).to_contain_text("빠르게 처리해 주셔서 감사합니다")
    assert customer_problems == [] and agent_problems == []
    phone.close()
    office.close()
