"""Erasure (계정 탈퇴): one transaction that deletes or anonymises every row about a customer.

What is deleted, what is kept without personal data and why, is decided per table below and
listed in the answer (``KEPT``) and in docs/privacy.md. Stored files are deleted after the
commit; one that cannot be deleted then is left to the orphan-file sweep, since no row names it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.models import RestrictionAppeal
from gogaek.audit.service import record_audit
from gogaek.chat.models import ChatMessage, Conversation
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.identity.models import Customer, OneTimeCode
from gogaek.inquiries.models import (
    IdempotencyKey,
    Inquiry,
    InquiryAttachment,
    InquiryEvent,
    InquiryFeedback,
    InquiryMessage,
)
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.jobs.models import Job, JobStatus
from gogaek.korean.pii import mask_pii
from gogaek.mail.models import InboundMail, OutboundMail
from gogaek.notify.models import Notification
from gogaek.phone.models import (
    ACTIVE_CALLBACK_STATUSES,
    Callback,
    CallbackSlot,
    CallbackStatus,
    CallLog,
    CtiEvent,
    IdentityCheck,
    PhoneVerification,
)
from gogaek.privacy.models import PrivacyRequest, PrivacyRequestKind
from gogaek.privacy.queries import (
    ERASED_SOURCE,
    build_zip,
    collect_export,
    find_customer,
    identifying_values,
    unknown_customer,
)
from gogaek.privacy.schemas import ErasureResult, KeptRecord
from gogaek.privacy.signing import subject_key

log = logging.getLogger(__name__)

ERASED_TEXT = "(탈퇴한 고객의 요청으로 삭제된 내용입니다.)"
REDACTED = "[삭제됨]"

_COMPLAINT_RECORDS = (
    "전자상거래법 제6조·시행령 제6조: 소비자의 불만 또는 분쟁처리에 관한 기록은 3년 보존. "
    "거래 참조번호는 전자금융거래법 제22조의 거래기록(최대 5년)과 맞춰 보기 위해 남깁니다."
)
KEPT: dict[str, tuple[str, str]] = {
    "customers": (
        "익명 행 하나 (이름·이메일·전화번호·외부 ID 삭제)",
        "보존하는 문의 기록이 가리킬 행이 필요합니다. 누구인지 알 수 있는 값은 없습니다.",
    ),
    "inquiries": ("접수번호, 분류, 상태, 접수·처리 일시, 거래 참조번호 (제목·본문 삭제)", _COMPLAINT_RECORDS),
    "inquiry_messages": (
        "상담사 답변과 시스템 메시지 (고객 식별 정보 삭제, 고객이 쓴 글은 삭제)",
        "분쟁처리 결과 기록: " + _COMPLAINT_RECORDS,
    ),
    "inquiry_feedback": ("만족도 점수 (의견 삭제)", "서비스 품질 통계: 개인을 알 수 없는 점수만 남깁니다."),
    "restriction_appeals": (
        "제한 일자, 결과 (사유의 식별 정보 삭제)",
        "이용 제한 해명 처리 기록: " + _COMPLAINT_RECORDS,
    ),
    "callbacks": ("예약 번호, 상태, 일시 (전화번호·메모 삭제)", "상담 처리 기록과 상담 예약 통계."),
    "call_logs": ("통화 일시, 상태 (고객 전화번호·메모 삭제)", "전화 상담 통계와 교환기 기록의 짝 맞춤."),
    "inbound_mails": ("받은 시각, 처리 상태 (원문·주소·제목 삭제)", "메일 스레드와 중복 수신 방지."),
    "outbound_mails": ("보낸 시각, 종류, 상태 (주소·제목 삭제)", "발송 기록."),
    "audit_log": (
        "상담사의 작업 기록 (ID와 번호만 담음)",
        "개인정보의 안전성 확보조치 기준 제8조: 접속기록 보관(1년 이상). 변경할 수 없는 기록입니다.",
    ),
    "privacy_requests": (
        "이 삭제의 처리 기록 (고객 ID의 키 해시만 담음)",
        "개인정보보호법 제36조: 삭제 요구의 처리 결과를 증빙하고, 같은 요청의 재시도에 같은 답을 주기 위해.",
    ),
}


def redactor(values: list[str]) -> Callable[[str], str]:
    """Replaces the customer's identifiers (any case) with ``[삭제됨]``, then masks numbers."""
    pattern = re.compile("|".join(re.escape(value) for value in values), re.IGNORECASE) if values else None

    def redact(text: str) -> str:
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
        return mask_pii(text).text

    return redact


def redact_json(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_json(item, redact) for item in value]
    if isinstance(value, dict):
        return {key: redact_json(item, redact) for key, item in value.items()}
    return value


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class _Tally:
    def __init__(self) -> None:
        self.deleted: dict[str, int] = {}
        self.anonymised: dict[str, int] = {}

    def gone(self, table: str, count: int) -> None:
        if count:
            self.deleted[table] = self.deleted.get(table, 0) + count

    def kept(self, table: str, count: int) -> None:
        if count:
            self.anonymised[table] = self.anonymised.get(table, 0) + count


async def erase_customer(
    session: AsyncSession,
    settings: Settings,
    storage: AttachmentStorage,
    source: str,
    external_id: str,
    requested_by: str,
) -> tuple[ErasureResult, bool]:
    """Erases the customer; ``(result, replayed)``. A second call answers the first result."""
    key = subject_key(settings.secret_key, source, external_id)
    dedupe = f"erasure:{key}"
    earlier = await _receipt(session, dedupe)
    if earlier is not None:
        return earlier, True
    customer = await find_customer(session, source, external_id)
    if customer is None:
        raise unknown_customer()
    receipt = PrivacyRequest(
        kind=PrivacyRequestKind.ERASURE.value, subject_key=key, dedupe_key=dedupe, requested_by=requested_by
    )
    session.add(receipt)
    try:
        await session.flush()  # claims the erasure: a parallel one waits here, then loses
        now = utcnow()
        tally = _Tally()
        keys = await _erase_rows(session, customer, tally, now)
        result = ErasureResult(
            erased_at=now,
            request_id=receipt.id,
            deleted=dict(sorted(tally.deleted.items())),
            anonymised=dict(sorted(tally.anonymised.items())),
            files_deleted=len(keys),
            kept=[
                KeptRecord(table=table, rows=tally.anonymised.get(table, 0), what=what, why=why)
                for table, (what, why) in KEPT.items()
                if table in tally.anonymised or table in ("audit_log", "privacy_requests")
            ],
        )
        receipt.result = result.model_dump(mode="json")
        record_audit(
            session,
            None,
            "privacy.erasure",
            target_type="privacy_request",
            target_id=receipt.id,
            detail={"requested_by": requested_by, "deleted": result.deleted, "files_deleted": len(keys)},
        )
        await session.commit()
    except IntegrityError:
        await session.rollback()
        winner = await _receipt(session, dedupe)
        if winner is None:
            raise
        return winner, True
    await delete_files(storage, keys)
    return result, False


async def _receipt(session: AsyncSession, dedupe: str) -> ErasureResult | None:
    row = await session.scalar(select(PrivacyRequest).where(PrivacyRequest.dedupe_key == dedupe))
    return ErasureResult.model_validate(row.result) if row is not None else None


async def delete_files(storage: AttachmentStorage, keys: Iterable[str]) -> None:
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:  # the row is gone; the orphan-file sweep deletes it later (local storage)
            log.warning("개인정보 삭제: 파일을 지우지 못했습니다 (could not delete stored file %s)", key, exc_info=True)


async def _erase_rows(session: AsyncSession, customer: Customer, tally: _Tally, now: datetime) -> list[str]:
    """Every table that can hold the customer's data; returns the storage keys to delete."""
    values = identifying_values(customer)
    redact = redactor(values)
    keys: list[str] = []
    inquiry_ids = list(await session.scalars(select(Inquiry.id).where(Inquiry.customer_id == customer.id)))
    keys += await _erase_inquiries(session, inquiry_ids, redact, tally)
    keys += await _erase_chats(session, customer.id, tally)
    await _erase_phone(session, customer, redact, tally)
    await _erase_mail(session, customer, inquiry_ids, redact, tally)
    tally.gone(
        "notifications",
        _rowcount(
            await session.execute(
                delete(Notification).where(
                    Notification.recipient_kind == "customer", Notification.recipient_id == customer.id
                )
            )
        ),
    )
    tally.gone(
        "idempotency_keys",
        _rowcount(
            await session.execute(delete(IdempotencyKey).where(IdempotencyKey.scope.like(f"customer:{customer.id}:%")))
        ),
    )
    destinations = [value for value in (customer.email, _digits(customer.phone)) if value]
    destinations += [value.split(":", 1)[1] for value in (customer.external_id,) if ":" in value]
    if destinations:
        tally.gone(
            "one_time_codes",
            _rowcount(await session.execute(delete(OneTimeCode).where(OneTimeCode.destination.in_(destinations)))),
        )
    tally.gone("jobs", await _erase_jobs(session, customer))
    customer.source = ERASED_SOURCE
    customer.external_id = f"erased:{customer.id}"
    customer.name = customer.email = customer.phone = None
    customer.verified_at = None
    customer.last_seen_at = now
    tally.kept("customers", 1)
    return keys


def _digits(phone: str | None) -> str | None:
    return re.sub(r"\D", "", phone) or None if phone else None


async def _erase_inquiries(
    session: AsyncSession, ids: list[int], redact: Callable[[str], str], tally: _Tally
) -> list[str]:
    if not ids:
        return []
    for inquiry in await session.scalars(select(Inquiry).where(Inquiry.id.in_(ids))):
        inquiry.title = ERASED_TEXT
        inquiry.body = ERASED_TEXT
        inquiry.tags = [redact(tag) for tag in inquiry.tags]
        tally.kept("inquiries", 1)
    for message in await session.scalars(select(InquiryMessage).where(InquiryMessage.inquiry_id.in_(ids))):
        message.body = ERASED_TEXT if message.author_kind == "customer" else redact(message.body)
        tally.kept("inquiry_messages", 1)
    for event in await session.scalars(select(InquiryEvent).where(InquiryEvent.inquiry_id.in_(ids))):
        event.data = redact_json(event.data, redact)
    attachments = list(await session.scalars(select(InquiryAttachment).where(InquiryAttachment.inquiry_id.in_(ids))))
    for attachment in attachments:
        await session.delete(attachment)
    tally.gone("inquiry_attachments", len(attachments))
    for feedback in await session.scalars(select(InquiryFeedback).where(InquiryFeedback.inquiry_id.in_(ids))):
        feedback.comment = ""
        tally.kept("inquiry_feedback", 1)
    for appeal in await session.scalars(select(RestrictionAppeal).where(RestrictionAppeal.inquiry_id.in_(ids))):
        appeal.outcome_reason = redact(appeal.outcome_reason)
        tally.kept("restriction_appeals", 1)
    return [attachment.storage_key for attachment in attachments]


async def _erase_chats(session: AsyncSession, customer_id: int, tally: _Tally) -> list[str]:
    chat_ids = list(await session.scalars(select(Conversation.id).where(Conversation.customer_id == customer_id)))
    if not chat_ids:
        return []
    keys = chat_image_keys(
        await session.scalars(select(ChatMessage.payload).where(ChatMessage.conversation_id.in_(chat_ids)))
    )
    tally.gone(
        "chat_messages",
        _rowcount(await session.execute(delete(ChatMessage).where(ChatMessage.conversation_id.in_(chat_ids)))),
    )
    tally.gone(
        "chat_conversations",
        _rowcount(await session.execute(delete(Conversation).where(Conversation.id.in_(chat_ids)))),
    )
    return keys


def chat_image_keys(payloads: Iterable[Any]) -> list[str]:
    keys: list[str] = []
    for payload in payloads:
        image = payload.get("image") if isinstance(payload, dict) else None
        if isinstance(image, dict) and isinstance(image.get("key"), str):
            keys.append(image["key"])
    return keys


async def _erase_phone(session: AsyncSession, customer: Customer, redact: Callable[[str], str], tally: _Tally) -> None:
    for callback in await session.scalars(select(Callback).where(Callback.customer_id == customer.id)):
        if callback.status in ACTIVE_CALLBACK_STATUSES:  # nobody to call any more: the place is freed
            if callback.slot_start is not None and callback.status == CallbackStatus.BOOKED.value:
                await session.execute(
                    update(CallbackSlot)
                    .where(CallbackSlot.slot_start == callback.slot_start, CallbackSlot.booked > 0)
                    .values(booked=CallbackSlot.booked - 1)
                )
            callback.status = CallbackStatus.CANCELLED.value
            callback.finished_at = callback.updated_at = utcnow()
        callback.phone = ""
        callback.note = ""
        callback.outcome_note = redact(callback.outcome_note)
        tally.kept("callbacks", 1)
    phone = _digits(customer.phone)
    matches = [CallLog.customer_id == customer.id]
    if phone:
        matches += [CallLog.from_number == phone, CallLog.to_number == phone]
    call_ids: list[str] = []
    for call in await session.scalars(select(CallLog).where(or_(*matches))):
        theirs = call.customer_id == customer.id
        if call.from_number == phone or (theirs and call.direction == "in"):
            call.from_number = ""
        if call.to_number == phone or (theirs and call.direction == "out"):
            call.to_number = ""
        call.notes = redact(call.notes)
        call_ids.append(call.call_id)
        tally.kept("call_logs", 1)
    if call_ids:
        for event in await session.scalars(select(CtiEvent).where(CtiEvent.call_id.in_(call_ids))):
            event.payload = {}  # the phone system's push: numbers and names as it sent them
            tally.kept("cti_events", 1)
    tally.gone(
        "identity_checks",
        _rowcount(await session.execute(delete(IdentityCheck).where(IdentityCheck.customer_id == customer.id))),
    )
    tally.gone(
        "phone_verifications",
        _rowcount(await session.execute(delete(PhoneVerification).where(PhoneVerification.customer_id == customer.id))),
    )


async def _erase_mail(
    session: AsyncSession, customer: Customer, inquiry_ids: list[int], redact: Callable[[str], str], tally: _Tally
) -> None:
    addresses = [value for value in (customer.email,) if value]
    if customer.external_id.startswith("email:"):
        addresses.append(customer.external_id.removeprefix("email:"))
    lowered = [address.lower() for address in addresses]
    linked = InboundMail.inquiry_id.in_(inquiry_ids)
    from_them = func.lower(InboundMail.sender).in_(lowered) if lowered else None
    if from_them is not None:  # mail from them that opened nothing (auto-replies, over the rate)
        tally.gone(
            "inbound_mails",
            _rowcount(await session.execute(delete(InboundMail).where(from_them, InboundMail.inquiry_id.is_(None)))),
        )
    for mail in await session.scalars(select(InboundMail).where(linked)):
        mail.raw = b""
        mail.sender = mail.envelope_sender = mail.subject = None
        mail.refused_files = []
        mail.reason = redact(mail.reason) if mail.reason else None
        tally.kept("inbound_mails", 1)
    for sent in await session.scalars(select(OutboundMail).where(OutboundMail.inquiry_id.in_(inquiry_ids))):
        sent.to_address = ""
        sent.subject = ""
        sent.last_error = redact(sent.last_error) if sent.last_error else None
        tally.kept("outbound_mails", 1)


async def _erase_jobs(session: AsyncSession, customer: Customer) -> int:
    """Events and webhook deliveries about the customer (their data carries ``customer_id`` and
    inquiry titles), and notifications to their address or phone. A job running right now is
    left to finish."""
    addresses = [value for value in (customer.email, customer.phone, _digits(customer.phone)) if value]
    matches = [Job.payload["data"]["customer_id"].as_integer() == customer.id]
    if addresses:
        matches.append(Job.payload["to"].as_string().in_(addresses))
        text = cast(Job.payload, Text)
        matches += [text.contains(json.dumps(value)[1:-1], autoescape=True) for value in addresses]
    result = await session.execute(delete(Job).where(Job.status != JobStatus.RUNNING.value, or_(*matches)))
    return _rowcount(result)


async def export_customer(
    session: AsyncSession,
    settings: Settings,
    storage: AttachmentStorage,
    customer: Customer,
    requested_by: str,
    idempotency_key: str | None = None,
    voter_key: str | None = None,
) -> tuple[bytes, bool]:
    """The customer's data as a ZIP; ``(zip, replayed)``. Each export leaves a receipt. With an
    ``Idempotency-Key`` a retry finds the first receipt and exports as of its time: the same data
    gives the same bytes, and no second receipt is written."""
    key = subject_key(settings.secret_key, customer.source, customer.external_id)
    dedupe = None
    if idempotency_key is not None:
        dedupe = f"export:{key}:{hashlib.sha256(idempotency_key.encode()).hexdigest()[:64]}"
    earlier = await _export_receipt(session, dedupe)
    replayed = earlier is not None
    if earlier is None:
        earlier = PrivacyRequest(
            kind=PrivacyRequestKind.EXPORT.value,
            subject_key=key,
            dedupe_key=dedupe,
            requested_by=requested_by,
            created_at=utcnow().replace(microsecond=0),  # the export's time, as stored and read back
        )
        session.add(earlier)
        try:
            await session.commit()
        except IntegrityError:  # a parallel retry with the same key won
            await session.rollback()
            earlier = await _export_receipt(session, dedupe)
            if earlier is None:
                raise
            replayed = True
            await session.refresh(customer)  # the rollback expired it
    exported_at = earlier.created_at
    bundle = await collect_export(session, customer, exported_at, voter_key)
    await session.rollback()  # read-only from here: end the snapshot before reading files
    return await build_zip(bundle, storage, exported_at), replayed


async def _export_receipt(session: AsyncSession, dedupe: str | None) -> PrivacyRequest | None:
    if dedupe is None:
        return None
    return await session.scalar(select(PrivacyRequest).where(PrivacyRequest.dedupe_key == dedupe))
