"""전화 예약 인원 (/admin/callback-roster): the roster API as a page — weekday entries, date overrides."""

from __future__ import annotations

from datetime import date, time

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.identity.models import StaffRole
from gogaek.phone.models import CallbackCapacityOverride, CallbackRosterEntry
from gogaek.phone.roster import roster_view
from tests.api.config_pages import audit_actions, field_error, flash_texts, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

PAGE = "/admin/callback-roster"
FRIDAY_AFTERNOON = {"weekday": "4", "starts": "14:00", "ends": "18:00", "capacity": "2"}
WORKSHOP = {"day": "2026-12-24", "day_starts": "", "day_ends": "", "day_capacity": "0", "note": "연말 워크숍"}


async def rows(session: AsyncSession) -> tuple[int, int]:
    session.expire_all()
    entries = await session.scalar(select(func.count()).select_from(CallbackRosterEntry))
    overrides = await session.scalar(select(func.count()).select_from(CallbackCapacityOverride))
    return int(entries or 0), int(overrides or 0)


async def test_the_page_needs_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await browser.get(PAGE)
    assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={PAGE}")
    await signed_in(browser, session, StaffRole.AGENT)
    assert (await browser.get(PAGE)).status_code == 403
    refused = await post_form(browser, "/console", f"{PAGE}/entries", FRIDAY_AFTERNOON)
    assert refused.status_code == 403
    assert await rows(session) == (0, 0)


async def test_a_supervisor_adds_and_removes_entries_and_overrides(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    empty = await browser.get(PAGE)
    assert empty.status_code == 200 and "전화 예약 인원" in empty.text
    assert f"모든 시간대에 {settings.callback_default_capacity}명으로" in empty.text

    added = await post_form(browser, PAGE, f"{PAGE}/entries", FRIDAY_AFTERNOON)
    assert (added.status_code, added.headers["location"]) == (303, PAGE)
    default = await post_form(
        browser, PAGE, f"{PAGE}/entries", {"weekday": "", "starts": "", "ends": "", "capacity": "4"}
    )
    assert default.status_code == 303
    closed = await post_form(browser, PAGE, f"{PAGE}/overrides", WORKSHOP)
    assert closed.status_code == 303
    page = await browser.get(PAGE)
    assert "날짜별 인원을 추가했습니다" in " ".join(flash_texts(page.text))
    assert "금요일" in page.text and "14:00 ~ 18:00" in page.text and "2명" in page.text
    assert "기본 (모든 요일)" in page.text and "하루 종일" in page.text and "4명" in page.text
    assert "2026-12-24 (목)" in page.text and "연말 워크숍" in page.text and "(예약 안 받음)" in page.text

    view = await roster_view(session, settings)  # what the slots read, as the API shows it
    assert [(e.weekday, e.starts, e.ends, e.capacity) for e in view.entries] == [
        (None, None, None, 4),
        (4, time(14), time(18), 2),
    ]
    assert [(o.day, o.capacity, o.note) for o in view.overrides] == [(date(2026, 12, 24), 0, "연말 워크숍")]

    friday = next(e for e in view.entries if e.weekday == 4)
    removed = await post_form(browser, PAGE, f"{PAGE}/entries/{friday.id}/delete", {})
    assert removed.status_code == 303
    removed = await post_form(browser, PAGE, f"{PAGE}/overrides/{view.overrides[0].id}/delete", {})
    assert removed.status_code == 303
    assert await rows(session) == (1, 0)
    assert await audit_actions(session, "callback_roster") == [
        "callback.roster_add",
        "callback.roster_add",
        "callback.roster_remove",
    ]
    assert await audit_actions(session, "callback_capacity_overrides") == [
        "callback.override_add",
        "callback.roster_remove",
    ]
    gone = await post_form(browser, PAGE, f"{PAGE}/entries/{friday.id}/delete", {})
    assert gone.status_code == 404


@pytest.mark.usefixtures("admin_user")
async def test_bad_forms_are_explained_in_korean_and_save_nothing(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    backwards = await post_form(
        browser, PAGE, f"{PAGE}/entries", {**FRIDAY_AFTERNOON, "starts": "18:00", "ends": "09:00"}
    )
    assert backwards.status_code == 422
    assert field_error(backwards.text, "ends") == "끝 시각은 시작 시각보다 늦어야 합니다."
    assert 'value="18:00"' in backwards.text  # what was typed stays
    bad = await post_form(
        browser, PAGE, f"{PAGE}/entries", {"weekday": "7", "starts": "아홉시", "ends": "", "capacity": "-1"}
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "weekday") == "요일을 목록에서 다시 골라 주세요."
    assert field_error(bad.text, "starts") == "시작 시각은 09:00처럼 입력해 주세요."
    assert field_error(bad.text, "capacity") == "근무 인원은 0~1000 사이의 정수로 입력해 주세요."
    override = await post_form(
        browser, PAGE, f"{PAGE}/overrides", {**WORKSHOP, "day": "내일", "day_capacity": "", "note": "가" * 201}
    )
    assert override.status_code == 422
    assert field_error(override.text, "day") == "날짜는 2026-12-24처럼 입력해 주세요."
    assert field_error(override.text, "day_capacity") == "근무 인원은 0~1000 사이의 정수로 입력해 주세요."
    assert field_error(override.text, "note") == "메모는 200자 이하로 입력해 주세요."
    assert 'value="내일"' in override.text
    no_token = await browser.post(f"{PAGE}/entries", data=FRIDAY_AFTERNOON)
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert (await browser.post(f"{PAGE}/overrides", data=WORKSHOP)).status_code == 403
    assert await rows(session) == (0, 0)
    assert await audit_actions(session, "callback_roster") == []
