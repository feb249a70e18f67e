"""직원 관리 pages: list, create, role and name, deactivate/reactivate, TOTP reset with re-enrolment, skills."""

from __future__ import annotations

import re

import httpx
import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.security import pending_totp_secret
from tests.api.config_pages import PASSWORD, audit_actions, field_error, make_staff, sign_in_as, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

LIST = "/admin/staff"
NEW = "/admin/staff/new"


async def staff_row(session: AsyncSession, email: str) -> StaffUser | None:
    session.expire_all()
    return await session.scalar(select(StaffUser).where(StaffUser.email == email))


async def test_staff_pages_need_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    for url in (LIST, NEW, "/admin/staff/1"):
        response = await browser.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={url}")
    await signed_in(browser, session, StaffRole.AGENT)
    for url in (LIST, NEW, "/admin/staff/1"):
        assert (await browser.get(url)).status_code == 403, url
    refused = await post_form(browser, "/console", NEW, {"email": "x@config.test", "display_name": "x"})
    assert refused.status_code == 403
    assert await staff_row(session, "x@config.test") is None


@pytest.mark.usefixtures("admin_user")
async def test_create_shows_the_first_password_once_and_the_person_enrols_totp(
    browser: httpx.AsyncClient, app: object, session: AsyncSession
) -> None:
    await sign_in(browser)
    listed = await browser.get(LIST)
    assert listed.status_code == 200 and "직원 추가" in listed.text and "관리자" in listed.text
    data = {"email": " New.Agent@Config.test ", "display_name": " 한결 ", "role": "agent", "enrol_totp": "on"}
    created = await post_form(browser, NEW, NEW, data)
    assert created.status_code == 200, created.text
    password = re.search(r'id="initial-password">([^<]+)<', created.text)
    assert password is not None
    person = await staff_row(session, "new.agent@config.test")
    assert person is not None and person.display_name == "한결" and person.role == "agent"
    assert pending_totp_secret(person.totp_secret) is not None
    person_page = f"{LIST}/{person.id}"
    assert "staff.create" in await audit_actions(session, "staff")
    assert "다음 로그인 때 등록" in (await browser.get(LIST)).text
    assert password.group(1) not in (await browser.get(person_page)).text

    browser.cookies.clear()
    login = {"email": "new.agent@config.test", "password": password.group(1), "next": "/console"}
    started = await post_form(browser, "/admin/login", "/admin/login", login)
    assert (started.status_code, started.headers["location"]) == (303, "/admin/login/totp")
    page = await browser.get("/admin/login/totp")
    assert page.status_code == 200 and "OTP 다시 등록" in page.text
    secret = (await staff_row(session, "new.agent@config.test")).totp_secret  # type: ignore[union-attr]
    plain = pending_totp_secret(secret)
    assert plain is not None
    assert " ".join(plain[i : i + 4] for i in range(0, len(plain), 4)) in page.text
    wrong = await post_form(browser, "/admin/login/totp", "/admin/login/totp", {"totp": "000000"})
    assert wrong.status_code == 422 and "OTP 인증 코드가 올바르지 않습니다" in wrong.text
    done = await post_form(browser, "/admin/login/totp", "/admin/login/totp", {"totp": pyotp.TOTP(plain).now()})
    assert (done.status_code, done.headers["location"]) == (303, "/console")
    assert (await browser.get("/console")).status_code == 200
    enrolled = await staff_row(session, "new.agent@config.test")
    assert enrolled is not None and enrolled.totp_secret == plain
    assert "staff.totp_enrolled" in await audit_actions(session, "staff")


@pytest.mark.usefixtures("admin_user")
async def test_a_new_admin_always_enrols_totp_where_admins_need_it(
    app: object, browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    await sign_in(browser)
    plain = {"display_name": "x", "role": "admin"}  # the enrolment box left unticked
    assert (await post_form(browser, NEW, NEW, {**plain, "email": "lax@config.test"})).status_code == 200
    lax = await staff_row(session, "lax@config.test")
    assert lax is not None and lax.totp_secret is None  # the test settings do not require admin TOTP
    app.state.settings = app.state.settings.model_copy(update={"admin_totp_required": True})
    assert (await post_form(browser, NEW, NEW, {**plain, "email": "strict@config.test"})).status_code == 200
    strict = await staff_row(session, "strict@config.test")
    assert strict is not None and pending_totp_secret(strict.totp_secret) is not None


@pytest.mark.usefixtures("admin_user")
async def test_bad_forms_are_explained_in_korean_and_save_nothing(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    bad = await post_form(browser, NEW, NEW, {"email": "not-an-email", "display_name": "", "role": "agent"})
    assert bad.status_code == 422
    assert field_error(bad.text, "email") == "이메일 형식을 확인해 주세요."
    assert field_error(bad.text, "display_name") == "이름을 입력해 주세요."
    assert 'value="not-an-email"' in bad.text
    assert await staff_row(session, "not-an-email") is None
    taken = await post_form(browser, NEW, NEW, {"email": "admin@example.com", "display_name": "x", "role": "agent"})
    assert taken.status_code == 409
    assert "이미 등록된 이메일입니다" in field_error(taken.text, "email")
    no_token = await browser.post(NEW, data={"email": "csrf@config.test", "display_name": "x", "role": "agent"})
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert await staff_row(session, "csrf@config.test") is None
    agent = await make_staff(session, "agent@config.test", StaffRole.AGENT)
    edit = f"{LIST}/{agent.id}/edit"
    negative = await post_form(
        browser, edit.removesuffix("/edit"), edit, {"display_name": "x", "role": "agent", "max_open_inquiries": "-1"}
    )
    assert negative.status_code == 422
    assert field_error(negative.text, "max_open_inquiries") == "최대 담당 문의 수는 0 이상으로 입력해 주세요."
    assert (await staff_row(session, "agent@config.test")).display_name == "agent"  # type: ignore[union-attr]
    for missing in ("/admin/staff/99999", "/admin/staff/abc"):
        assert (await browser.get(missing)).status_code == 404


@pytest.mark.usefixtures("admin_user")
async def test_edit_role_name_capacity_and_skills(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await sign_in(browser)
    agent = await make_staff(session, "agent@config.test", StaffRole.AGENT)
    category = Category(slug="payment", name="결제")
    session.add(category)
    await session.commit()
    page, category_id = f"{LIST}/{agent.id}", category.id
    saved = await post_form(
        browser, page, f"{page}/edit", {"display_name": "상담사 한결", "role": "supervisor", "max_open_inquiries": "12"}
    )
    assert (saved.status_code, saved.headers["location"]) == (303, page)
    changed = await staff_row(session, "agent@config.test")
    assert changed is not None
    assert (changed.display_name, changed.role, changed.max_open_inquiries) == ("상담사 한결", "supervisor", 12)
    cleared = await post_form(browser, page, f"{page}/edit", {"display_name": "한결", "role": "agent"})
    assert cleared.status_code == 303
    assert (await staff_row(session, "agent@config.test")).max_open_inquiries is None  # type: ignore[union-attr]
    skills = await post_form(browser, page, f"{page}/skills", {"category_ids": [str(category_id), "99999999999"]})
    assert skills.status_code == 303
    shown = await browser.get(page)
    assert "담당 유형을 저장했습니다" in shown.text
    assert f'value="{category_id}" checked' in shown.text
    unknown = await post_form(browser, page, f"{page}/skills", {"category_ids": ["4242"]})
    assert unknown.status_code == 303
    assert "알 수 없는 문의 유형입니다" in (await browser.get(page)).text
    assert f'value="{category_id}" checked' in (await browser.get(page)).text
    assert (await audit_actions(session, "staff"))[-3:] == ["staff.update", "staff.update", "staff.skills"]


async def test_supervisors_manage_agents_only(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    admin_id = (await make_staff(session, "boss@config.test", StaffRole.ADMIN)).id
    agent_id = (await make_staff(session, "agent@config.test", StaffRole.AGENT)).id
    promote = await post_form(
        browser, f"{LIST}/{agent_id}", f"{LIST}/{agent_id}/edit", {"display_name": "x", "role": "admin"}
    )
    assert promote.status_code == 403
    assert "슈퍼바이저는 상담사 계정만" in field_error(promote.text, "role")
    assert (await staff_row(session, "agent@config.test")).role == "agent"  # type: ignore[union-attr]
    new_admin = await post_form(browser, NEW, NEW, {"email": "a2@config.test", "display_name": "x", "role": "admin"})
    assert new_admin.status_code == 403 and await staff_row(session, "a2@config.test") is None
    gone = await post_form(browser, f"{LIST}/{admin_id}", f"{LIST}/{admin_id}/deactivate", {})
    assert gone.status_code == 303
    assert (await staff_row(session, "boss@config.test")).is_active  # type: ignore[union-attr]
    reset = await post_form(browser, f"{LIST}/{agent_id}", f"{LIST}/{agent_id}/totp-reset", {})
    assert reset.status_code == 403
    assert "OTP 초기화" not in (await browser.get(f"{LIST}/{agent_id}")).text
    ok = await post_form(browser, f"{LIST}/{agent_id}", f"{LIST}/{agent_id}/deactivate", {})
    assert ok.status_code == 303
    assert not (await staff_row(session, "agent@config.test")).is_active  # type: ignore[union-attr]


@pytest.mark.usefixtures("admin_user")
async def test_deactivate_reactivate_and_totp_reset_sign_the_person_out(
    browser: httpx.AsyncClient, app: object, session: AsyncSession
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    await sign_in(browser)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=browser.headers) as other:
        second = await make_staff(session, "second-admin@config.test", StaffRole.ADMIN)
        email, page = second.email, f"{LIST}/{second.id}"
        await sign_in_as(other, email)
        assert (await other.get(LIST)).status_code == 200
        off = await post_form(browser, page, f"{page}/deactivate", {})
        assert off.status_code == 303
        assert "계정을 비활성화했습니다" in (await browser.get(page)).text
        refused = await other.get(LIST)  # a deactivated admin mid-session
        assert (refused.status_code, refused.headers["location"]) == (303, f"/admin/login?next={LIST}")
        assert (await post_form(browser, page, f"{page}/reactivate", {})).status_code == 303
        assert (await other.get(LIST)).status_code == 303  # the old session stays cut off
        await sign_in_as(other, email)
        assert (await other.get(LIST)).status_code == 200
        reset = await post_form(browser, page, f"{page}/totp-reset", {})
        assert reset.status_code == 303
        assert (await other.get(LIST)).status_code == 303  # signed out by the reset
        again = await post_form(other, "/admin/login", "/admin/login", {"email": email, "password": PASSWORD})
        assert again.headers["location"] == "/admin/login/totp"
        self_reset = await post_form(browser, LIST, "/admin/staff/1/totp-reset", {})
        assert self_reset.status_code == 303
        assert "자기 계정의 OTP는 초기화할 수 없습니다" in (await browser.get("/admin/staff/1")).text
    actions = await audit_actions(session, "staff")
    for action in ("staff.deactivate", "staff.reactivate", "staff.totp_reset"):
        assert action in actions
