"""SLA 정책 and 운영 시간·휴무일 pages: changes apply to the next inquiry at once, with audit entries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.business_time import business_time_between
from gogaek.calendar.hours import SEOUL, korean_holidays
from gogaek.calendar.models import CompanyDayOff
from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole
from gogaek.inquiries.models import SlaPolicy
from tests.api.config_pages import audit_actions, field_error, signed_in
from tests.api.test_agent_auth import file_inquiry, make_customer
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

SLA = "/admin/sla"
HOURS = "/admin/hours"


async def policies(session: AsyncSession) -> list[SlaPolicy]:
    session.expire_all()
    return list((await session.scalars(select(SlaPolicy).order_by(SlaPolicy.id))).all())


async def days_off(session: AsyncSession) -> list[date]:
    session.expire_all()
    return list((await session.scalars(select(CompanyDayOff.day).order_by(CompanyDayOff.day))).all())


async def test_sla_and_hours_pages_need_an_admin_or_supervisor(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    for url in (SLA, f"{SLA}/1/edit", HOURS):
        response = await browser.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={url}")
    await signed_in(browser, session, StaffRole.AGENT)
    for url in (SLA, f"{SLA}/1/edit", HOURS):
        assert (await browser.get(url)).status_code == 403, url
    sent = {"first_response_hours": "1", "resolution_hours": "2"}
    assert (await post_form(browser, "/console", f"{SLA}/new", sent)).status_code == 403
    assert (await post_form(browser, "/console", f"{HOURS}/days-off", {"day": "2030-01-02"})).status_code == 403
    assert await policies(session) == [] and await days_off(session) == []


@pytest.mark.usefixtures("admin_user")
async def test_sla_policy_changes_the_next_inquirys_due_time_at_once(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await sign_in(browser)
    page = await browser.get(SLA)
    assert page.status_code == 200 and "아직 정책이 없습니다" in page.text and "5초 안에" in page.text
    assert "지금: 월화수목금 09:00–18:00" in page.text
    session.add(Category(slug="payment", name="결제"))
    await session.commit()
    customer = await make_customer(session)
    hours = await load_business_hours(session)

    async def promised() -> tuple[timedelta, timedelta]:
        await session.refresh(customer)
        inquiry = await file_inquiry(session, settings, customer)
        assert inquiry.first_response_due_at and inquiry.resolution_due_at
        return (
            business_time_between(inquiry.created_at, inquiry.first_response_due_at, hours),
            business_time_between(inquiry.created_at, inquiry.resolution_due_at, hours),
        )

    assert await promised() == (timedelta(hours=9), timedelta(hours=18))
    added = await post_form(browser, SLA, f"{SLA}/new", {"first_response_hours": "2", "resolution_hours": "4.5"})
    assert (added.status_code, added.headers["location"]) == (303, SLA)
    assert "SLA 정책을 저장했습니다" in (await browser.get(SLA)).text
    assert await promised() == (timedelta(hours=2), timedelta(hours=4.5))
    [policy] = await policies(session)
    policy_id = policy.id
    edit = f"{SLA}/{policy_id}/edit"
    assert 'value="4.5"' in (await browser.get(edit)).text
    changed = await post_form(browser, edit, edit, {"first_response_hours": "1", "resolution_hours": "3"})
    assert changed.status_code == 303
    assert await promised() == (timedelta(hours=1), timedelta(hours=3))
    deleted = await post_form(browser, edit, f"{SLA}/{policy_id}/delete", {})
    assert (deleted.status_code, deleted.headers["location"]) == (303, SLA)
    assert await promised() == (timedelta(hours=9), timedelta(hours=18))
    assert (await browser.get(edit)).status_code == 404
    assert await audit_actions(session, "sla_policy") == ["sla_policy.create", "sla_policy.update", "sla_policy.delete"]


@pytest.mark.usefixtures("admin_user")
async def test_bad_sla_forms_are_explained_in_korean_and_save_nothing(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    shorter = await post_form(browser, SLA, f"{SLA}/new", {"first_response_hours": "5", "resolution_hours": "2"})
    assert shorter.status_code == 422
    assert field_error(shorter.text, "resolution_hours") == "해결 목표 시간은 첫 응답 목표 시간보다 짧을 수 없습니다."
    blank = await post_form(browser, SLA, f"{SLA}/new", {"first_response_hours": "", "resolution_hours": "두 시간"})
    assert blank.status_code == 422
    assert "첫 응답 목표 시간" in field_error(blank.text, "first_response_hours")
    assert 'value="두 시간"' in blank.text
    no_token = await browser.post(f"{SLA}/new", data={"first_response_hours": "1", "resolution_hours": "2"})
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert await policies(session) == []
    good = {"first_response_hours": "1", "resolution_hours": "2"}
    assert (await post_form(browser, SLA, f"{SLA}/new", good)).status_code == 303
    twice = await post_form(browser, SLA, f"{SLA}/new", good)
    assert twice.status_code == 409
    assert "같은 유형·우선순위의 SLA 정책이 이미 있습니다" in field_error(twice.text, "category_id")
    [policy] = await policies(session)
    edit = f"{SLA}/{policy.id}/edit"
    missing = await post_form(browser, edit, edit, {"first_response_hours": "", "resolution_hours": "2"})
    assert missing.status_code == 422
    assert field_error(missing.text, "first_response_hours") == "첫 응답 목표 시간을 입력해 주세요."
    inverted = await post_form(browser, edit, edit, {"first_response_hours": "3", "resolution_hours": "2"})
    assert inverted.status_code == 422 and "짧을 수 없습니다" in field_error(inverted.text, "resolution_hours")
    [kept] = await policies(session)
    assert (kept.first_response_hours, kept.resolution_hours) == (1, 2)
    for url in (f"{SLA}/99999/edit", f"{SLA}/abc/edit"):
        assert (await browser.get(url)).status_code == 404


@pytest.mark.usefixtures("admin_user")
async def test_days_off_with_the_coming_holidays(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await sign_in(browser)
    page = await browser.get(HOURS)
    assert page.status_code == 200
    assert "월화수목금 09:00–18:00" in page.text and "등록된 회사 휴무일이 없습니다." in page.text
    today = datetime.now(SEOUL).date()
    coming = [
        (day, name)
        for year in (today.year, today.year + 1)
        for day, name in korean_holidays(year).items()
        if today <= day <= today + timedelta(days=150)
    ]
    assert coming, "there is always a Korean public holiday within five months"
    for day, name in coming:
        assert f"{day.isoformat()} (" in page.text and name in page.text
    workday = today + timedelta(days=30)
    added = await post_form(browser, HOURS, f"{HOURS}/days-off", {"day": workday.isoformat(), "name": "창립기념일"})
    assert (added.status_code, added.headers["location"]) == (303, HOURS)
    shown = await browser.get(HOURS)
    assert "휴무일을 추가했습니다" in shown.text and "창립기념일" in shown.text
    assert await days_off(session) == [workday]
    assert workday in (await load_business_hours(session)).days_off  # this process sees it at once
    twice = await post_form(browser, HOURS, f"{HOURS}/days-off", {"day": workday.isoformat()})
    assert twice.status_code == 409 and "이미 등록된 휴무일입니다" in field_error(twice.text, "day")
    bad = await post_form(browser, HOURS, f"{HOURS}/days-off", {"day": "2026-13-40", "name": "x"})
    assert bad.status_code == 422 and field_error(bad.text, "day") == "날짜를 확인해 주세요. (예: 2026-12-25)"
    blank = await post_form(browser, HOURS, f"{HOURS}/days-off", {"day": ""})
    assert blank.status_code == 422 and field_error(blank.text, "day") == "날짜를 입력해 주세요."
    no_token = await browser.post(f"{HOURS}/days-off", data={"day": (workday + timedelta(days=1)).isoformat()})
    assert no_token.status_code == 403
    assert await days_off(session) == [workday]
    removed = await post_form(browser, HOURS, f"{HOURS}/days-off/{workday.isoformat()}/delete", {})
    assert removed.status_code == 303 and await days_off(session) == []
    assert (await post_form(browser, HOURS, f"{HOURS}/days-off/not-a-day/delete", {})).status_code == 404
    assert (await post_form(browser, HOURS, f"{HOURS}/days-off/2031-01-02/delete", {})).status_code == 404
    assert await audit_actions(session, "day_off") == ["calendar.day_off_add", "calendar.day_off_remove"]


@pytest.mark.usefixtures("admin_user")
async def test_weekly_hours_change_the_next_inquirys_clock(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await sign_in(browser)
    session.add(Category(slug="payment", name="결제"))
    await session.commit()
    customer = await make_customer(session)
    weekly = {"opens": "10:00", "closes": "16:00", "weekdays": ["0", "1", "2", "3", "4", "5"]}
    saved = await post_form(browser, HOURS, f"{HOURS}/weekly", weekly)
    assert (saved.status_code, saved.headers["location"]) == (303, HOURS)
    page = await browser.get(HOURS)
    assert "영업시간을 저장했습니다" in page.text and "월화수목금토 10:00–16:00" in page.text
    hours = await load_business_hours(session)
    assert (hours.opens, hours.closes, hours.weekdays) == (time(10), time(16), frozenset(range(6)))
    inquiry = await file_inquiry(session, settings, customer)
    assert inquiry.first_response_due_at is not None
    assert business_time_between(inquiry.created_at, inquiry.first_response_due_at, hours) == timedelta(hours=9)
    due = inquiry.first_response_due_at.astimezone(SEOUL)
    assert time(10) <= due.time() <= time(16) and due.weekday() != 6  # inside the new hours

    for bad, field, message in (
        ({**weekly, "closes": "09:00"}, "closes", "닫는 시각은 여는 시각보다 늦어야 합니다."),
        ({**weekly, "opens": "아홉시"}, "opens", "여는 시각을 확인해 주세요. (예: 09:00)"),
        ({"opens": "09:00", "closes": "18:00"}, "weekdays", "영업 요일을 하나 이상 골라 주세요."),
    ):
        refused = await post_form(browser, HOURS, f"{HOURS}/weekly", bad)
        assert refused.status_code == 422 and field_error(refused.text, field) == message
    assert (await browser.post(f"{HOURS}/weekly", data={"opens": "08:00", **weekly})).status_code == 403
    still = await load_business_hours(session)
    assert (still.opens, still.closes) == (time(10), time(16))

    reset = await post_form(browser, HOURS, f"{HOURS}/weekly/reset", {})
    assert (reset.status_code, reset.headers["location"]) == (303, HOURS)
    back = await load_business_hours(session)
    assert (back.opens, back.closes, back.weekdays) == (time(9), time(18), frozenset(range(5)))
    assert "월화수목금 09:00–18:00 (한국 시간) · 기본값" in (await browser.get(HOURS)).text
    assert await audit_actions(session, "runtime_setting") == ["calendar.hours.update", "calendar.hours.update"]


@pytest.mark.usefixtures("admin_user")
async def test_every_pages_header_follows_the_weekly_hours_at_once(browser: httpx.AsyncClient) -> None:
    """The open/closed line and the hours under it, on a page the admin did not edit."""
    await sign_in(browser)
    today = datetime.now(SEOUL)
    holiday = today.date() in korean_holidays(today.year)
    every_day = ["0", "1", "2", "3", "4", "5", "6"]
    around_the_clock = {"opens": "00:00", "closes": "23:59", "weekdays": every_day}
    assert (await post_form(browser, HOURS, f"{HOURS}/weekly", around_the_clock)).status_code == 303
    home = (await browser.get("/")).text
    assert "월화수목금토일 00:00–23:59" in home and "평일 09:00–18:00" not in home
    if not holiday and today.time() < time(23, 58):
        assert "지금 상담 가능합니다" in home

    one_minute = {"opens": "00:00", "closes": "00:01", "weekdays": every_day}
    assert (await post_form(browser, HOURS, f"{HOURS}/weekly", one_minute)).status_code == 303
    home = (await browser.get("/")).text
    assert "월화수목금토일 00:00–00:01" in home
    if today.time() >= time(0, 2):
        assert "지금 상담 가능합니다" not in home

    assert (await post_form(browser, HOURS, f"{HOURS}/weekly/reset", {})).status_code == 303
    assert "평일 09:00–18:00" in (await browser.get("/")).text  # GOGAEK_SUPPORT_HOURS, as before
