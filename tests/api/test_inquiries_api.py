"""The customer inquiry API as the acceptance checks use it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.inquiries.models import Inquiry, InquiryAttachment, InquiryMessage
from gogaek.jobs.models import Job
from tests.conftest import customer_headers

pytestmark = pytest.mark.usefixtures("demo_content")

NEW = {"category": "payment", "title": "결제가 두 번 됐어요", "body": "어제 편의점에서 결제가 두 번 승인됐습니다."}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_submit_returns_number_status_and_business_day_due_times(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post("/api/v1/inquiries", json=NEW, headers=customer_headers(settings))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "received" and body["status_label"] == "접수"
    assert body["number"].endswith(f"-{body['id']:06d}")
    first, resolution = (datetime.fromisoformat(body[k]) for k in ("first_response_due_at", "resolution_due_at"))
    created = datetime.fromisoformat(body["created_at"])
    assert created < first < resolution
    assert response.headers["location"] == f"/api/v1/inquiries/{body['id']}"
    assert body["category"]["slug"] == "payment"


async def test_category_may_be_given_by_name(client: httpx.AsyncClient, settings: Settings) -> None:
    categories = (await client.get("/api/v1/faq/categories")).json()
    name = categories[0]["name"]
    response = await client.post(
        "/api/v1/inquiries", json={**NEW, "category": name}, headers=customer_headers(settings)
    )
    assert response.status_code == 201, response.text
    assert response.json()["category"]["name"] == name


async def test_same_idempotency_key_returns_the_same_inquiry(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    headers = {**customer_headers(settings), "Idempotency-Key": "retry-abc-1"}
    first = await client.post("/api/v1/inquiries", json=NEW, headers=headers)
    second = await client.post("/api/v1/inquiries", json=NEW, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    assert await count(session, Inquiry) == 1
    other = await client.post("/api/v1/inquiries", json={**NEW, "title": "다른 내용"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_concurrent_retries_with_one_key_create_one_inquiry(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    headers = {**customer_headers(settings), "Idempotency-Key": "double-tap"}
    responses = await asyncio.gather(*(client.post("/api/v1/inquiries", json=NEW, headers=headers) for _ in range(4)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count(session, Inquiry) == 1


async def test_customers_only_see_their_own_inquiries(client: httpx.AsyncClient, settings: Settings) -> None:
    mine, theirs = customer_headers(settings, "alice"), customer_headers(settings, "bob")
    created = (await client.post("/api/v1/inquiries", json=NEW, headers=mine)).json()
    await client.post("/api/v1/inquiries", json={**NEW, "title": "밥의 문의"}, headers=theirs)
    listed = (await client.get("/api/v1/inquiries", headers=mine)).json()
    assert listed["total"] == 1 and [item["id"] for item in listed["items"]] == [created["id"]]
    foreign = await client.get(f"/api/v1/inquiries/{created['id']}", headers=theirs)
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    for path in ("messages", "resolve", "reopen"):
        response = await client.post(f"/api/v1/inquiries/{created['id']}/{path}", json={"body": "x"}, headers=theirs)
        assert response.status_code == 404, path
    rating = await client.post(f"/api/v1/inquiries/{created['id']}/feedback", json={"score": 5}, headers=theirs)
    assert rating.status_code == 404


async def test_every_page_of_the_history_tells_the_same_total(client: httpx.AsyncClient, settings: Settings) -> None:
    """The count is skipped when a page shows the end of the list; every page must still agree."""
    mine = customer_headers(settings, "pages")
    filed = []
    for n in range(5):
        response = await client.post("/api/v1/inquiries", json={**NEW, "title": f"문의 {n}"}, headers=mine)
        filed.append(response.json()["id"])
    await client.post("/api/v1/inquiries", json=NEW, headers=customer_headers(settings, "someone-else"))
    seen: list[int] = []
    for limit, offset, shown in [(2, 0, 2), (2, 2, 2), (2, 4, 1), (5, 0, 5), (10, 0, 5), (2, 5, 0), (3, 9, 0)]:
        page = (await client.get(f"/api/v1/inquiries?limit={limit}&offset={offset}", headers=mine)).json()
        assert (page["total"], len(page["items"])) == (5, shown), (limit, offset)
        if limit == 2:
            seen += [item["id"] for item in page["items"]]
    assert seen == filed[::-1]  # newest first, each once
    nobody = (await client.get("/api/v1/inquiries", headers=customer_headers(settings, "new-here"))).json()
    assert nobody == {"items": [], "total": 0}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({**NEW, "category": "no-such-category"}, "unknown_category"),
        ({"category": "payment", "body": "본문만"}, "validation_error"),
        ({**NEW, "title": "   "}, "validation_error"),
        ({**NEW, "body": "가" * 5001}, "validation_error"),
    ],
)
async def test_bad_submissions_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession, payload: dict[str, str], code: str
) -> None:
    response = await client.post("/api/v1/inquiries", json=payload, headers=customer_headers(settings))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert await count(session, Inquiry) == 0 and await count(session, Job) == 0


async def test_malformed_json_is_a_clear_400(client: httpx.AsyncClient, settings: Settings) -> None:
    headers = {**customer_headers(settings), "Content-Type": "application/json"}
    response = await client.post("/api/v1/inquiries", content=b"{not json", headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ."},
    ],
)
async def test_missing_or_bad_tokens_are_refused(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post("/api/v1/inquiries", json=NEW, headers=headers)
    assert response.status_code == 401
    assert (await client.get("/api/v1/inquiries", headers=headers)).status_code == 401


async def test_tampered_token_is_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    token = customer_headers(settings)["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    response = await client.get("/api/v1/inquiries", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


async def test_multipart_submission_stores_checked_evidence(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    files = [("attachments", ("../../영수증.jpg", png_bytes(), "image/jpeg"))]
    response = await client.post("/api/v1/inquiries", data=NEW, files=files, headers=customer_headers(settings))
    assert response.status_code == 201, response.text
    attachment = response.json()["attachments"][0]
    assert attachment["name"] == "영수증.png" and attachment["content_type"] == "image/png"
    download = await client.get(attachment["url"], headers=customer_headers(settings))
    assert download.status_code == 200 and download.content == png_bytes()
    assert download.headers["x-content-type-options"] == "nosniff"
    stranger = await client.get(attachment["url"], headers=customer_headers(settings, "stranger"))
    assert stranger.status_code == 404
    row = await session.scalar(select(InquiryAttachment))
    assert row is not None and ".." not in row.storage_key
    assert (settings.attachment_path / row.storage_key).read_bytes() == png_bytes()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("invoice.jpg", b"MZ\x90\x00" + b"\x00" * 200, "attachment_type_not_allowed"),
        (
            "x.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "attachment_type_not_allowed",
        ),
        ("empty.png", b"", "attachment_empty"),
    ],
)
async def test_disguised_uploads_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession, name: str, data: bytes, code: str
) -> None:
    files = [("attachments", ("ok.png", png_bytes(), "image/png")), ("attachments", (name, data, "image/jpeg"))]
    response = await client.post("/api/v1/inquiries", data=NEW, files=files, headers=customer_headers(settings))
    assert response.status_code in (413, 422), response.text
    assert response.json()["code"] == code
    assert await count(session, Inquiry) == 0 and await count(session, InquiryAttachment) == 0
    assert not any(path.is_file() for path in settings.attachment_path.rglob("*"))


async def test_oversized_and_too_many_uploads(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    big = png_bytes() + b"\x00" * settings.attachment_max_bytes
    response = await client.post(
        "/api/v1/inquiries",
        data=NEW,
        files=[("attachments", ("big.png", big, "image/png"))],
        headers=customer_headers(settings),
    )
    assert response.status_code == 413 and response.json()["code"] == "attachment_too_large"
    many = [("attachments", (f"{i}.png", png_bytes(), "image/png")) for i in range(settings.attachment_max_count + 1)]
    response = await client.post("/api/v1/inquiries", data=NEW, files=many, headers=customer_headers(settings))
    assert response.status_code == 422 and response.json()["code"] == "too_many_attachments"
    assert await count(session, Inquiry) == 0


async def test_sensitive_numbers_are_masked_before_storage(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    body = "제 주민번호는 900101-1234567이고 카드는 4111-1111-1111-1111, 연락처 010-1234-5678입니다."
    response = await client.post("/api/v1/inquiries", json={**NEW, "body": body}, headers=customer_headers(settings))
    assert response.status_code == 201
    stored = await session.scalar(select(Inquiry.body))
    assert stored is not None
    for secret in ("900101-1234567", "4111-1111-1111-1111", "1234-5678"):
        assert secret not in stored and secret not in response.text
    assert "1111" in stored and "5678" in stored
    assert "가려서" in response.json()["pii_notice"]


async def test_emergency_is_urgent_with_guidance_at_once(client: httpx.AsyncClient, settings: Settings) -> None:
    payload = {**NEW, "title": "보이스 피싱 당했어요", "body": "모르는 번호로 송금했습니다. 도와주세요."}
    body = (await client.post("/api/v1/inquiries", json=payload, headers=customer_headers(settings))).json()
    assert body["is_emergency"] is True and body["priority"] == "urgent"
    assert "24시간" in body["emergency_guidance"]


async def test_customer_thread_resolve_rate_and_reopen(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    headers = customer_headers(settings)
    created = (await client.post("/api/v1/inquiries", json=NEW, headers=headers)).json()
    path = f"/api/v1/inquiries/{created['id']}"
    early = await client.post(f"{path}/feedback", json={"score": 5}, headers=headers)
    assert early.status_code == 409 and early.json()["code"] == "inquiry_not_resolved"
    added = await client.post(f"{path}/messages", json={"body": "영수증 번호는 A-1 입니다."}, headers=headers)
    assert added.status_code == 201 and added.json()["messages"][-1]["author"] == "customer"
    resolved = await client.post(f"{path}/resolve", headers=headers)
    assert resolved.json()["status"] == "resolved" and resolved.json()["can_rate"] is True
    closed_thread = await client.post(f"{path}/messages", json={"body": "하나 더"}, headers=headers)
    assert closed_thread.status_code == 409 and closed_thread.json()["code"] == "inquiry_not_open"
    rated = await client.post(f"{path}/feedback", json={"score": 4, "comment": "빨라요"}, headers=headers)
    assert rated.status_code == 201 and rated.json()["score"] == 4
    again = await client.post(f"{path}/feedback", json={"score": 1}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "feedback_exists"
    bad = await client.post(f"{path}/feedback", json={"score": 6}, headers=headers)
    assert bad.status_code in (409, 422)
    reopened = await client.post(f"{path}/reopen", headers=headers)
    assert reopened.json()["status"] == "in_progress" and reopened.json()["resolution_due_at"] is not None
    assert (await client.post(f"{path}/resolve", headers=headers)).json()["status"] == "resolved"
    inquiry = await session.get(Inquiry, created["id"])
    assert inquiry is not None and inquiry.resolved_at is not None
    inquiry.resolved_at = inquiry.resolved_at - timedelta(days=settings.inquiry_reopen_days + 1)
    await session.commit()
    late = await client.post(f"{path}/reopen", headers=headers)
    assert late.status_code == 409 and late.json()["code"] == "reopen_window_passed"
    assert await count(session, InquiryMessage) == 1


async def test_invalid_transition_answers_409(client: httpx.AsyncClient, settings: Settings) -> None:
    headers = customer_headers(settings)
    created = (await client.post("/api/v1/inquiries", json=NEW, headers=headers)).json()
    reopen = await client.post(f"/api/v1/inquiries/{created['id']}/reopen", headers=headers)
    assert reopen.status_code == 409 and reopen.json()["code"] == "transition_not_allowed"
