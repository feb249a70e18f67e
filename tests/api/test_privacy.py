"""Customers' data rights (docs/privacy.md): the host's signed export and erasure, on SQLite and
PostgreSQL. The central test seeds a customer's data into every table that can hold it, erases
the customer, and then reads every text column of every table, and the attachment folder, for
anything that would identify them."""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.models import RestrictionAppeal
from gogaek.chat.models import ChatMessage, Conversation
from gogaek.config import Settings
from gogaek.db import Base, utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, OneTimeCode
from gogaek.inquiries.models import InquiryEvent, InquiryFeedback, InquiryMessage
from gogaek.jobs.models import Job
from gogaek.mail.models import InboundMail, OutboundMail
from gogaek.notify.models import Notification
from gogaek.phone.models import Callback, CallLog, CtiEvent, IdentityCheck, PhoneVerification
from gogaek.privacy.models import PrivacyRequest
from gogaek.privacy.signing import signature
from tests.conftest import customer_headers

SECRET = "test-privacy-secret-0123456789abcdef"
LEAVER = {"sub": "leaver-7f3a9c", "name": "탈퇴예정고객", "email": "leaver.7f3a@example.com", "phone": "010-4821-7395"}
STAYER = {"sub": "stayer-2b6e1d", "name": "남는고객님", "email": "stayer.2b6e@example.com", "phone": "010-5932-1846"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"privacy_api_secret": SECRET})


def png_bytes(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def signed(
    path: str, payload: dict[str, Any], *, secret: str = SECRET, at: int | None = None, method: str = "POST"
) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    stamp = int(time.time()) if at is None else at
    headers = {"Content-Type": "application/json", "X-Gogaek-Signature": signature(secret, stamp, method, path, body)}
    return {"content": body, "headers": headers}


async def host_export(client: httpx.AsyncClient, external_id: str, **headers: str) -> httpx.Response:
    request = signed("/api/v1/privacy/export", {"external_id": external_id})
    return await client.post(
        "/api/v1/privacy/export", content=request["content"], headers={**request["headers"], **headers}
    )


async def host_erase(client: httpx.AsyncClient, external_id: str) -> httpx.Response:
    request = signed("/api/v1/privacy/erasure", {"external_id": external_id})
    return await client.post("/api/v1/privacy/erasure", content=request["content"], headers=request["headers"])


def read_zip(data: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("data.json")), files


@dataclass
class Seeded:
    customer_id: int
    inquiry_id: int
    attachment_keys: list[str]
    chat_image_key: str


@pytest.fixture
async def category(session: AsyncSession) -> Category:
    row = Category(slug="payment", name="결제·환불", position=1)
    session.add(row)
    await session.commit()
    return row


async def seed(app: FastAPI, client: httpx.AsyncClient, settings: Settings, who: dict[str, str], colour: str) -> Seeded:
    """The customer's data in every table that can hold it: through the API where customers
    write it, directly where staff, the phone system or the mail server would."""
    name, email, phone = who["name"], who["email"], who["phone"]
    headers = customer_headers(settings, sub=who["sub"], name=name, email=email, phone=phone)
    response = await client.post(
        "/api/v1/inquiries",
        data={"category": "payment", "title": f"{name}의 결제 문의", "body": f"저는 {name}이고 {email}로 연락 주세요."},
        files=[("attachments", ("영수증.png", png_bytes(colour), "image/png"))],
        headers={**headers, "Idempotency-Key": f"key-{who['sub']}"},
    )
    assert response.status_code == 201, response.text
    inquiry = response.json()
    more = await client.post(
        f"/api/v1/inquiries/{inquiry['id']}/messages",
        data={"body": f"추가로 {name} 명의 카드입니다."},
        files=[("attachments", ("추가.png", png_bytes("white"), "image/png"))],
        headers=headers,
    )
    assert more.status_code == 201, more.text
    storage = app.state.attachment_storage
    image_key = await storage.save(png_bytes("blue"), "png")
    now = utcnow()
    async with app.state.sessionmaker() as session:
        customer = await session.scalar(select(Customer).where(Customer.external_id == who["sub"]))
        assert customer is not None
        attachment_keys = [row["storage_key"] for row in await _attachment_keys(session, inquiry["id"])]
        digits = phone.replace("-", "")
        session.add_all(
            [
                InquiryMessage(
                    inquiry_id=inquiry["id"], author_kind="agent", body=f"{name} 고객님, {email}로 안내했습니다."
                ),
                InquiryMessage(
                    inquiry_id=inquiry["id"], author_kind="agent", internal=True, body=f"{name} {phone} 확인"
                ),
                InquiryEvent(inquiry_id=inquiry["id"], kind="note", actor_kind="system", data={"who": name}),
                InquiryFeedback(inquiry_id=inquiry["id"], score=5, comment=f"{name}: 친절했어요"),
                RestrictionAppeal(
                    inquiry_id=inquiry["id"],
                    customer_id=customer.id,
                    restricted_on=date(2026, 11, 1),
                    outcome_reason=f"{name}님 소명 확인",
                ),
                Callback(customer_id=customer.id, phone=digits, note=f"{name} 저녁에", due_at=now + timedelta(days=1)),
                CallLog(
                    call_id=f"call-{colour}",
                    direction="in",
                    from_number=digits,
                    customer_id=customer.id,
                    notes=f"{name} 통화",
                ),
                CtiEvent(call_id=f"call-{colour}", event="newCall", payload={"from": digits, "user": [name]}),
                IdentityCheck(customer_id=customer.id, passed=True, note=f"{name} 본인 확인"),
                PhoneVerification(customer_id=customer.id, phone=digits),
                InboundMail(
                    dedupe_key=f"in-{colour}",
                    source="smtp",
                    envelope_sender=email,
                    raw=f"From: {email}\r\n\r\n{name}".encode(),
                    size=40,
                    sender=email,
                    subject=f"{name} 문의",
                    inquiry_id=inquiry["id"],
                    refused_files=[{"name": f"{name}.exe", "reason": "type"}],
                ),
                InboundMail(
                    dedupe_key=f"auto-{colour}",
                    source="smtp",
                    raw=email.encode(),
                    size=20,
                    sender=email,
                    status="ignored",
                    subject="자동 응답",
                ),
                OutboundMail(
                    inquiry_id=inquiry["id"],
                    kind="reply",
                    message_id=f"<{colour}@gogaek>",
                    to_address=email,
                    subject=f"Re: {name}의 결제 문의",
                ),
                Notification(
                    recipient_kind="customer", recipient_id=customer.id, kind="answer", title=f"{name}님 답변 도착"
                ),
                OneTimeCode(channel="email", destination=email, code_hash="x" * 64, expires_at=now),
                Job(kind="notify.email", payload={"to": email, "subject": "답변", "text": f"{name}님"}, status="done"),
                Job(
                    kind="event",
                    payload={"event": "inquiry.created", "data": {"customer_id": customer.id, "title": name}},
                ),
            ]
        )
        conversation = Conversation(
            customer_id=customer.id, status="ended", ended_at=now, rating_comment=f"{name} 좋아요"
        )
        session.add(conversation)
        await session.flush()
        session.add_all(
            [
                ChatMessage(conversation_id=conversation.id, seq=1, sender="customer", text=f"{name}입니다 {phone}"),
                ChatMessage(
                    conversation_id=conversation.id,
                    seq=2,
                    sender="customer",
                    payload={
                        "image": {"key": image_key, "name": f"{name}.png", "content_type": "image/png", "size": 9}
                    },
                ),
                ChatMessage(conversation_id=conversation.id, seq=3, sender="agent", internal=True, text="메모"),
            ]
        )
        customer_id = customer.id
        await session.commit()
    return Seeded(customer_id, inquiry["id"], attachment_keys, image_key)


async def _attachment_keys(session: AsyncSession, inquiry_id: int) -> list[dict[str, str]]:
    from gogaek.inquiries.models import InquiryAttachment

    rows = await session.scalars(select(InquiryAttachment).where(InquiryAttachment.inquiry_id == inquiry_id))
    return [{"storage_key": row.storage_key} for row in rows]


def needles(who: dict[str, str]) -> list[str]:
    return [who["sub"], who["name"], who["email"], who["phone"], who["phone"].replace("-", "")]


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


async def leaks(session: AsyncSession, who: dict[str, str]) -> list[str]:
    """Every (table, column) holding one of the customer's identifiers, read from every table."""
    await session.rollback()  # a fresh snapshot
    found: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in (await session.execute(select(table))).mappings():
            for column, value in row.items():
                text = _as_text(value)
                found += [
                    f"{table.name}.{column}: {needle}" for needle in needles(who) if needle.lower() in text.lower()
                ]
    return found


pytestmark = pytest.mark.usefixtures("category")


async def test_export_has_everything_of_the_customer_and_nothing_of_another(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    mine = await seed(app, client, settings, LEAVER, "red")
    await seed(app, client, settings, STAYER, "green")
    response = await host_export(client, LEAVER["sub"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    data, files = read_zip(response.content)
    assert data["customer"]["name"] == LEAVER["name"] and data["customer"]["email"] == LEAVER["email"]
    [inquiry] = data["inquiries"]
    assert inquiry["id"] == mine.inquiry_id and LEAVER["name"] in inquiry["title"]
    assert [message["author"] for message in inquiry["messages"]] == ["customer", "agent"]  # no internal note
    assert len(inquiry["attachments"]) == 2
    for attachment in inquiry["attachments"]:
        assert attachment["file"] in files and len(files[attachment["file"]]) == attachment["size"]
    assert inquiry["feedback"]["score"] == 5 and inquiry["appeal"]["outcome"] == "pending"
    assert inquiry["emails"]["sent"][0]["to"] == LEAVER["email"]
    [chat] = data["chats"]
    assert [line["seq"] for line in chat["messages"]] == [1, 2]  # the internal note is left out
    assert chat["messages"][1]["image"]["file"] in files
    assert data["callbacks"][0]["phone"] == "01048217395" and data["calls"][0]["from_number"] == "01048217395"
    assert data["identity_checks"][0]["passed"] is True and data["phone_verifications"]
    assert data["notifications"][0]["title"].startswith(LEAVER["name"])
    everything = json.dumps(data, ensure_ascii=False)
    assert all(needle not in everything for needle in needles(STAYER))
    assert data["missing_files"] == []


async def test_export_with_the_same_idempotency_key_is_the_same_zip_and_one_receipt(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    await seed(app, client, settings, LEAVER, "red")
    first = await host_export(client, LEAVER["sub"], **{"Idempotency-Key": "export-1"})
    again = await host_export(client, LEAVER["sub"], **{"Idempotency-Key": "export-1"})
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert first.content == again.content
    receipts = list(await session.scalars(select(PrivacyRequest)))
    assert [(row.kind, row.requested_by) for row in receipts] == [("export", "host")]


async def test_erasure_leaves_no_personal_data_in_any_table_index_or_file(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    mine = await seed(app, client, settings, LEAVER, "red")
    theirs = await seed(app, client, settings, STAYER, "green")
    assert await leaks(session, LEAVER)  # the scan does see the seeded data

    response = await host_erase(client, LEAVER["sub"])

    assert response.status_code == 200, response.text
    result = response.json()
    assert await leaks(session, LEAVER) == []
    assert {"chat_conversations", "inquiry_attachments", "identity_checks", "notifications", "jobs"} <= set(
        result["deleted"]
    )
    assert result["files_deleted"] == 3
    kept = {item["table"]: item for item in result["kept"]}
    assert kept["inquiries"]["rows"] == 1 and "전자상거래법" in kept["inquiries"]["why"]
    assert {"customers", "inquiry_messages", "callbacks", "audit_log", "privacy_requests"} <= set(kept)
    # Stored files: the customer's are gone, the other customer's remain.
    stored = {path.relative_to(settings.attachment_path).as_posix() for path in settings.attachment_path.rglob("*.*")}
    assert stored.isdisjoint([*mine.attachment_keys, mine.chat_image_key])
    assert {*theirs.attachment_keys, theirs.chat_image_key} <= stored
    # The search index never held customers' text; nothing of theirs is in its vector store either.
    assert app.state.search_index is not None
    cache = settings.embedding_cache_path
    if cache.exists():
        raw = cache.read_bytes()
        assert all(needle.encode() not in raw for needle in needles(LEAVER))
    # The other customer's records are untouched; the kept inquiry is anonymised, not gone.
    assert len(await leaks(session, STAYER)) > 10
    stayer_export, _ = read_zip((await host_export(client, STAYER["sub"])).content)
    assert STAYER["name"] in stayer_export["inquiries"][0]["title"]
    anonymous = await session.get(Customer, mine.customer_id)
    assert anonymous is not None and anonymous.source == "erased" and anonymous.name is None


async def test_a_retried_erasure_answers_the_first_result(
    client: httpx.AsyncClient, settings: Settings, app: FastAPI
) -> None:
    await seed(app, client, settings, LEAVER, "red")
    first = await host_erase(client, LEAVER["sub"])
    again = await host_erase(client, LEAVER["sub"])
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    gone = await host_export(client, LEAVER["sub"])
    assert gone.status_code == 404 and gone.json()["code"] == "customer_not_found"


async def test_the_customer_signing_in_again_after_erasure_starts_empty(
    client: httpx.AsyncClient, settings: Settings, app: FastAPI
) -> None:
    await seed(app, client, settings, LEAVER, "red")
    assert (await host_erase(client, LEAVER["sub"])).status_code == 200
    listing = await client.get("/api/v1/inquiries", headers=customer_headers(settings, sub=LEAVER["sub"]))
    assert listing.status_code == 200 and listing.json()["total"] == 0


async def test_unknown_customer_is_a_clear_404(client: httpx.AsyncClient) -> None:
    for response in (await host_erase(client, "nobody-here"), await host_export(client, "nobody-here")):
        assert response.status_code == 404
        assert response.json()["code"] == "customer_not_found"
        assert "고객을 찾을 수 없습니다" in response.json()["title"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "someone-else"}, "invalid_signature"),
        ({"at": int(time.time()) - 3600}, "signature_expired"),
        ({"method": "GET"}, "invalid_signature"),
    ],
)
async def test_a_bad_signature_is_refused_and_erases_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    session: AsyncSession,
    change: dict[str, Any],
    code: str,
) -> None:
    await seed(app, client, settings, LEAVER, "red")
    request = signed("/api/v1/privacy/erasure", {"external_id": LEAVER["sub"]}, **change)
    response = await client.post("/api/v1/privacy/erasure", content=request["content"], headers=request["headers"])
    assert response.status_code == 401 and response.json()["code"] == code
    assert response.headers["content-type"] == "application/problem+json"
    assert await session.scalar(select(Customer).where(Customer.external_id == LEAVER["sub"])) is not None


async def test_a_signature_for_one_body_or_path_does_not_fit_another(client: httpx.AsyncClient) -> None:
    export = signed("/api/v1/privacy/export", {"external_id": "someone"})
    as_erasure = await client.post("/api/v1/privacy/erasure", content=export["content"], headers=export["headers"])
    assert as_erasure.status_code == 401 and as_erasure.json()["code"] == "invalid_signature"
    other_body = json.dumps({"external_id": "someone-else"}).encode()
    swapped = await client.post("/api/v1/privacy/export", content=other_body, headers=export["headers"])
    assert swapped.status_code == 401


async def test_unsigned_calls_and_customer_tokens_are_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    body = {"external_id": LEAVER["sub"]}
    unsigned = await client.post("/api/v1/privacy/erasure", json=body)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "signature_required"
    as_customer = await client.post("/api/v1/privacy/export", json=body, headers=customer_headers(settings))
    assert as_customer.status_code == 401


async def test_without_a_configured_secret_the_host_api_is_off(settings: Settings) -> None:
    from gogaek.app import create_app

    plain = create_app(settings.model_copy(update={"privacy_api_secret": None}))
    async with plain.router.lifespan_context(plain):
        transport = httpx.ASGITransport(app=plain)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await host_erase(http, LEAVER["sub"])
    assert response.status_code == 503 and response.json()["code"] == "privacy_api_disabled"


async def test_a_signed_body_that_is_not_a_subject_is_a_422(client: httpx.AsyncClient) -> None:
    request = signed("/api/v1/privacy/erasure", {"external_id": "", "extra": 1})
    response = await client.post("/api/v1/privacy/erasure", content=request["content"], headers=request["headers"])
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


async def test_the_customer_exports_their_own_data_with_their_token(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed(app, client, settings, LEAVER, "red")
    await seed(app, client, settings, STAYER, "green")
    response = await client.post("/api/v1/me/export", headers=customer_headers(settings, sub=STAYER["sub"]))
    assert response.status_code == 200, response.text
    data, files = read_zip(response.content)
    assert data["customer"]["external_id"] == STAYER["sub"] and len(files) == 3
    assert all(needle not in json.dumps(data, ensure_ascii=False) for needle in needles(LEAVER))


async def test_a_web_visitor_is_erased_by_source_and_address(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """Visitors who signed in with an emailed code are ``email:…`` customers; their codes go too."""
    visitor = {"sub": "email:visitor.9d1c@example.com", "name": "방문고객", "email": "visitor.9d1c@example.com",
               "phone": "010-7712-4409"}  # fmt: skip
    customer = Customer(source="email", external_id=visitor["sub"], email=visitor["email"], name=visitor["name"])
    session.add(customer)
    await session.flush()
    session.add_all(
        [
            Notification(recipient_kind="customer", recipient_id=customer.id, kind="answer", title="방문고객님 답변"),
            OneTimeCode(channel="email", destination=visitor["email"], code_hash="y" * 64, expires_at=utcnow()),
        ]
    )
    await session.commit()
    as_host = await host_erase(client, visitor["sub"])
    assert as_host.status_code == 404  # the host's namespace has no such id
    request = signed("/api/v1/privacy/erasure", {"external_id": visitor["sub"], "source": "email"})
    response = await client.post("/api/v1/privacy/erasure", content=request["content"], headers=request["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["deleted"] == {"notifications": 1, "one_time_codes": 1}
    assert await leaks(session, visitor) == []


def test_short_host_ids_are_not_redacted_out_of_sentences() -> None:
    from gogaek.privacy.queries import identifying_values

    short = Customer(source="host", external_id="42", name="김민수", email=None, phone="010-1234-5678")
    assert identifying_values(short) == ["010-1234-5678", "01012345678", "김민수"]


async def test_a_blank_idempotency_key_is_refused(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> None:
    await seed(app, client, settings, LEAVER, "red")
    response = await host_export(client, LEAVER["sub"], **{"Idempotency-Key": " "})
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_blank"
