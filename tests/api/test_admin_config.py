"""Admin configuration over the API: SLA policies, days off, macros, teams, skills, staff accounts."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.business_time import business_time_between
from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffRole
from gogaek.inquiries.models import Inquiry
from gogaek.jobs.models import Job
from tests.api.test_agent_auth import PASSWORD, audit_actions, file_inquiry, make_customer, make_staff, sign_in

pytestmark = pytest.mark.usefixtures("demo_content")


async def category_id(session: AsyncSession, slug: str) -> int:
    found = await session.scalar(select(Category.id).where(Category.slug == slug))
    assert found is not None
    return found


@pytest.fixture
async def agent_headers(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, str]:
    await make_staff(session, "agent@example.com")
    return await sign_in(client, "agent@example.com")


async def test_agents_cannot_configure_anything(client: httpx.AsyncClient, agent_headers: dict[str, str]) -> None:
    calls = [
        ("GET", "/api/v1/admin/sla-policies", None),
        ("POST", "/api/v1/admin/sla-policies", {"first_response_hours": 1, "resolution_hours": 2}),
        ("GET", "/api/v1/admin/days-off", None),
        ("POST", "/api/v1/admin/days-off", {"day": "2030-01-02"}),
        ("GET", "/api/v1/admin/macros", None),
        ("GET", "/api/v1/admin/teams", None),
        ("GET", "/api/v1/admin/staff", None),
        ("POST", "/api/v1/admin/staff", {"email": "x@example.com", "password": PASSWORD, "display_name": "x"}),
        ("GET", "/api/v1/admin/audit", None),
    ]
    for method, url, body in calls:
        forbidden = await client.request(method, url, json=body, headers=agent_headers)
        assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden"), url
        assert (await client.request(method, url, json=body)).status_code == 401, url


async def test_sla_policies_crud_and_effect_on_new_inquiries(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    payment = await category_id(session, "payment")
    url = "/api/v1/admin/sla-policies"
    default = await client.post(url, json={"first_response_hours": 4, "resolution_hours": 9}, headers=admin_headers)
    assert default.status_code == 201, default.text
    twice = await client.post(url, json={"first_response_hours": 2, "resolution_hours": 9}, headers=admin_headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "sla_policy_exists")
    specific = await client.post(
        url,
        json={"category_id": payment, "priority": "normal", "first_response_hours": 1, "resolution_hours": 3},
        headers=admin_headers,
    )
    assert specific.status_code == 201, specific.text
    for bad in (
        {"category_id": 999999, "first_response_hours": 1, "resolution_hours": 2},
        {"first_response_hours": 5, "resolution_hours": 2, "priority": "low"},
        {"first_response_hours": 0, "resolution_hours": 2, "priority": "high"},
        {"first_response_hours": 1, "resolution_hours": 2, "priority": "critical"},
    ):
        refused = await client.post(url, json=bad, headers=admin_headers)
        assert refused.status_code == 422, bad
    inverted = {"first_response_hours": 5, "resolution_hours": 2, "priority": "low"}
    for language, sentence in (
        ("ko", "해결 목표 시간은 첫 응답 목표 시간보다 짧을 수 없습니다."),
        ("en", "The resolution target cannot be shorter than the first response target."),
    ):
        refused = await client.post(url, json=inverted, headers={**admin_headers, "Accept-Language": language})
        assert [error["message"] for error in refused.json()["errors"]] == [sentence], language
    listed = (await client.get(url, headers=admin_headers)).json()
    assert {(p["category_id"], p["priority"]) for p in listed} == {(None, None), (payment, "normal")}

    # the most specific policy sets a new inquiry's clocks: 1 business hour to first response
    inquiry = await file_inquiry(session, settings, await make_customer(session))
    assert inquiry.first_response_due_at is not None and inquiry.resolution_due_at is not None
    hours = await load_business_hours(session)
    assert business_time_between(inquiry.created_at, inquiry.first_response_due_at, hours) == timedelta(hours=1)
    assert business_time_between(inquiry.created_at, inquiry.resolution_due_at, hours) == timedelta(hours=3)

    policy_id = specific.json()["id"]
    patched = await client.patch(f"{url}/{policy_id}", json={"resolution_hours": 6}, headers=admin_headers)
    assert patched.json()["resolution_hours"] == 6 and patched.json()["first_response_hours"] == 1
    shorter = await client.patch(f"{url}/{policy_id}", json={"resolution_hours": 0.5}, headers=admin_headers)
    assert (shorter.status_code, shorter.json()["code"]) == (422, "invalid_sla_hours")
    assert (await client.delete(f"{url}/{policy_id}", headers=admin_headers)).status_code == 204
    assert (await client.delete(f"{url}/{policy_id}", headers=admin_headers)).status_code == 404
    assert (await client.patch(f"{url}/{policy_id}", json={}, headers=admin_headers)).status_code == 404
    actions = await audit_actions(session)
    assert [a for a in actions if a.startswith("sla_policy.")] == [
        "sla_policy.create",
        "sla_policy.create",
        "sla_policy.update",
        "sla_policy.delete",
    ]


async def test_company_days_off(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    url = "/api/v1/admin/days-off"
    created = await client.post(url, json={"day": "2030-05-02", "name": " 창립기념일 "}, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["day"] == "2030-05-02" and created.json()["name"] == "창립기념일"
    unnamed = await client.post(url, json={"day": "2030-05-03"}, headers=admin_headers)
    assert unnamed.json()["name"] == "회사 휴무일"
    duplicate = await client.post(url, json={"day": "2030-05-02", "name": "다시"}, headers=admin_headers)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "day_off_exists")
    bad = await client.post(url, json={"day": "2030-13-40"}, headers=admin_headers)
    assert bad.status_code == 422
    listed = (await client.get(url, headers=admin_headers)).json()
    assert [entry["day"] for entry in listed] == ["2030-05-02", "2030-05-03"]
    assert (await client.delete(f"{url}/2030-05-03", headers=admin_headers)).status_code == 204
    missing = await client.delete(f"{url}/2030-05-03", headers=admin_headers)
    assert missing.status_code == 404
    assert [e["day"] for e in (await client.get(url, headers=admin_headers)).json()] == ["2030-05-02"]
    actions = [a for a in await audit_actions(session) if a.startswith("calendar.")]
    assert actions == ["calendar.day_off_add", "calendar.day_off_add", "calendar.day_off_remove"]


async def test_macros_crud(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    agent_headers: dict[str, str],
) -> None:
    payment, transfer = await category_id(session, "payment"), await category_id(session, "transfer")
    url = "/api/v1/admin/macros"
    general = await client.post(url, json={"title": "인사", "body": "{고객명}님 안녕하세요."}, headers=admin_headers)
    assert general.status_code == 201, general.text
    scoped = await client.post(
        url, json={"title": "환불 안내", "body": "환불은 3영업일…", "category_id": payment}, headers=admin_headers
    )
    assert scoped.status_code == 201
    taken = await client.post(url, json={"title": "인사", "body": "다른 내용"}, headers=admin_headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "macro_exists")
    unknown = await client.post(url, json={"title": "x", "body": "y", "category_id": 999999}, headers=admin_headers)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_category")
    blank = await client.post(url, json={"title": "  ", "body": "y"}, headers=admin_headers)
    assert blank.status_code == 422

    async def agent_titles(category: int | None) -> list[str]:
        params = {"category": category} if category is not None else {}
        return [
            m["title"] for m in (await client.get("/api/v1/agent/macros", params=params, headers=agent_headers)).json()
        ]

    assert await agent_titles(None) == ["인사", "환불 안내"]
    assert await agent_titles(transfer) == ["인사"]
    assert await agent_titles(payment) == ["인사", "환불 안내"]

    macro_id = scoped.json()["id"]
    off = await client.patch(f"{url}/{macro_id}", json={"is_active": False}, headers=admin_headers)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert await agent_titles(payment) == ["인사"]
    assert len((await client.get(url, headers=admin_headers)).json()) == 2  # admins still see it
    rename = await client.patch(f"{url}/{macro_id}", json={"title": "인사"}, headers=admin_headers)
    assert rename.status_code == 409
    general_only = await client.patch(f"{url}/{macro_id}", json={"clear_category": True}, headers=admin_headers)
    assert general_only.json()["category_id"] is None
    assert (await client.delete(f"{url}/{macro_id}", headers=admin_headers)).status_code == 204
    assert (await client.get(f"{url}/{macro_id}", headers=admin_headers)).status_code == 404
    actions = [a for a in await audit_actions(session) if a.startswith("macro.")]
    assert actions == ["macro.create", "macro.create", "macro.update", "macro.update", "macro.delete"]


async def test_teams_members_and_routing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    agent = await make_staff(session, "agent@example.com", name="김상담")
    transfer = await category_id(session, "transfer")
    created = await client.post(
        "/api/v1/admin/teams", json={"slug": "transfer", "name": "송금팀"}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    team_id = created.json()["id"]
    clash = await client.post("/api/v1/admin/teams", json={"slug": "other", "name": "송금팀"}, headers=admin_headers)
    assert (clash.status_code, clash.json()["code"]) == (409, "team_exists")
    bad_slug = await client.post("/api/v1/admin/teams", json={"slug": "Bad Slug", "name": "x"}, headers=admin_headers)
    assert bad_slug.status_code == 422

    base = f"/api/v1/admin/teams/{team_id}"
    member = await client.post(f"{base}/members", json={"staff_id": agent.id}, headers=admin_headers)
    assert member.json()["members"] == [{"id": agent.id, "display_name": "김상담"}]
    again = await client.post(f"{base}/members", json={"staff_id": agent.id}, headers=admin_headers)
    assert again.status_code == 200 and len(again.json()["members"]) == 1
    nobody = await client.post(f"{base}/members", json={"staff_id": 999999}, headers=admin_headers)
    assert nobody.status_code == 404
    routed = await client.put(f"{base}/categories", json={"category_ids": [transfer, transfer]}, headers=admin_headers)
    assert routed.json()["category_ids"] == [transfer]
    unknown = await client.put(f"{base}/categories", json={"category_ids": [999999]}, headers=admin_headers)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_category")
    assert (await client.get(base, headers=admin_headers)).json()["category_ids"] == [transfer]

    inquiry = await file_inquiry(session, settings, await make_customer(session), category="transfer")
    assert inquiry.team_id == team_id  # new inquiries in the category are routed to the team

    renamed = await client.patch(base, json={"name": "송금·출금팀", "handles_emergencies": True}, headers=admin_headers)
    assert renamed.json()["name"] == "송금·출금팀" and renamed.json()["handles_emergencies"] is True
    removed = await client.delete(f"{base}/members/{agent.id}", headers=admin_headers)
    assert removed.json()["members"] == []
    assert (await client.delete(f"{base}/members/{agent.id}", headers=admin_headers)).status_code == 404
    assert (await client.delete(base, headers=admin_headers)).status_code == 204
    assert (await client.get(base, headers=admin_headers)).status_code == 404
    await session.refresh(inquiry)
    assert inquiry.team_id is None  # the inquiry stays, without a team
    actions = [a for a in await audit_actions(session) if a.startswith("team.")]
    assert actions == [
        "team.create",
        "team.member_add",
        "team.categories",
        "team.update",
        "team.member_remove",
        "team.delete",
    ]


async def test_skills_and_capacity_of_an_agent(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    agent = await make_staff(session, "agent@example.com")
    payment, transfer = await category_id(session, "payment"), await category_id(session, "transfer")
    url = f"/api/v1/admin/staff/{agent.id}/skills"
    assert (await client.get(url, headers=admin_headers)).json() == {"staff_id": agent.id, "category_ids": []}
    put = await client.put(url, json={"category_ids": [transfer, payment]}, headers=admin_headers)
    assert put.json()["category_ids"] == sorted([payment, transfer])
    assert (await client.put(url, json={"category_ids": [999999]}, headers=admin_headers)).status_code == 422
    assert (await client.get(url, headers=admin_headers)).json()["category_ids"] == sorted([payment, transfer])
    assert (
        await client.put("/api/v1/admin/staff/999999/skills", json={"category_ids": []}, headers=admin_headers)
    ).status_code == 404

    staff_url = f"/api/v1/admin/staff/{agent.id}"
    limited = await client.patch(staff_url, json={"max_open_inquiries": 5}, headers=admin_headers)
    assert limited.json()["max_open_inquiries"] == 5
    assert (await client.patch(staff_url, json={"max_open_inquiries": -1}, headers=admin_headers)).status_code == 422
    reset = await client.patch(staff_url, json={"clear_max_open_inquiries": True}, headers=admin_headers)
    assert reset.json()["max_open_inquiries"] is None
    assert "staff.skills" in await audit_actions(session)


async def test_staff_accounts_are_created_with_a_one_time_totp_secret(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    body = {"email": "New@Example.com", "password": PASSWORD, "display_name": "새 상담사", "totp": True}
    created = await client.post("/api/v1/admin/staff", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["email"] == "new@example.com" and account["role"] == "agent" and account["totp_enabled"] is True
    assert account["totp_uri"].startswith("otpauth://totp/") and account["totp_secret"] in account["totp_uri"]
    code = pyotp.TOTP(account["totp_secret"]).now()
    await sign_in(client, "new@example.com", totp=code)
    listed = (await client.get("/api/v1/admin/staff", headers=admin_headers)).json()
    assert "totp_secret" not in listed[0]
    assert sorted(s["email"] for s in listed) == ["admin@example.com", "new@example.com"]
    fetched = await client.get(f"/api/v1/admin/staff/{account['id']}", headers=admin_headers)
    assert "totp_secret" not in fetched.json()
    duplicate = await client.post("/api/v1/admin/staff", json=body, headers=admin_headers)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "email_taken")
    weak = await client.post(
        "/api/v1/admin/staff", json={**body, "email": "w@example.com", "password": "short"}, headers=admin_headers
    )
    assert weak.status_code == 422
    entry = (await client.get("/api/v1/admin/audit", params={"action": "staff.create"}, headers=admin_headers)).json()
    assert [e["detail"]["email"] for e in entry["items"]] == ["new@example.com", "admin@example.com"]


async def test_supervisors_manage_agents_only(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    await make_staff(session, "lead@example.com", role=StaffRole.SUPERVISOR)
    agent = await make_staff(session, "agent@example.com")
    admin = await make_staff(session, "root@example.com", role=StaffRole.ADMIN)
    lead = await sign_in(client, "lead@example.com")
    new_agent = {"email": "a2@example.com", "password": PASSWORD, "display_name": "상담사2"}
    assert (await client.post("/api/v1/admin/staff", json=new_agent, headers=lead)).status_code == 201
    for role in ("supervisor", "admin"):
        escalate = await client.post(
            "/api/v1/admin/staff", json={**new_agent, "email": f"{role}@example.com", "role": role}, headers=lead
        )
        assert (escalate.status_code, escalate.json()["code"]) == (403, "forbidden")
    promote = await client.patch(f"/api/v1/admin/staff/{agent.id}", json={"role": "admin"}, headers=lead)
    assert promote.status_code == 403
    touch_admin = await client.post(f"/api/v1/admin/staff/{admin.id}/deactivate", headers=lead)
    assert touch_admin.status_code == 403
    renamed = await client.patch(f"/api/v1/admin/staff/{agent.id}", json={"display_name": "김상담"}, headers=lead)
    assert renamed.json()["display_name"] == "김상담"
    promoted = await client.patch(f"/api/v1/admin/staff/{agent.id}", json={"role": "supervisor"}, headers=admin_headers)
    assert promoted.json()["role"] == "supervisor"


async def test_deactivation_signs_out_and_returns_open_work_to_the_queue(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    agent = await make_staff(session, "agent@example.com")
    agent_headers = await sign_in(client, "agent@example.com")
    customer = await make_customer(session)
    open_one = await file_inquiry(session, settings, customer)
    done = await file_inquiry(session, settings, customer, title="해결된 문의")
    for inquiry in (open_one, done):
        assigned = await client.post(
            f"/api/v1/agent/inquiries/{inquiry.id}/assign", json={"assignee_id": agent.id}, headers=admin_headers
        )
        assert assigned.status_code == 200
    resolved = await client.post(
        f"/api/v1/agent/inquiries/{done.id}/status", json={"status": "resolved"}, headers=agent_headers
    )
    assert resolved.status_code == 200

    off = await client.post(f"/api/v1/admin/staff/{agent.id}/deactivate", headers=admin_headers)
    assert off.status_code == 200 and off.json()["is_active"] is False and off.json()["availability"] == "offline"
    assert (await client.get("/api/v1/agent/me", headers=agent_headers)).status_code == 401
    open_id, done_id, agent_id = open_one.id, done.id, agent.id
    assignees = dict((await session.execute(select(Inquiry.id, Inquiry.assignee_id))).all())
    assert assignees == {open_id: None, done_id: agent_id}  # finished work keeps its history
    jobs = (await session.scalars(select(Job.payload).where(Job.kind == "inquiry.auto_assign"))).all()
    assert [p["inquiry_id"] for p in jobs].count(open_id) == 2  # submission + hand-back

    back = await client.post(f"/api/v1/admin/staff/{agent.id}/reactivate", headers=admin_headers)
    assert back.json()["is_active"] is True
    await sign_in(client, "agent@example.com")
    assert (await client.post("/api/v1/admin/staff/999999/deactivate", headers=admin_headers)).status_code == 404


async def test_the_last_admin_and_oneself_cannot_be_removed(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    me = (await client.get("/api/v1/agent/me", headers=admin_headers)).json()
    own = await client.post(f"/api/v1/admin/staff/{me['id']}/deactivate", headers=admin_headers)
    assert (own.status_code, own.json()["code"]) == (409, "cannot_deactivate_self")
    demote = await client.patch(f"/api/v1/admin/staff/{me['id']}", json={"role": "agent"}, headers=admin_headers)
    assert (demote.status_code, demote.json()["code"]) == (409, "last_admin")
    other = await make_staff(session, "root@example.com", role=StaffRole.ADMIN)
    demoted = await client.patch(f"/api/v1/admin/staff/{other.id}", json={"role": "agent"}, headers=admin_headers)
    assert demoted.status_code == 200
