"""Agents decide appeals: 추가 자료 요청 → the customer adds files → 해제, or 유지 with a reason."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.models import RestrictionAppeal
from gogaek.audit.models import AuditEntry
from gogaek.config import Settings
from gogaek.events import APPEAL_DECIDED
from gogaek.inquiries.models import Inquiry, InquiryEvent, InquiryMessage
from gogaek.jobs.models import Job
from tests.appeals.conftest import file_appeal, host_headers, png_bytes

pytestmark = pytest.mark.usefixtures("restrictions")


async def new_appeal(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    response = await file_appeal(client, host_headers(settings), restriction_ref="RS-77")
    assert response.status_code == 201, response.text
    return dict(response.json())


async def decide(
    client: httpx.AsyncClient, headers: dict[str, str], inquiry_id: int, outcome: str, reason: str = ""
) -> httpx.Response:
    return await client.post(
        f"/api/v1/agent/appeals/{inquiry_id}/decision", json={"outcome": outcome, "reason": reason}, headers=headers
    )


async def decided_events(app: FastAPI) -> list[dict[str, Any]]:
    async with app.state.sessionmaker() as db:
        jobs = (await db.scalars(select(Job).where(Job.kind == "event").order_by(Job.id))).all()
    return [job.payload["data"] for job in jobs if job.payload["event"] == APPEAL_DECIDED]


async def test_more_evidence_then_files_then_lifted(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, agent_headers: dict[str, str]
) -> None:
    appeal = await new_appeal(client, settings)
    customer = host_headers(settings)
    inquiry_id = appeal["inquiry_id"]

    asked = await decide(client, agent_headers, inquiry_id, "more_evidence", "  해외 결제 영수증 원본  ")
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert (body["outcome"], body["label"], body["outcome_reason"]) == (
        "more_evidence",
        "추가 자료 요청",
        "해외 결제 영수증 원본",
    )
    assert body["inquiry_status"] == "answered"  # waiting on the customer
    thread = (await client.get(f"/api/v1/inquiries/{inquiry_id}", headers=customer)).json()
    assert thread["status"] == "answered"
    assert "필요한 자료: 해외 결제 영수증 원본" in thread["messages"][-1]["body"]
    assert thread["messages"][-1]["author"] == "agent"

    added = await client.post(
        f"/api/v1/inquiries/{inquiry_id}/messages",
        data={"body": "영수증 원본 사진입니다."},
        files=[("attachments", ("원본.png", png_bytes(), "image/png"))],
        headers=customer,
    )
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "in_progress"
    assert [a["name"] for a in added.json()["messages"][-1]["attachments"]] == ["원본.png"]
    mine = (await client.get(f"/api/v1/appeals/{appeal['id']}", headers=customer)).json()
    assert (mine["outcome"], mine["label"]) == ("more_evidence", "검토 중")  # back in review

    lifted = await decide(client, agent_headers, inquiry_id, "lifted")
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["label"], lifted.json()["inquiry_status"]) == ("해제", "resolved")
    thread = (await client.get(f"/api/v1/inquiries/{inquiry_id}", headers=customer)).json()
    assert thread["status"] == "resolved" and "해제하기로 했습니다" in thread["messages"][-1]["body"]

    events = await decided_events(app)
    assert [event["outcome"] for event in events] == ["more_evidence", "lifted"]
    assert events[-1] == {
        "appeal_id": appeal["id"],
        "inquiry_id": inquiry_id,
        "number": appeal["number"],
        "customer_id": events[-1]["customer_id"],
        "customer_external_id": "host-user-1",
        "outcome": "lifted",
        "reason": "",
        "restricted_on": appeal["restricted_on"],
        "restriction_ref": "RS-77",
    }


async def test_kept_needs_a_reason_and_resolves_with_it(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    appeal = await new_appeal(client, settings)
    inquiry_id = appeal["inquiry_id"]
    for outcome in ("kept", "more_evidence"):
        refused = await decide(client, agent_headers, inquiry_id, outcome, "   ")
        assert refused.status_code == 422
        assert refused.json()["code"] == "validation_error"
    for bad in ({"outcome": "pending"}, {"outcome": "maybe"}, {}, {"outcome": "lifted", "reason": "x" * 2001}):
        response = await client.post(f"/api/v1/agent/appeals/{inquiry_id}/decision", json=bad, headers=agent_headers)
        assert response.status_code == 422, bad
    assert await decided_events(app) == []

    kept = await decide(client, agent_headers, inquiry_id, "kept", "다른 기기에서 반복된 비정상 결제가 확인되었습니다.")
    assert kept.status_code == 200, kept.text
    assert (kept.json()["label"], kept.json()["inquiry_status"]) == ("유지", "resolved")
    row = await session.scalar(select(RestrictionAppeal))
    assert row is not None and row.decided_by_id is not None and row.decided_at is not None
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None and inquiry.resolved_at is not None
    kinds = (await session.scalars(select(InquiryEvent.kind).where(InquiryEvent.inquiry_id == inquiry_id))).all()
    assert "appeal_decided" in kinds
    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "appeal.decide"))).all()
    assert [(entry.target_type, entry.target_id, entry.detail["outcome"]) for entry in audit] == [
        ("appeal", str(appeal["id"]), "kept")
    ]
    reply = await session.scalar(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry_id))
    assert reply is not None and not reply.internal and "사유: 다른 기기에서" in reply.body


async def test_a_resolved_appeal_is_not_decided_again_until_reopened(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    appeal = await new_appeal(client, settings)
    inquiry_id = appeal["inquiry_id"]
    assert (await decide(client, agent_headers, inquiry_id, "kept", "사유")).status_code == 200
    again = await decide(client, agent_headers, inquiry_id, "lifted")
    assert again.status_code == 409 and again.json()["code"] == "inquiry_not_open"
    row = await session.scalar(select(RestrictionAppeal))
    assert row is not None and row.outcome == "kept"  # nothing of the refused decision stayed
    assert [event["outcome"] for event in await decided_events(app)] == ["kept"]

    reopened = await client.post(f"/api/v1/inquiries/{inquiry_id}/reopen", headers=host_headers(settings))
    assert reopened.status_code == 200, reopened.text
    assert (await decide(client, agent_headers, inquiry_id, "lifted")).json()["label"] == "해제"


async def test_decisions_need_staff_and_an_appeal(
    client: httpx.AsyncClient, settings: Settings, agent_headers: dict[str, str]
) -> None:
    appeal = await new_appeal(client, settings)
    inquiry_id = appeal["inquiry_id"]
    assert (await decide(client, {}, inquiry_id, "lifted")).status_code == 401
    assert (await decide(client, host_headers(settings), inquiry_id, "lifted")).status_code == 401
    plain = await client.post(
        "/api/v1/inquiries",
        json={"category": "payment", "title": "결제 문의", "body": "결제가 안 돼요"},
        headers=host_headers(settings),
    )
    assert plain.status_code == 201, plain.text
    for other in (plain.json()["id"], 999_999):
        response = await decide(client, agent_headers, other, "lifted")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert (await client.get(f"/api/v1/agent/appeals/{other}", headers=agent_headers)).status_code == 404
    read = await client.get(f"/api/v1/agent/appeals/{inquiry_id}", headers=agent_headers)
    assert read.status_code == 200 and read.json()["restriction_ref"] == "RS-77"
