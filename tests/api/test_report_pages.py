"""The report dashboard, its CSV exports and JSON API: who may see them, filters, CSV content.

On both backends. Staff sign in through the real form; the numbers themselves are checked in
test_report_numbers.py, here only that the page, CSV and JSON show them.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.reports.service import BUILDERS
from tests.api.test_agent_auth import file_inquiry, make_customer, make_staff, sign_in
from tests.api.test_console_pages import console_sign_in
from tests.api.test_pages import browser

__all__ = ["browser"]

SUPERVISOR, AGENT, ADMIN = "lead@example.com", "agent@example.com", "boss@example.com"


@pytest.fixture
async def staff(session: AsyncSession, settings: Settings) -> dict[str, StaffUser]:
    session.add(Category(slug="payment", name="결제"))
    session.add(Category(slug="formula", name='=HYPERLINK("http://evil")'))
    await session.commit()
    customer = await make_customer(session)
    await file_inquiry(session, settings, customer)
    await file_inquiry(session, settings, customer, category="formula", title="수식 카테고리")
    return {
        "supervisor": await make_staff(session, SUPERVISOR, role=StaffRole.SUPERVISOR, name="박팀장"),
        "agent": await make_staff(session, AGENT, name="김상담"),
        "admin": await make_staff(session, ADMIN, role=StaffRole.ADMIN, name="관리자"),
    }


async def signed_in(browser: httpx.AsyncClient, email: str) -> None:
    response = await console_sign_in(browser, email)
    assert response.status_code == 303, response.text


@pytest.mark.parametrize("email", [SUPERVISOR, ADMIN])
async def test_managers_see_every_chart(browser: httpx.AsyncClient, staff: dict[str, StaffUser], email: str) -> None:
    await signed_in(browser, email)
    console = await browser.get("/console")
    assert 'id="nav-console-reports" href="/console/reports"' in console.text
    page = await browser.get("/console/reports")
    assert page.status_code == 200, page.text
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="report-chart"') == len(BUILDERS)
    for key in ("volume_channel", "first_response", "sla", "backlog", "csat", "searches", "chat", "agents", "phone"):
        assert f'data-chart="{key}"' in page.text
        assert f"/console/reports/csv?chart={key}&amp;from=" in page.text
    assert "채널별 문의 접수량" in page.text and "SLA 목표" in page.text
    assert "영업시간 월화수목금 09:00–18:00" in page.text  # the hours in force, not a fixed text


async def test_agents_are_refused_and_the_role_is_checked_on_every_request(
    browser: httpx.AsyncClient, session: AsyncSession, staff: dict[str, StaffUser]
) -> None:
    await signed_in(browser, AGENT)
    assert (await browser.get("/console")).text.count('id="nav-console-reports"') == 0
    assert (await browser.get("/console/reports")).status_code == 403
    assert (await browser.get("/console/reports/csv?chart=csat")).status_code == 403
    browser.cookies.clear()

    await signed_in(browser, SUPERVISOR)
    assert (await browser.get("/console/reports")).status_code == 200
    await session.execute(update(StaffUser).where(StaffUser.email == SUPERVISOR).values(role=StaffRole.AGENT.value))
    await session.commit()
    assert (await browser.get("/console/reports")).status_code == 403


async def test_signed_out_goes_to_sign_in(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/console/reports?from=2026-01-01")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?next=/console/reports")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30", "날짜 형식"),
        ("from=2026-12-01&to=2026-11-01", "시작일이 종료일보다 늦습니다"),
        ("channel=fax", "채널은 웹, 채팅, 이메일, 전화 중에서"),
        ("category=999999", "없는 카테고리입니다"),
        ("team=abc", "팀을(를) 목록에서 골라 주세요"),
    ],
)
async def test_bad_filters_say_what_is_wrong(
    browser: httpx.AsyncClient, staff: dict[str, StaffUser], query: str, message: str
) -> None:
    await signed_in(browser, SUPERVISOR)
    page = await browser.get(f"/console/reports?{query}")
    assert page.status_code == 400
    assert 'id="report-errors"' in page.text and message in page.text
    assert 'id="report-filter"' in page.text  # the form is there to fix it
    export = await browser.get(f"/console/reports/csv?chart=csat&{query}", headers={"Accept": "application/json"})
    assert export.status_code == 400
    assert export.json()["code"] == "report_filter_invalid"


async def test_filters_are_kept_in_the_form_and_the_csv_links(
    browser: httpx.AsyncClient, staff: dict[str, StaffUser]
) -> None:
    await signed_in(browser, SUPERVISOR)
    page = await browser.get("/console/reports?from=2026-11-01&to=2026-11-30&channel=web")
    assert page.status_code == 200
    assert 'value="2026-11-01"' in page.text and 'value="web" selected' in page.text
    assert "/console/reports/csv?chart=csat&amp;from=2026-11-01&amp;to=2026-11-30&amp;channel=web" in page.text


async def test_csv_export_is_excel_ready_and_safe(browser: httpx.AsyncClient, staff: dict[str, StaffUser]) -> None:
    await signed_in(browser, SUPERVISOR)
    today = (utcnow() + timedelta(hours=9)).date()
    response = await browser.get(f"/console/reports/csv?chart=volume_category&from={today - timedelta(days=6)}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "날짜" and rows[0][-1] == "합계"
    assert '\'=HYPERLINK("http://evil")' in rows[0]  # a category name cannot run as a formula
    assert "결제" in rows[0]
    assert len(rows) == 1 + 7
    assert sum(int(row[-1]) for row in rows[1:]) == 2


@pytest.mark.parametrize(("query", "code"), [("", "report_chart_missing"), ("chart=nope", "report_chart_unknown")])
async def test_csv_needs_a_known_chart(
    browser: httpx.AsyncClient, staff: dict[str, StaffUser], query: str, code: str
) -> None:
    await signed_in(browser, SUPERVISOR)
    response = await browser.get(f"/console/reports/csv?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == code


async def test_json_api(client: httpx.AsyncClient, staff: dict[str, StaffUser]) -> None:
    agent = await sign_in(client, AGENT)
    assert (await client.get("/api/v1/admin/reports", headers=agent)).status_code == 403
    lead = await sign_in(client, SUPERVISOR)
    everything = await client.get("/api/v1/admin/reports", headers=lead)
    assert everything.status_code == 200
    assert [chart["key"] for chart in everything.json()] == list(BUILDERS)
    one = await client.get("/api/v1/admin/reports?chart=volume_channel&channel=web", headers=lead)
    [chart] = one.json()
    assert chart["headers"] == ["날짜", "웹", "합계"]
    assert sum(row[-1] for row in chart["rows"]) == 2
    bad = await client.get("/api/v1/admin/reports?from=어제", headers=lead)
    assert bad.status_code == 400 and bad.json()["code"] == "report_filter_invalid"
