"""감사 로그 page: every change made on the configuration pages is listed and exported, with filters."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.calendar.hours import SEOUL
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole
from gogaek.jobs.models import Job, JobStatus
from tests.api.config_pages import make_staff, sign_in_as, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

AUDIT = "/admin/audit"


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_audit_log_needs_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    for url in (AUDIT, f"{AUDIT}.csv"):
        response = await browser.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={url}")
    await signed_in(browser, session, StaffRole.AGENT)
    for url in (AUDIT, f"{AUDIT}.csv"):
        assert (await browser.get(url)).status_code == 403, url


async def test_a_supervisor_reads_it(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    page = await browser.get(AUDIT)
    assert page.status_code == 200 and "staff.login" in page.text


@pytest.mark.usefixtures("admin_user")
async def test_every_configuration_change_is_in_the_log_and_its_csv(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    """One change from each page, by an admin whose email a spreadsheet would run as a formula."""
    await make_staff(session, "=cmd|calc@config.test", StaffRole.ADMIN)
    session.add(Category(slug="payment", name="결제"))
    parked = Job(kind="notify.email", status=JobStatus.PARKED.value)
    session.add(parked)
    await session.commit()
    parked_id = parked.id
    await sign_in_as(browser, "=cmd|calc@config.test")
    day = (datetime.now(SEOUL) + timedelta(days=40)).date().isoformat()
    changes = [
        (
            "/admin/staff/new",
            "/admin/staff/new",
            {"email": "new@config.test", "display_name": "새 직원", "role": "agent"},
        ),
        ("/admin/teams/new", "/admin/teams/new", {"name": "보안팀", "slug": "security"}),
        ("/admin/macros/new", "/admin/macros/new", {"title": "=SUM(A1)", "body": "안녕하세요", "is_active": "on"}),
        ("/admin/sla", "/admin/sla/new", {"first_response_hours": "2", "resolution_hours": "4"}),
        ("/admin/hours", "/admin/hours/days-off", {"day": day, "name": "창립기념일"}),
        ("/admin/webhooks/new", "/admin/webhooks/new", {"url": "https://93.184.216.34/hook", "is_active": "on"}),
        ("/admin/jobs", f"/admin/jobs/{parked_id}/drop", {}),
    ]
    for page, action, data in changes:
        response = await post_form(browser, page, action, data)
        assert response.status_code in (200, 303), (action, response.text)
    expected = [
        "staff.create",
        "team.create",
        "macro.create",
        "sla_policy.create",
        "calendar.day_off_add",
        "webhook.create",
        "job.drop",
    ]
    listed = await browser.get(AUDIT)
    assert listed.status_code == 200
    for action in expected:
        assert action in listed.text
    assert "=cmd|calc@config.test" in listed.text
    assert 'href="/admin/audit.csv"' in listed.text

    rows = csv_rows(await browser.get(f"{AUDIT}.csv"))
    assert rows[0] == ["번호", "시각(한국)", "행위자", "행위자 종류", "동작", "대상 종류", "대상 ID", "내용", "IP"]
    mine = [row for row in rows[1:] if row[2] == "'=cmd|calc@config.test"]
    assert [row[4] for row in mine][::-1][:8] == ["staff.login", *expected]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    macro_row = next(row for row in mine if row[4] == "macro.create")
    assert macro_row[7] == '{"title": "=SUM(A1)"}'
    day_row = next(row for row in mine if row[4] == "calendar.day_off_add")
    assert (day_row[5], day_row[6]) == ("day_off", day)


@pytest.mark.usefixtures("admin_user")
async def test_filters_select_the_same_rows_on_the_page_and_in_the_csv(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    other = await make_staff(session, "Other.Admin@config.test", StaffRole.ADMIN)
    record_audit(session, other, "team.create", target_type="team", target_id=7, detail={"slug": "a_b%"})
    record_audit(session, other, "team.delete", target_type="team", target_id=8)
    record_audit(session, None, "staff.locked", target_type="staff", target_id=1)
    await session.commit()

    async def actions(query: str) -> list[str]:
        rows = csv_rows(await browser.get(f"{AUDIT}.csv?{query}"))
        page = await browser.get(f"{AUDIT}?{query}")
        assert page.status_code == 200
        for row in rows[1:]:
            assert row[4] in page.text
        return [row[4] for row in rows[1:]]

    assert await actions("actor=other.ADMIN") == ["team.delete", "team.create"]
    assert await actions("actor=%25") == []  # a wildcard typed in the box is a literal character
    assert await actions("action=team.create") == ["team.create"]
    assert await actions("target_type=team&target_id=8") == ["team.delete"]
    assert await actions("actor=system") == ["staff.locked", "staff.create", "staff.create"]  # CLI-made accounts
    today = datetime.now(SEOUL).date()
    assert len(await actions(f"date_from={today}&date_to={today}")) >= 4
    assert await actions(f"date_from={today + timedelta(days=1)}") == []
    assert await actions(f"date_to={today - timedelta(days=1)}") == []
    bad = await browser.get(f"{AUDIT}?date_from=2026-02-30&action=team.delete")
    assert bad.status_code == 422 and "날짜를 확인해 주세요" in bad.text
    assert "team.delete" in bad.text and "team.create" not in bad.text  # the other filters still apply
    empty = await browser.get(f"{AUDIT}?action=nothing.here")
    assert "조건에 맞는 기록이 없습니다." in empty.text


@pytest.mark.usefixtures("admin_user")
async def test_older_entries_are_a_page_further(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await sign_in(browser)
    for number in range(60):
        record_audit(session, None, "test.entry", target_type="test", target_id=number)
    await session.commit()
    first = await browser.get(f"{AUDIT}?action=test.entry")
    assert first.text.count("test #") == 50 and "test #59" in first.text and "test #9<" not in first.text
    link = first.text.split('href="/admin/audit?')[-1].split('"')[0].replace("&amp;", "&")
    second = await browser.get(f"{AUDIT}?{link}")
    assert second.text.count("test #") == 10 and "test #9<" in second.text and "test #10<" not in second.text
    assert len(csv_rows(await browser.get(f"{AUDIT}.csv?action=test.entry"))) == 61
