"""The agent console API on inquiries filed through the real service, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffRole, StaffUser, Team, TeamMember
from gogaek.inquiries.attachments import check_upload
from gogaek.inquiries.models import InquiryMessage
from gogaek.jobs.models import Job
from tests.api.test_agent_auth import audit_actions, file_inquiry, make_customer, make_staff, sign_in
from tests.conftest import customer_headers

pytestmark = pytest.mark.usefixtures("demo_content")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Desk:
    agent: StaffUser
    colleague: StaffUser
    headers: dict[str, str]
    colleague_headers: dict[str, str]
    customer: Customer


@pytest.fixture
async def desk(client: httpx.AsyncClient, session: AsyncSession) -> Desk:
    agent = await make_staff(session, "agent@example.com", name="김상담")
    colleague = await make_staff(session, "colleague@example.com", name="이상담")
    return Desk(
        agent=agent,
        colleague=colleague,
        headers=await sign_in(client, "agent@example.com"),
        colleague_headers=await sign_in(client, "colleague@example.com"),
        customer=await make_customer(session),
    )


async def queue(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/agent/inquiries", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


async def category_id(session: AsyncSession, slug: str) -> int:
    found = await session.scalar(select(Category.id).where(Category.slug == slug))
    assert found is not None
    return found


# --- the queue -----------------------------------------------------------------------


async def test_queue_views_order_and_filters(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    normal = await file_inquiry(session, settings, desk.customer)
    urgent = await file_inquiry(session, settings, desk.customer, title="보이스피싱 당한 것 같아요", body="급해요")
    low = await file_inquiry(session, settings, desk.customer, category="transfer", title="송금 한도", body="궁금")
    low.priority = "low"
    await session.commit()

    rows = await queue(client, desk.headers)
    assert ids(rows) == [urgent.id, normal.id, low.id]  # urgent first, then by priority and due time
    first = rows[0]
    assert first["priority"] == "urgent" and first["is_emergency"] is True and "긴급" in first["tags"]
    assert first["customer_name"] == "김고객" and first["category_name"] and first["status_label"] == "접수"
    assert first["sla_state"] == "ok" and first["due_at"] is not None

    # mine / unassigned follow an assignment
    assigned = await client.post(
        f"/api/v1/agent/inquiries/{normal.id}/assign", json={"assignee_id": desk.agent.id}, headers=desk.headers
    )
    assert assigned.status_code == 200, assigned.text
    assert ids(await queue(client, desk.headers, view="mine")) == [normal.id]
    assert ids(await queue(client, desk.colleague_headers, view="mine")) == []
    assert ids(await queue(client, desk.headers, view="unassigned")) == [urgent.id, low.id]
    assert (await queue(client, desk.headers, view="mine"))[0]["assignee_name"] == "김상담"

    # team: inquiries of the teams the agent belongs to
    team = Team(slug="cs", name="상담1팀")
    session.add(team)
    await session.flush()
    session.add(TeamMember(team_id=team.id, staff_id=desk.agent.id))
    low.team_id = team.id
    await session.commit()
    team_rows = await queue(client, desk.headers, view="team")
    assert ids(team_rows) == [low.id] and team_rows[0]["team_name"] == "상담1팀"
    assert await queue(client, desk.colleague_headers, view="team") == []

    # filters
    assert ids(await queue(client, desk.headers, status="in_progress")) == [normal.id]
    transfer = await category_id(session, "transfer")
    assert ids(await queue(client, desk.headers, category=transfer)) == [low.id]


async def test_overdue_and_due_soon_follow_the_sla_clocks(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    late = await file_inquiry(session, settings, desk.customer, title="환불이 안 돼요")
    warned = await file_inquiry(session, settings, desk.customer, title="영수증 문의")
    calm = await file_inquiry(session, settings, desk.customer, title="포인트 문의")
    now = utcnow()
    late.first_response_due_at = now - timedelta(hours=1)  # time has "passed" the promise
    warned.first_response_warned_at = now  # the SLA sweep flagged it
    await session.commit()

    overdue = await queue(client, desk.headers, view="overdue")
    assert ids(overdue) == [late.id] and overdue[0]["sla_state"] == "overdue"
    soon = await queue(client, desk.headers, view="due_soon")
    assert ids(soon) == [warned.id] and soon[0]["sla_state"] == "due_soon"
    states = {row["id"]: row["sla_state"] for row in await queue(client, desk.headers)}
    assert states == {late.id: "overdue", warned.id: "due_soon", calm.id: "ok"}

    # once answered the first-response promise is kept: the resolution clock pauses
    reply = await client.post(
        f"/api/v1/agent/inquiries/{late.id}/replies", json={"body": "확인해 보겠습니다."}, headers=desk.headers
    )
    assert reply.status_code == 201
    assert await queue(client, desk.headers, view="overdue") == []
    assert {row["id"]: row["sla_state"] for row in await queue(client, desk.headers)}[late.id] == "paused"


async def test_keyset_pages_walk_the_queue_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    filed = [await file_inquiry(session, settings, desk.customer, title=f"문의 {n}") for n in range(5)]
    filed[3].priority = "high"
    await session.commit()
    everything = ids(await queue(client, desk.headers, limit=50))
    seen: list[int] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"before_id": before} if before is not None else {})
        page = (await client.get("/api/v1/agent/inquiries", params=params, headers=desk.headers)).json()
        seen += ids(page["items"])
        before = page["next_before_id"]
        if before is None:
            break
    assert seen == everything and everything[0] == filed[3].id and len(set(seen)) == 5

    # finished work is listed newest first, paged by id
    for inquiry in filed[:3]:
        closed = await client.post(
            f"/api/v1/agent/inquiries/{inquiry.id}/status", json={"status": "closed"}, headers=desk.headers
        )
        assert closed.status_code == 200, closed.text
    newest = await queue(client, desk.headers, status="closed", limit=2)
    assert ids(newest) == [filed[2].id, filed[1].id]
    older = await queue(client, desk.headers, status="closed", limit=2, before_id=filed[1].id)
    assert ids(older) == [filed[0].id]


async def test_queue_refuses_bad_parameters_and_anonymous_callers(client: httpx.AsyncClient, desk: Desk) -> None:
    assert (await client.get("/api/v1/agent/inquiries")).status_code == 401
    for params in ({"view": "everything"}, {"status": "lost"}, {"limit": 0}, {"limit": 500}):
        response = await client.get("/api/v1/agent/inquiries", params=params, headers=desk.headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_error"), params
    unknown_cursor = await client.get("/api/v1/agent/inquiries", params={"before_id": 999999}, headers=desk.headers)
    assert (unknown_cursor.status_code, unknown_cursor.json()["code"]) == (422, "invalid_cursor")


# --- one inquiry ---------------------------------------------------------------------


async def test_detail_shows_thread_customer_history_and_viewers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    upload = check_upload("영수증 사진.png", png_bytes(), settings)
    earlier = await file_inquiry(session, settings, desk.customer, title="지난번 문의")
    inquiry = await file_inquiry(session, settings, desk.customer, uploads=[upload])
    stranger = await make_customer(session, "host-2", name="박손님")
    await file_inquiry(session, settings, stranger, title="남의 문의")

    colleague_view = await client.get(f"/api/v1/agent/inquiries/{inquiry.id}", headers=desk.colleague_headers)
    assert colleague_view.status_code == 200 and colleague_view.json()["other_viewers"] == []
    response = await client.get(f"/api/v1/agent/inquiries/{inquiry.id}", headers=desk.headers)
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["other_viewers"] == [{"id": desk.colleague.id, "display_name": "이상담"}]
    assert detail["number"] == inquiry.number and detail["status"] == "received"
    assert detail["customer"] | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "김고객",
        "email": "kim@example.com",
        "phone": "010-****-5678",
        "source": "host",
        "verified": False,
        "created_at": "",
    }
    assert [other["id"] for other in detail["other_inquiries"]] == [earlier.id]
    [attachment] = detail["attachments"]
    assert attachment["url"] == f"/api/v1/agent/inquiries/{inquiry.id}/attachments/{attachment['id']}"
    assert attachment["name"] == "영수증 사진.png" and attachment["content_type"] == "image/png"
    assert {option["status"] for option in detail["allowed_statuses"]} == {
        "in_progress",
        "answered",
        "resolved",
        "closed",
    }
    assert detail["feedback"] is None and detail["sla_state"] == "ok"
    assert [item["event"]["kind"] for item in detail["timeline"]] == ["created"]

    heartbeat = await client.post(f"/api/v1/agent/inquiries/{inquiry.id}/viewing", headers=desk.colleague_headers)
    assert heartbeat.json() == {"other_viewers": [{"id": desk.agent.id, "display_name": "김상담"}]}


async def test_reply_answers_and_a_note_stays_internal(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    inquiry = await file_inquiry(session, settings, desk.customer)
    base = f"/api/v1/agent/inquiries/{inquiry.id}"
    reply = await client.post(
        f"{base}/replies",
        json={"body": "  결제 내역을 확인했습니다. 010-9876-5432로 연락드릴게요. "},
        headers=desk.headers,
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["internal"] is False and reply.json()["author_name"] == "김상담"
    assert "010-****-5432" in reply.json()["body"]
    note = await client.post(
        f"{base}/replies", json={"body": "카드사 확인 필요", "internal": True}, headers=desk.headers
    )
    assert note.status_code == 201 and note.json()["internal"] is True

    detail = (await client.get(base, headers=desk.headers)).json()
    assert detail["status"] == "answered" and detail["first_responded_at"] is not None
    assert detail["assignee"] == {"id": desk.agent.id, "display_name": "김상담"}
    assert [(m["author"], m["internal"]) for m in detail["messages"]] == [("agent", False), ("agent", True)]
    kinds = [item["type"] if item["type"] == "message" else item["event"]["kind"] for item in detail["timeline"]]
    assert kinds == ["created", "message", "status_changed", "message"]
    times = [datetime.fromisoformat(item["created_at"]) for item in detail["timeline"]]
    assert times == sorted(times)

    # the customer sees the reply, never the note
    public = await client.get(f"/api/v1/inquiries/{inquiry.id}", headers=customer_headers(settings, "host-1"))
    assert public.status_code == 200, public.text
    assert [m["body"] for m in public.json()["messages"]] == [reply.json()["body"]]
    stored = (await session.scalars(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id))).all()
    assert sorted(m.internal for m in stored) == [False, True]

    blank = await client.post(f"{base}/replies", json={"body": "   "}, headers=desk.headers)
    assert (blank.status_code, blank.json()["code"]) == (422, "validation_error")
    actions = await audit_actions(session)
    assert "inquiry.reply" in actions and "inquiry.note" in actions


async def test_status_changes_follow_the_workflow_table(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    inquiry = await file_inquiry(session, settings, desk.customer)
    url = f"/api/v1/agent/inquiries/{inquiry.id}/status"
    moved = await client.post(url, json={"status": "resolved"}, headers=desk.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "resolved" and moved.json()["sla_state"] == "met"
    assert {option["status"] for option in moved.json()["allowed_statuses"]} == {"in_progress", "closed"}
    refused = await client.post(url, json={"status": "answered"}, headers=desk.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "transition_not_allowed")
    unknown = await client.post(url, json={"status": "archived"}, headers=desk.headers)
    assert unknown.status_code == 422
    reply = await client.post(
        f"/api/v1/agent/inquiries/{inquiry.id}/replies", json={"body": "추가 안내"}, headers=desk.headers
    )
    assert (reply.status_code, reply.json()["code"]) == (409, "inquiry_not_open")
    reopened = await client.post(url, json={"status": "in_progress"}, headers=desk.headers)
    assert reopened.json()["status"] == "in_progress" and reopened.json()["due_at"] is not None
    assert (await audit_actions(session)).count("inquiry.status") == 2


async def test_assign_and_hand_back(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    inquiry = await file_inquiry(session, settings, desk.customer)
    url = f"/api/v1/agent/inquiries/{inquiry.id}/assign"
    response = await client.post(url, json={"assignee_id": desk.colleague.id}, headers=desk.headers)
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["assignee"] == {"id": desk.colleague.id, "display_name": "이상담"}
    assert state["status"] == "in_progress"  # someone is on it now
    events = (await session.scalars(select(Job.payload).where(Job.kind == "event"))).all()
    assert any(p["event"] == "inquiry.assigned" and p["data"]["assignee_id"] == desk.colleague.id for p in events)

    inactive = await make_staff(session, "gone@example.com")
    inactive.is_active = False
    await session.commit()
    for assignee in (inactive.id, 999999):
        refused = await client.post(url, json={"assignee_id": assignee}, headers=desk.headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "unknown_assignee")
    back = await client.post(url, json={"assignee_id": None}, headers=desk.headers)
    assert back.json()["assignee"] is None and back.json()["status"] == "in_progress"
    missing_field = await client.post(url, json={}, headers=desk.headers)
    assert missing_field.status_code == 422
    assert (await audit_actions(session)).count("inquiry.assign") == 2


async def test_priority_and_tags_are_validated(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    inquiry = await file_inquiry(session, settings, desk.customer)
    base = f"/api/v1/agent/inquiries/{inquiry.id}"
    high = await client.post(f"{base}/priority", json={"priority": "high"}, headers=desk.headers)
    assert high.status_code == 200 and high.json()["priority"] == "high"
    bad = await client.post(f"{base}/priority", json={"priority": "critical"}, headers=desk.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")

    tags = await client.put(f"{base}/tags", json={"tags": [" 환불 ", "환불", "", "카드  취소"]}, headers=desk.headers)
    assert tags.status_code == 200, tags.text
    assert tags.json()["tags"] == ["환불", "카드 취소"]
    for bad_tags in ([f"태그{n}" for n in range(11)], ["가" * 31]):
        refused = await client.put(f"{base}/tags", json={"tags": bad_tags}, headers=desk.headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_tags")
    wrong_type = await client.put(f"{base}/tags", json={"tags": "환불"}, headers=desk.headers)
    assert wrong_type.status_code == 422
    await session.refresh(inquiry)
    assert inquiry.tags == ["환불", "카드 취소"] and inquiry.priority == "high"
    detail = (await client.get(base, headers=desk.headers)).json()
    assert {"priority_changed", "tags_changed"} <= {i["event"]["kind"] for i in detail["timeline"] if i["event"]}
    actions = await audit_actions(session)
    assert actions.count("inquiry.priority") == 1 and actions.count("inquiry.tags") == 1


async def test_merge_closes_the_duplicate_of_the_same_customer_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    target = await file_inquiry(session, settings, desk.customer, title="결제 취소 요청")
    duplicate = await file_inquiry(session, settings, desk.customer, title="결제 취소 다시 요청")
    other = await file_inquiry(session, settings, await make_customer(session, "host-2"), title="다른 고객")

    across = await client.post(
        f"/api/v1/agent/inquiries/{other.id}/merge", json={"into": target.id}, headers=desk.headers
    )
    assert (across.status_code, across.json()["code"]) == (409, "merge_customer_mismatch")
    itself = await client.post(
        f"/api/v1/agent/inquiries/{target.id}/merge", json={"into": target.id}, headers=desk.headers
    )
    assert (itself.status_code, itself.json()["code"]) == (409, "merge_into_self")
    unknown = await client.post(
        f"/api/v1/agent/inquiries/{duplicate.id}/merge", json={"into": 999999}, headers=desk.headers
    )
    assert unknown.status_code == 404

    merged = await client.post(
        f"/api/v1/agent/inquiries/{duplicate.id}/merge", json={"into": target.id}, headers=desk.headers
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["duplicate"]["status"] == "closed"
    assert merged.json()["duplicate"]["merged_into_id"] == target.id
    again = await client.post(
        f"/api/v1/agent/inquiries/{duplicate.id}/merge", json={"into": target.id}, headers=desk.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "inquiry_closed")

    target_detail = (await client.get(f"/api/v1/agent/inquiries/{target.id}", headers=desk.headers)).json()
    [system] = [m for m in target_detail["messages"] if m["author"] == "system"]
    assert system["body"] == f"문의 {duplicate.number}(결제 취소 다시 요청)이(가) 이 문의로 합쳐졌습니다."  # no English
    assert system["internal"] is False
    assert "merged" in [i["event"]["kind"] for i in target_detail["timeline"] if i["event"]]
    duplicate_detail = (await client.get(f"/api/v1/agent/inquiries/{duplicate.id}", headers=desk.headers)).json()
    assert duplicate_detail["merged_into"]["id"] == target.id
    assert "merged_into" in [i["event"]["kind"] for i in duplicate_detail["timeline"] if i["event"]]
    events = (await session.scalars(select(Job.payload).where(Job.kind == "event"))).all()
    assert [p["data"]["merged_into_id"] for p in events if p["event"] == "inquiry.merged"] == [target.id]
    assert (await audit_actions(session)).count("inquiry.merge") == 1


async def test_attachments_download_with_safe_headers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    data = png_bytes()
    inquiry = await file_inquiry(
        session, settings, desk.customer, uploads=[check_upload("내 영수증.png", data, settings)]
    )
    other = await file_inquiry(session, settings, desk.customer)
    detail = (await client.get(f"/api/v1/agent/inquiries/{inquiry.id}", headers=desk.headers)).json()
    url = detail["attachments"][0]["url"]

    response = await client.get(url, headers=desk.headers)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('내 영수증.png')}" in disposition

    attachment_id = detail["attachments"][0]["id"]
    assert (await client.get(url)).status_code == 401
    wrong_inquiry = f"/api/v1/agent/inquiries/{other.id}/attachments/{attachment_id}"
    assert (await client.get(wrong_inquiry, headers=desk.headers)).status_code == 404
    unknown = f"/api/v1/agent/inquiries/{inquiry.id}/attachments/999999"
    assert (await client.get(unknown, headers=desk.headers)).status_code == 404


async def test_macros_are_listed_and_previewed_for_an_inquiry(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    desk: Desk,
    admin_headers: dict[str, str],
) -> None:
    inquiry = await file_inquiry(session, settings, desk.customer)
    body = "{고객명}님, 문의({문의번호})는 {상담사명}이 확인했습니다. {모르는값}"
    created = await client.post(
        "/api/v1/admin/macros", json={"title": "확인 안내", "body": body}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    macro_id = created.json()["id"]
    listed = await client.get("/api/v1/agent/macros", headers=desk.headers)
    assert [m["title"] for m in listed.json()] == ["확인 안내"]
    preview = await client.post(f"/api/v1/agent/inquiries/{inquiry.id}/macros/{macro_id}/preview", headers=desk.headers)
    assert preview.status_code == 200, preview.text
    assert preview.json()["text"] == f"김고객님, 문의({inquiry.number})는 김상담이 확인했습니다. {{모르는값}}"
    missing = await client.post(f"/api/v1/agent/inquiries/{inquiry.id}/macros/999999/preview", headers=desk.headers)
    assert missing.status_code == 404


async def test_unknown_inquiries_answer_404_everywhere(client: httpx.AsyncClient, desk: Desk) -> None:
    base = "/api/v1/agent/inquiries/999999"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", base, None),
        ("POST", f"{base}/viewing", None),
        ("POST", f"{base}/replies", {"body": "안녕하세요"}),
        ("POST", f"{base}/status", {"status": "closed"}),
        ("POST", f"{base}/assign", {"assignee_id": None}),
        ("POST", f"{base}/priority", {"priority": "high"}),
        ("PUT", f"{base}/tags", {"tags": []}),
        ("POST", f"{base}/merge", {"into": 1}),
        ("GET", f"{base}/attachments/1", None),
        ("POST", f"{base}/macros/1/preview", None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=desk.headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url
        anonymous = await client.request(method, url, json=body)
        assert anonymous.status_code == 401, url


async def test_the_audit_log_is_for_admins_only(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    desk: Desk,
    admin_headers: dict[str, str],
) -> None:
    supervisor = await make_staff(session, "lead@example.com", role=StaffRole.SUPERVISOR)
    lead_headers = await sign_in(client, supervisor.email)
    inquiry = await file_inquiry(session, settings, desk.customer)
    base = f"/api/v1/agent/inquiries/{inquiry.id}"
    await client.post(f"{base}/replies", json={"body": "답변드립니다"}, headers=desk.headers)
    await client.post(f"{base}/priority", json={"priority": "low"}, headers=desk.headers)

    assert (await client.get("/api/v1/admin/audit", headers=desk.headers)).status_code == 403
    page = (await client.get("/api/v1/admin/audit", params={"limit": 2}, headers=lead_headers)).json()
    newest = page["items"]
    assert [entry["action"] for entry in newest] == ["inquiry.priority", "inquiry.reply"]
    assert newest[0]["actor_id"] == desk.agent.id and newest[0]["target_id"] == str(inquiry.id)
    assert newest[0]["actor_label"] == "agent@example.com" and newest[0]["ip"] == "127.0.0.1"
    assert newest[0]["detail"] == {"from": "normal", "to": "low"}
    rest = await client.get("/api/v1/admin/audit", params={"before_id": page["next_before_id"]}, headers=admin_headers)
    assert all(entry["id"] < newest[-1]["id"] for entry in rest.json()["items"])
    filtered = await client.get("/api/v1/admin/audit", params={"action": "inquiry.reply"}, headers=admin_headers)
    assert [entry["target_id"] for entry in filtered.json()["items"]] == [str(inquiry.id)]
