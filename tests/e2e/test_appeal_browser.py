"""The suspension appeal end to end in Debian's chromium, on a 390-px phone screen.

A customer verified by the host app files an appeal with a photo; an agent asks for more
evidence; the customer adds a file; the agent lifts the restriction; the customer sees 해제.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright, expect

from gogaek.appeals.schemas import seoul_today
from gogaek.db import utcnow
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.inquiries.models import Macro
from tests.e2e.conftest import Desk, screenshot, serve_desk, staff_sign_in, watch_console

pytestmark = pytest.mark.e2e

AGENT_EMAIL = "reviewer@example.com"
AGENT_PASSWORD = "reviewer-password-123"
PHONE_SCREEN = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Desk]:
    agent = StaffCreate(email=AGENT_EMAIL, password=AGENT_PASSWORD, display_name="심사관 하늘", role=StaffRole.AGENT)
    macro = Macro(title="이용 제한 안내", body="{고객명}님, 검토하겠습니다.")
    with serve_desk(tmp_path_factory.mktemp("e2e-appeals"), embedding_cache, agent, macro) as desk:
        yield desk


def _photo(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = folder / name
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _decide(agent: Page, outcome: str, reason: str = "") -> None:
    agent.locator(f"#outcome-{outcome}").check()
    agent.locator("#appeal-reason").fill(reason)
    agent.locator("#appeal-decide").click()


def test_appeal_more_evidence_then_lifted(
    desk: Desk, playwright: Playwright, chromium: Browser, tmp_path: Path
) -> None:
    phone = chromium.new_context(**PHONE_SCREEN, has_touch=True, locale="ko-KR")  # type: ignore[arg-type]
    customer = phone.new_page()
    customer_problems = watch_console(customer)
    token = issue_customer_token(desk.settings, sub="e2e-suspended", name="정고객", verified_at=utcnow())
    customer.goto(f"{desk.url}/categories/restrictions")
    expect(customer.locator("#appeal-link")).to_be_visible()
    customer.goto(f"{desk.url}/auth/customer?token={token}&next=/appeal")
    expect(customer).to_have_url(re.compile(r"/appeal$"))
    expect(customer.locator("#verified-until")).to_be_visible()
    customer.locator("#f-description").fill("해외에서 제 카드로 결제했을 뿐인데 계정이 정지됐어요.")
    customer.locator("#f-restricted_on").fill((seoul_today() - timedelta(days=3)).isoformat())
    customer.locator("#f-restriction_ref").fill("RS-2026-0042")
    customer.locator("#f-attachments").set_input_files(str(_photo(tmp_path, "카드명세서.png", (30, 90, 200))))
    assert _fits_the_screen(customer)
    screenshot(customer, "appeal-form.png")
    customer.locator("#submit-appeal").click()
    expect(customer.locator("#appeal-label")).to_have_text("검토 중")
    expect(customer.locator("img.attachment-thumb")).to_be_visible()
    inquiry_path = customer.url.removeprefix(desk.url)
    assert re.fullmatch(r"/inquiries/\d+", inquiry_path)
    assert _fits_the_screen(customer)

    office = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    agent = office.new_page()
    agent_problems = watch_console(agent)
    staff_sign_in(agent, f"{desk.url}/console{inquiry_path}", AGENT_EMAIL, AGENT_PASSWORD, desk.agent_totp)
    expect(agent.locator("#appeal-ref")).to_have_text("RS-2026-0042")
    _decide(agent, "more_evidence", "카드 명세서 원본(카드사 앱 캡처)")
    expect(agent.locator("#appeal-outcome")).to_contain_text("추가 자료 요청")
    screenshot(agent, "appeal-console.png")

    customer.reload()
    expect(customer.locator("#appeal-label")).to_have_text("추가 자료 요청")
    expect(customer.locator("#appeal-reason")).to_contain_text("카드 명세서 원본")
    customer.locator("#f-message-body").fill("카드사 앱에서 캡처한 명세서입니다.")
    customer.locator("#f-message-attachments").set_input_files(str(_photo(tmp_path, "명세서.png", (200, 60, 40))))
    customer.locator("#message-button").click()
    expect(customer.locator("#appeal-label")).to_have_text("검토 중")
    expect(customer.locator("#thread li.message[data-author=customer] img.attachment-thumb")).to_be_visible()

    agent.reload()
    expect(agent.locator("#thread, #timeline").locator("img.attachment-thumb")).to_have_count(1)
    _decide(agent, "lifted")
    expect(agent.locator("#appeal-outcome")).to_contain_text("해제")
    expect(agent.locator("#inquiry-status")).to_contain_text("해결")

    customer.reload()
    expect(customer.locator("#appeal-label")).to_have_text("해제")
    expect(customer.locator("#inquiry-status")).to_contain_text("해결")
    screenshot(customer, "appeal-lifted.png")
    customer.goto(f"{desk.url}/inquiries")
    expect(customer.locator(".appeal-status")).to_contain_text("해제")
    assert _fits_the_screen(customer)
    assert customer_problems == [] and agent_problems == []
    phone.close()
    office.close()
