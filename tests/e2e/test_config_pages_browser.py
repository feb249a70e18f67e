"""Configuration pages in Debian's chromium: an admin adds an SLA policy on /admin/sla and the
next inquiry a customer files promises the new first-answer time, on the page and in the API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from gogaek.calendar.business_time import business_time_between
from gogaek.calendar.hours import BusinessHours
from gogaek.config import Settings
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.pages import due_text
from tests.e2e.conftest import demo_database, running_server, screenshot, staff_sign_in, watch_console
from tests.servers import local_http

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = "sla-admin@example.com"
ADMIN_PASSWORD = "sla-admin-password-1"


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    admin_totp: str


async def _prepare(settings: Settings) -> str:
    async with demo_database(settings) as session:
        data = StaffCreate(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, display_name="운영 관리자", role=StaffRole.ADMIN)
        admin = await create_staff_user(session, data, with_totp=True)
    assert admin.totp_secret is not None
    return admin.totp_secret


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[Site]:
    settings = Settings(
        env="test",
        data_dir=tmp_path_factory.mktemp("e2e-config"),
        search_refresh_seconds=0,
        embedding_cache=embedding_cache,
        search_semantic=False,
    )
    secret = asyncio.run(_prepare(settings))
    with running_server(settings, {"GOGAEK_SEARCH_SEMANTIC": "false"}) as url:
        yield Site(url, settings, secret)


def _file_inquiry(page: Page, site: Site, title: str) -> tuple[str, timedelta]:
    """Files a payment inquiry on the form; returns the promise shown and its length in business time."""
    page.goto(f"{site.url}/inquiries/new")
    page.locator("#f-category").select_option("payment")
    page.locator("#f-title").fill(title)
    page.locator("#f-body").fill("어제 결제가 두 번 승인됐어요. 확인 부탁드립니다.")
    page.locator("#submit-inquiry").click()
    expect(page.locator("#inquiry-number")).to_be_visible()
    shown = page.locator("#inquiry-due").inner_text()
    inquiry_id = re.search(r"/inquiries/(\d+)", page.url)
    assert inquiry_id is not None
    token = issue_customer_token(site.settings, sub="e2e-sla-customer", name="김고객")
    answer = local_http().get(
        f"{site.url}/api/v1/inquiries/{inquiry_id.group(1)}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    due = datetime.fromisoformat(body["first_response_due_at"])
    created = datetime.fromisoformat(body["created_at"])
    assert due_text(due) in shown
    return shown, business_time_between(created, due, BusinessHours())


def test_sla_policy_from_the_page_changes_the_next_inquirys_promise(
    site: Site, playwright: Playwright, chromium: Browser
) -> None:
    phone = chromium.new_context(**playwright.devices["Pixel 7"], locale="ko-KR")
    customer = phone.new_page()
    customer_problems = watch_console(customer)
    token = issue_customer_token(site.settings, sub="e2e-sla-customer", name="김고객")
    customer.goto(f"{site.url}/auth/customer?token={token}&next=/inquiries/new")
    expect(customer).to_have_url(re.compile(r"/inquiries/new$"))
    _, before = _file_inquiry(customer, site, "결제가 두 번 됐어요 (정책 전)")
    assert before == timedelta(hours=9)  # no policy yet: one business day

    office = chromium.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    admin = office.new_page()
    admin_problems = watch_console(admin)
    staff_sign_in(admin, f"{site.url}/admin", ADMIN_EMAIL, ADMIN_PASSWORD, site.admin_totp)
    admin.get_by_role("navigation", name="관리자 메뉴").get_by_role("link", name="SLA").click()
    expect(admin.get_by_role("heading", name="SLA 정책")).to_be_visible()
    expect(admin.get_by_text("5초 안에")).to_be_visible()
    admin.locator("#f-category_id").select_option(label="결제")
    admin.locator("#f-first_response_hours").fill("1")
    admin.locator("#f-resolution_hours").fill("2")
    admin.get_by_role("button", name="정책 추가").click()
    expect(admin.get_by_text("SLA 정책을 저장했습니다")).to_be_visible()
    expect(admin.locator(".admin-table tbody tr", has_text="결제")).to_contain_text("1시간")
    screenshot(admin, "admin-sla-saved.png")

    shown, after = _file_inquiry(customer, site, "결제가 두 번 됐어요 (정책 후)")
    assert after == timedelta(hours=1)
    screenshot(customer, "inquiry-after-sla-change.png")
    assert "첫 답변 예정" in shown

    admin.goto(f"{site.url}/admin/audit?action=sla_policy.create")
    expect(admin.locator("#audit-entries tbody tr", has_text="sla_policy.create")).to_contain_text(ADMIN_EMAIL)
    assert customer_problems == [] and admin_problems == []
    phone.close()
    office.close()
