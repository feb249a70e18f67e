"""Reads for the data-rights API: finding the customer, and everything held about them (export).

The export is a ZIP: ``data.json`` (every record, newest last) and ``files/…`` (inquiry evidence
and chat images as uploaded). Internal notes of staff are not part of it (docs/privacy.md).
Entries carry the export's own time, so the same data exported again gives the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.models import RestrictionAppeal
from gogaek.chat.models import ChatMessage, Conversation
from gogaek.errors import ProblemError
from gogaek.helpcenter.models import Article, ArticleVote, Category
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry, InquiryAttachment, InquiryFeedback, InquiryMessage
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.mail.models import InboundMail, OutboundMail
from gogaek.notify.models import Notification
from gogaek.phone.models import Callback, CallLog, IdentityCheck, PhoneVerification
from gogaek.web.i18n import N_

EXPORT_FORMAT = "gogaek-export/1"
ERASED_SOURCE = "erased"
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z가-힣._-]+")


def unknown_customer() -> ProblemError:
    return ProblemError(404, "customer_not_found", N_("해당 고객을 찾을 수 없습니다."))


async def find_customer(session: AsyncSession, source: str, external_id: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.source == source, Customer.external_id == external_id))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _file_name(prefix: str, name: str) -> str:
    cleaned = _UNSAFE_NAME.sub("_", name).strip("._") or "file"
    return f"{prefix}-{cleaned[:80]}"


@dataclass
class ExportBundle:
    """What goes into the ZIP: the JSON document and the files it names."""

    data: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # path in the ZIP -> storage key


async def collect_export(
    session: AsyncSession, customer: Customer, exported_at: datetime, voter_key: str | None = None
) -> ExportBundle:
    """Everything held about the customer. ``voter_key`` adds the FAQ votes cast from the
    customer's own browser (votes are kept per browser, not per customer)."""
    bundle = ExportBundle(
        data={
            "format": EXPORT_FORMAT,
            "exported_at": exported_at.isoformat(),
            "customer": {
                "external_id": customer.external_id,
                "source": customer.source,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "verified_at": _iso(customer.verified_at),
                "created_at": _iso(customer.created_at),
                "last_seen_at": _iso(customer.last_seen_at),
            },
        }
    )
    bundle.data["inquiries"] = await _inquiries(session, customer.id, bundle)
    bundle.data["chats"] = await _chats(session, customer.id, bundle)
    bundle.data["callbacks"] = await _callbacks(session, customer.id)
    bundle.data["calls"] = await _calls(session, customer.id)
    bundle.data["identity_checks"] = [
        {"created_at": _iso(row.created_at), "passed": row.passed}
        for row in await session.scalars(
            select(IdentityCheck).where(IdentityCheck.customer_id == customer.id).order_by(IdentityCheck.id)
        )
    ]
    bundle.data["phone_verifications"] = [
        {"phone": row.phone, "verified_at": _iso(row.verified_at)}
        for row in await session.scalars(
            select(PhoneVerification).where(PhoneVerification.customer_id == customer.id).order_by(PhoneVerification.id)
        )
    ]
    bundle.data["notifications"] = [
        {
            "kind": row.kind,
            "title": row.title,
            "link": row.link,
            "created_at": _iso(row.created_at),
            "read_at": _iso(row.read_at),
        }
        for row in await session.scalars(
            select(Notification)
            .where(Notification.recipient_kind == "customer", Notification.recipient_id == customer.id)
            .order_by(Notification.id)
        )
    ]
    bundle.data["faq_votes"] = await _votes(session, voter_key) if voter_key is not None else []
    return bundle


async def _inquiries(session: AsyncSession, customer_id: int, bundle: ExportBundle) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(Inquiry, Category.name)
            .join(Category, Category.id == Inquiry.category_id)
            .where(Inquiry.customer_id == customer_id)
            .order_by(Inquiry.id)
        )
    ).all()
    ids = [inquiry.id for inquiry, _ in rows]
    messages: dict[int, list[dict[str, Any]]] = {}
    for message in await session.scalars(
        select(InquiryMessage)
        .where(InquiryMessage.inquiry_id.in_(ids), InquiryMessage.internal.is_(False))
        .order_by(InquiryMessage.id)
    ):
        messages.setdefault(message.inquiry_id, []).append(
            {
                "id": message.id,
                "author": message.author_kind,
                "body": message.body,
                "created_at": _iso(message.created_at),
            }
        )
    attachments: dict[int, list[dict[str, Any]]] = {}
    for attachment in await session.scalars(
        select(InquiryAttachment).where(InquiryAttachment.inquiry_id.in_(ids)).order_by(InquiryAttachment.id)
    ):
        path = f"files/inquiries/{attachment.inquiry_id}/{_file_name(str(attachment.id), attachment.display_name)}"
        bundle.files[path] = attachment.storage_key
        attachments.setdefault(attachment.inquiry_id, []).append(
            {
                "id": attachment.id,
                "message_id": attachment.message_id,
                "name": attachment.display_name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "created_at": _iso(attachment.created_at),
                "file": path,
            }
        )
    feedback = {
        row.inquiry_id: {"score": row.score, "comment": row.comment, "created_at": _iso(row.created_at)}
        for row in await session.scalars(select(InquiryFeedback).where(InquiryFeedback.inquiry_id.in_(ids)))
    }
    appeals = {
        row.inquiry_id: {
            "restricted_on": row.restricted_on.isoformat(),
            "restriction_ref": row.restriction_ref,
            "outcome": row.outcome,
            "outcome_reason": row.outcome_reason,
            "decided_at": _iso(row.decided_at),
        }
        for row in await session.scalars(select(RestrictionAppeal).where(RestrictionAppeal.inquiry_id.in_(ids)))
    }
    mails = await _mails(session, ids)
    return [
        {
            "id": inquiry.id,
            "number": inquiry.number,
            "category": category,
            "channel": inquiry.channel,
            "status": inquiry.status,
            "title": inquiry.title,
            "body": inquiry.body,
            "transaction_ref": inquiry.transaction_ref,
            "created_at": _iso(inquiry.created_at),
            "updated_at": _iso(inquiry.updated_at),
            "resolved_at": _iso(inquiry.resolved_at),
            "closed_at": _iso(inquiry.closed_at),
            "messages": messages.get(inquiry.id, []),
            "attachments": attachments.get(inquiry.id, []),
            "feedback": feedback.get(inquiry.id),
            "appeal": appeals.get(inquiry.id),
            "emails": mails.get(inquiry.id, {"received": [], "sent": []}),
        }
        for inquiry, category in rows
    ]


async def _mails(session: AsyncSession, inquiry_ids: list[int]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    found: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for mail in await session.scalars(
        select(InboundMail).where(InboundMail.inquiry_id.in_(inquiry_ids)).order_by(InboundMail.id)
    ):
        assert mail.inquiry_id is not None
        found.setdefault(mail.inquiry_id, {"received": [], "sent": []})["received"].append(
            {"from": mail.sender, "subject": mail.subject, "received_at": _iso(mail.received_at)}
        )
    for sent in await session.scalars(
        select(OutboundMail).where(OutboundMail.inquiry_id.in_(inquiry_ids)).order_by(OutboundMail.id)
    ):
        found.setdefault(sent.inquiry_id, {"received": [], "sent": []})["sent"].append(
            {
                "to": sent.to_address,
                "subject": sent.subject,
                "kind": sent.kind,
                "status": sent.status,
                "created_at": _iso(sent.created_at),
            }
        )
    return found


async def _chats(session: AsyncSession, customer_id: int, bundle: ExportBundle) -> list[dict[str, Any]]:
    chats = list(
        await session.scalars(
            select(Conversation).where(Conversation.customer_id == customer_id).order_by(Conversation.id)
        )
    )
    lines: dict[int, list[dict[str, Any]]] = {}
    for message in await session.scalars(
        select(ChatMessage)
        .where(ChatMessage.conversation_id.in_([chat.id for chat in chats]), ChatMessage.internal.is_(False))
        .order_by(ChatMessage.conversation_id, ChatMessage.seq)
    ):
        line: dict[str, Any] = {
            "seq": message.seq,
            "sender": message.sender,
            "text": message.text,
            "created_at": _iso(message.created_at),
        }
        image = message.payload.get("image") if isinstance(message.payload, dict) else None
        if isinstance(image, dict) and isinstance(image.get("key"), str):
            name = _file_name(str(message.seq), str(image.get("name") or "image"))
            path = f"files/chats/{message.conversation_id}/{name}"
            bundle.files[path] = image["key"]
            line["image"] = {"name": image.get("name"), "content_type": image.get("content_type"), "file": path}
        lines.setdefault(message.conversation_id, []).append(line)
    return [
        {
            "id": chat.id,
            "status": chat.status,
            "inquiry_id": chat.inquiry_id,
            "created_at": _iso(chat.created_at),
            "ended_at": _iso(chat.ended_at),
            "rating": chat.rating,
            "rating_comment": chat.rating_comment,
            "messages": lines.get(chat.id, []),
        }
        for chat in chats
    ]


async def _callbacks(session: AsyncSession, customer_id: int) -> list[dict[str, Any]]:
    return [
        {
            "number": row.number,
            "kind": row.kind,
            "status": row.status,
            "phone": row.phone,
            "note": row.note,
            "slot_start": _iso(row.slot_start),
            "slot_end": _iso(row.slot_end),
            "inquiry_id": row.inquiry_id,
            "created_at": _iso(row.created_at),
            "finished_at": _iso(row.finished_at),
        }
        for row in await session.scalars(
            select(Callback).where(Callback.customer_id == customer_id).order_by(Callback.id)
        )
    ]


async def _calls(session: AsyncSession, customer_id: int) -> list[dict[str, Any]]:
    return [
        {
            "direction": row.direction,
            "from_number": row.from_number,
            "to_number": row.to_number,
            "state": row.state,
            "started_at": _iso(row.started_at),
            "answered_at": _iso(row.answered_at),
            "ended_at": _iso(row.ended_at),
            "inquiry_id": row.inquiry_id,
        }
        for row in await session.scalars(select(CallLog).where(CallLog.customer_id == customer_id).order_by(CallLog.id))
    ]


async def _votes(session: AsyncSession, voter_key: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(ArticleVote, Article.question)
        .join(Article, Article.id == ArticleVote.article_id)
        .where(ArticleVote.voter_key == voter_key)
        .order_by(ArticleVote.id)
    )
    return [
        {
            "article_id": vote.article_id,
            "question": question,
            "helpful": vote.helpful,
            "created_at": _iso(vote.created_at),
        }
        for vote, question in rows.all()
    ]


async def build_zip(bundle: ExportBundle, storage: AttachmentStorage, exported_at: datetime) -> bytes:
    """The ZIP with fixed entry times, so the same data gives the same bytes. A file missing from
    storage is listed in ``missing_files`` instead of failing the whole export."""
    stamp = exported_at.timetuple()[:6]
    contents: dict[str, bytes] = {}
    missing: list[str] = []
    for path, key in sorted(bundle.files.items()):
        try:
            contents[path] = await storage.load(key)
        except ProblemError:
            missing.append(path)
    data = {**bundle.data, "missing_files": missing}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {"data.json": json.dumps(data, ensure_ascii=False, indent=2).encode(), **contents}
        for path, payload in entries.items():
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, payload)
    return buffer.getvalue()


def identifying_values(customer: Customer) -> list[str]:
    """The customer's own identifiers as they may appear in free text (for redaction), longest
    first. A short host id ("42") names nobody in a sentence and would eat dates and amounts."""
    values = {customer.name or "", customer.email or "", customer.phone or ""}
    if len(customer.external_id) >= 4:
        values.add(customer.external_id)
    if customer.phone:
        digits = re.sub(r"\D", "", customer.phone)
        values.add(digits)
        if len(digits) == 11:
            values.add(f"{digits[:3]}-{digits[3:7]}-{digits[7:]}")
    for prefix in ("email:", "phone:"):
        if customer.external_id.startswith(prefix):
            values.add(customer.external_id.removeprefix(prefix))
    return sorted((value for value in values if len(value) >= 2), key=len, reverse=True)
