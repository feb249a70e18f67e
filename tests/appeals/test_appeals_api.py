"""Filing an appeal through the API: identity check, evidence, routing, SLA, idempotency, ownership."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.models import RestrictionAppeal
from gogaek.calendar.business_time import add_business_time
from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Team
from gogaek.inquiries.models import Inquiry, InquiryAttachment
from tests.appeals.conftest import DESCRIPTION, days_ago, evidence, file_appeal, host_headers, png_bytes

pytestmark = pytest.mark.usefixtures("restrictions")
EXE_AS_PNG = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run"


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_verified_customer_files_an_appeal_with_evidence(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession, restrictions: Category
) -> None:
    restricted_on = days_ago(3)
    response = await file_appeal(
        client, host_headers(settings), restricted_on=restricted_on, restriction_ref=" RS-2026-0042 "
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/appeals/{body['id']}"
    assert re.fullmatch(r"\d{8}-\d{6}", body["number"])
    assert (body["outcome"], body["label"], body["inquiry_status"]) == ("pending", "검토 중", "received")
    assert (body["restricted_on"], body["restriction_ref"]) == (restricted_on, "RS-2026-0042")
    assert body["verified_by"] == "host_token" and body["verified_at"] is not None

    inquiry = await session.get(Inquiry, body["inquiry_id"])
    assert inquiry is not None
    assert inquiry.category_id == restrictions.id
    assert inquiry.title == f"이용 제한 해명 요청 ({restricted_on} · RS-2026-0042)"
    assert inquiry.body == DESCRIPTION
    [attachment] = (await session.scalars(select(InquiryAttachment))).all()
    assert (attachment.inquiry_id, attachment.content_type, attachment.display_name) == (
        inquiry.id,
        "image/png",
        "영수증.png",
    )


async def test_appeal_goes_to_the_reviewing_team_under_the_category_sla(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    """The restriction category's own policy (2 h / 4 h) applies, not the 1/2-business-day default."""
    response = await file_appeal(client, host_headers(settings))
    assert response.status_code == 201, response.text
    inquiry = await session.get(Inquiry, response.json()["inquiry_id"])
    assert inquiry is not None
    team = await session.scalar(select(Team).where(Team.slug == "restriction-review"))
    assert team is not None and inquiry.team_id == team.id
    hours = await load_business_hours(session)
    assert inquiry.first_response_due_at == add_business_time(inquiry.created_at, timedelta(hours=2), hours)
    assert inquiry.resolution_due_at == add_business_time(inquiry.created_at, timedelta(hours=4), hours)


@pytest.mark.parametrize("verified_ago", [None, 601, 3600])
async def test_without_a_recent_identity_check_nothing_is_filed(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession, verified_ago: int | None
) -> None:
    headers = host_headers(settings, verified_ago=verified_ago)
    response = await file_appeal(client, headers)
    assert response.status_code == 403
    assert response.json()["code"] == "verification_required"
    # The files of an unverified request are not even checked: a disguised one is not what is reported.
    disguised = await file_appeal(client, headers, [("files", ("사진.png", EXE_AS_PNG, "image/png"))])
    assert disguised.json()["code"] == "verification_required"
    assert await count(session, Inquiry) == 0
    assert await count(session, RestrictionAppeal) == 0


async def test_evidence_is_required(client: httpx.AsyncClient, settings: Settings, session: AsyncSession) -> None:
    headers = host_headers(settings)
    blank_input = await file_appeal(client, headers, [("files", ("", b"", "application/octet-stream"))])
    assert blank_input.status_code == 422, blank_input.text  # what a browser sends with no file chosen
    assert blank_input.json()["code"] == "evidence_required"
    wrong_field = await file_appeal(client, headers, [("attachments", ("a.png", png_bytes(), "image/png"))])
    assert wrong_field.json()["code"] == "evidence_required"
    no_parts = await client.post(
        "/api/v1/appeals", data={"description": DESCRIPTION, "restricted_on": days_ago(1)}, headers=headers
    )
    assert no_parts.status_code == 415 and no_parts.json()["code"] == "multipart_required"
    assert await count(session, Inquiry) == 0


async def test_uploads_get_the_inquiry_checks(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    headers = host_headers(settings)
    disguised = await file_appeal(client, headers, [("files", ("사진.png", EXE_AS_PNG, "image/png"))])
    assert disguised.status_code == 422
    assert disguised.json()["code"] == "attachment_type_not_allowed"
    too_many = [("files", (f"{n}.png", png_bytes(), "image/png")) for n in range(settings.attachment_max_count + 1)]
    response = await file_appeal(client, headers, too_many)
    assert response.status_code == 422
    assert response.json()["code"] == "too_many_attachments"
    assert await count(session, Inquiry) == 0
    assert await count(session, InquiryAttachment) == 0
    assert not any(path.is_file() for path in settings.attachment_path.rglob("*"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"restricted_on": days_ago(-1)}, "restricted_on"),  # tomorrow
        ({"restricted_on": "2026/12/01"}, "restricted_on"),
        ({"restricted_on": "1999-12-31"}, "restricted_on"),
        ({"restricted_on": ""}, "restricted_on"),
        ({"description": "   "}, "description"),
        ({"description": "가" * 5001}, "description"),
        ({"restriction_ref": "RS\u202e-1"}, "restriction_ref"),
        ({"restriction_ref": "x" * 101}, "restriction_ref"),
    ],
)
async def test_bad_fields_are_explained_per_field(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession, fields: dict[str, str], field: str
) -> None:
    response = await file_appeal(client, host_headers(settings), **fields)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["loc"] == ["body", field]
    assert await count(session, Inquiry) == 0


async def test_json_is_refused_with_a_clear_code(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.post(
        "/api/v1/appeals",
        json={"description": DESCRIPTION, "restricted_on": days_ago(1)},
        headers=host_headers(settings),
    )
    assert response.status_code == 415
    assert response.json()["code"] == "multipart_required"


async def test_same_idempotency_key_returns_the_first_appeal(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    headers = {**host_headers(settings), "Idempotency-Key": "appeal-retry-0001"}
    first, second = await asyncio.gather(file_appeal(client, headers), file_appeal(client, headers))
    assert {first.status_code, second.status_code} == {201}
    assert first.json()["id"] == second.json()["id"]
    assert "true" in (first.headers.get("Idempotent-Replayed"), second.headers.get("Idempotent-Replayed"))
    assert await count(session, RestrictionAppeal) == 1
    changed = await file_appeal(client, headers, restriction_ref="RS-OTHER")
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"
    assert await count(session, Inquiry) == 1


async def test_one_appeal_in_review_at_a_time(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    headers = host_headers(settings)
    first = await file_appeal(client, headers)
    assert first.status_code == 201
    second = await file_appeal(client, headers, description="다시 보냅니다")
    assert second.status_code == 409
    assert second.json()["code"] == "appeal_in_review"
    assert first.json()["number"] in second.json()["detail"]
    assert await count(session, Inquiry) == 1
    assert await count(session, InquiryAttachment) == 1  # the refused filing's file was removed again
    assert len([path for path in settings.attachment_path.rglob("*") if path.is_file()]) == 1


async def test_customers_read_only_their_own_appeals(client: httpx.AsyncClient, settings: Settings) -> None:
    mine, theirs = host_headers(settings, "host-user-1"), host_headers(settings, "host-user-2")
    created = (await file_appeal(client, mine)).json()
    listed = (await client.get("/api/v1/appeals", headers=mine)).json()
    assert listed["total"] == 1 and [item["id"] for item in listed["items"]] == [created["id"]]
    assert (await client.get(f"/api/v1/appeals/{created['id']}", headers=mine)).json() == created
    assert (await client.get("/api/v1/appeals", headers=theirs)).json() == {"items": [], "total": 0}
    stranger = await client.get(f"/api/v1/appeals/{created['id']}", headers=theirs)
    assert stranger.status_code == 404 and stranger.json()["code"] == "not_found"
    for path in ("/api/v1/appeals/0", "/api/v1/appeals/99999999999", "/api/v1/appeals/abc"):
        assert (await client.get(path, headers=mine)).status_code in (404, 422)
    assert (await client.get("/api/v1/appeals")).status_code == 401


async def test_page_session_needs_the_csrf_header(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    """The cookie alone is not enough for a write: a cross-site form could send it."""
    token = host_headers(settings)["Authorization"].removeprefix("Bearer ")
    assert (await client.get("/auth/customer", params={"token": token})).status_code == 303
    files, data = evidence(), {"description": DESCRIPTION, "restricted_on": days_ago(1)}
    refused = await client.post("/api/v1/appeals", data=data, files=files)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    page = await client.get("/appeal")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    accepted = await client.post("/api/v1/appeals", data=data, files=files, headers={"X-CSRF-Token": match.group(1)})
    assert accepted.status_code == 201, accepted.text
    assert await count(session, RestrictionAppeal) == 1
