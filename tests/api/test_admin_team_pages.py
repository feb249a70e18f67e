"""팀 관리 pages: list, create, rename, emergency flag, members, routing categories, delete."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole, Team, TeamCategory, TeamMember
from tests.api.config_pages import audit_actions, field_error, make_staff, signed_in
from tests.api.test_agent_auth import file_inquiry, make_customer
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

LIST = "/admin/teams"
NEW = "/admin/teams/new"
SECURITY = {"name": "보안팀", "slug": "security", "handles_emergencies": "on"}


async def team_by_slug(session: AsyncSession, slug: str) -> Team | None:
    session.expire_all()
    return await session.scalar(select(Team).where(Team.slug == slug))


async def create(browser: httpx.AsyncClient, session: AsyncSession, data: dict[str, str] = SECURITY) -> int:
    response = await post_form(browser, NEW, NEW, data)
    assert response.status_code == 303, response.text
    team = await team_by_slug(session, data["slug"])
    assert team is not None
    assert response.headers["location"] == f"{LIST}/{team.id}"
    return team.id


async def test_team_pages_need_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    for url in (LIST, NEW, f"{LIST}/1"):
        response = await browser.get(url)
        assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={url}")
    await signed_in(browser, session, StaffRole.AGENT)
    for url in (LIST, NEW, f"{LIST}/1"):
        assert (await browser.get(url)).status_code == 403, url
    assert (await post_form(browser, "/console", NEW, SECURITY)).status_code == 403
    assert await team_by_slug(session, "security") is None


async def test_a_supervisor_may_manage_teams(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await signed_in(browser, session, StaffRole.SUPERVISOR)
    await create(browser, session)
    assert "보안팀" in (await browser.get(LIST)).text


@pytest.mark.usefixtures("admin_user")
async def test_create_rename_flag_members_routing_and_delete(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await sign_in(browser)
    empty = await browser.get(LIST)
    assert empty.status_code == 200 and "아직 팀이 없습니다." in empty.text
    payment = Category(slug="payment", name="결제")
    session.add(payment)
    await session.commit()
    payment_id = payment.id
    team_id = await create(browser, session)
    page = f"{LIST}/{team_id}"
    listed = await browser.get(LIST)
    assert "보안팀" in listed.text and "긴급 담당" in listed.text

    renamed = await post_form(browser, page, f"{page}/edit", {"name": "결제팀", "slug": "payments"})
    assert (renamed.status_code, renamed.headers["location"]) == (303, page)
    team = await team_by_slug(session, "payments")
    assert team is not None and team.name == "결제팀" and not team.handles_emergencies

    agent = await make_staff(session, "agent@config.test", StaffRole.AGENT, "한결")
    agent_id = agent.id
    added = await post_form(browser, page, f"{page}/members", {"staff_id": str(agent_id)})
    assert added.status_code == 303
    shown = await browser.get(page)
    assert "팀원을 추가했습니다" in shown.text and f'href="/admin/staff/{agent_id}">한결' in shown.text
    routed = await post_form(browser, page, f"{page}/categories", {"category_ids": [str(payment_id)]})
    assert routed.status_code == 303
    assert f'value="{payment_id}" checked' in (await browser.get(page)).text
    customer = await make_customer(session)
    inquiry = await file_inquiry(session, settings, customer, category="payment")
    assert inquiry.team_id == team_id  # a new inquiry goes to the team at once

    removed = await post_form(browser, page, f"{page}/members/{agent_id}/remove", {})
    assert removed.status_code == 303
    session.expire_all()
    assert await session.get(TeamMember, (team_id, agent_id)) is None
    unrouted = await post_form(browser, page, f"{page}/categories", {})
    assert unrouted.status_code == 303
    assert (await session.scalars(select(TeamCategory).where(TeamCategory.team_id == team_id))).all() == []

    deleted = await post_form(browser, page, f"{page}/delete", {})
    assert (deleted.status_code, deleted.headers["location"]) == (303, LIST)
    assert "팀을 삭제했습니다" in (await browser.get(LIST)).text
    assert await team_by_slug(session, "payments") is None
    assert (await browser.get(page)).status_code == 404
    assert await audit_actions(session, "team") == [
        "team.create",
        "team.update",
        "team.member_add",
        "team.categories",
        "team.member_remove",
        "team.categories",
        "team.delete",
    ]


@pytest.mark.usefixtures("admin_user")
async def test_bad_forms_are_explained_in_korean_and_save_nothing(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    await sign_in(browser)
    bad = await post_form(browser, NEW, NEW, {"name": " ", "slug": "보안", "handles_emergencies": "on"})
    assert bad.status_code == 422
    assert field_error(bad.text, "name") == "이름을 입력해 주세요."
    assert "영문 소문자·숫자·하이픈" in field_error(bad.text, "slug")
    assert 'value="보안"' in bad.text
    assert (await session.scalars(select(Team))).all() == []
    no_token = await browser.post(NEW, data=SECURITY)
    assert no_token.status_code == 403 and "보안 확인에 실패했습니다" in no_token.text
    assert await team_by_slug(session, "security") is None
    team_id = await create(browser, session)
    await create(browser, session, {"name": "결제팀", "slug": "payments"})
    taken = await post_form(browser, NEW, NEW, {"name": "다른 팀", "slug": "security"})
    assert taken.status_code == 409
    assert "같은 주소(slug)나 이름의 팀이 이미 있습니다" in field_error(taken.text, "slug")
    page = f"{LIST}/{team_id}"
    clash = await post_form(browser, page, f"{page}/edit", {"name": "결제팀", "slug": "security"})
    assert clash.status_code == 409 and 'value="결제팀"' in clash.text
    assert (await team_by_slug(session, "security")).name == "보안팀"  # type: ignore[union-attr]
    nobody = await post_form(browser, page, f"{page}/members", {})
    assert nobody.status_code == 303
    assert "추가할 직원을 골라 주세요" in (await browser.get(page)).text
    for missing in (f"{LIST}/99999", f"{LIST}/abc"):
        assert (await browser.get(missing)).status_code == 404
    assert (await post_form(browser, page, f"{LIST}/99999/delete", {})).status_code == 404
