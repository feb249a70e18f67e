"""The agent's verbs: a reply, a note and a status change. Each adds its audit entry to the same
transaction, so every staff change to a thread names who made it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffUser
from gogaek.inquiries.attachments import CheckedUpload
from gogaek.inquiries.models import Inquiry, InquiryMessage
from gogaek.inquiries.service import add_evidence, change_status, event_data
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.inquiries.workflow import Actor, Status
from gogaek.korean.pii import mask_pii
from gogaek.web.i18n import N_


async def reply_as_agent(
    session: AsyncSession,
    agent: StaffUser,
    inquiry: Inquiry,
    body: str,
    *,
    internal: bool,
    settings: Settings,
    request: Any = None,
    commit: bool = True,
    uploads: Sequence[CheckedUpload] = (),
    storage: AttachmentStorage | None = None,
) -> InquiryMessage:
    """A public reply answers the inquiry (its clock waits on the customer); a note changes nothing.

    Files go with the reply (and with its mail on an email inquiry). ``commit=False`` leaves the
    transaction open for a caller that changes more with the reply.
    """
    if not internal and inquiry.status in (Status.RESOLVED, Status.CLOSED):
        raise ProblemError(
            409,
            "inquiry_not_open",
            N_("해결되었거나 종료된 문의입니다. 답변하려면 먼저 다시 열어 주세요."),
        )
    if inquiry.status == Status.CLOSED:
        raise ProblemError(409, "inquiry_closed", N_("종료된 문의입니다."))
    message = InquiryMessage(
        inquiry_id=inquiry.id,
        author_kind=Actor.AGENT.value,
        author_staff_id=agent.id,
        internal=internal,
        body=mask_pii(body).text,
    )
    session.add(message)
    await session.flush()
    if uploads:
        assert storage is not None, "uploads need a storage"
        await add_evidence(session, inquiry, uploads, storage, message.id)
    now = utcnow()
    inquiry.updated_at = now
    if not internal:
        if inquiry.first_responded_at is None:
            inquiry.first_responded_at = now
        if inquiry.assignee_id is None:
            inquiry.assignee_id = agent.id
        if inquiry.status != Status.ANSWERED:
            await change_status(session, inquiry, Status.ANSWERED, Actor.AGENT, settings, staff=agent)
        await events.emit(session, events.INQUIRY_ANSWERED, event_data(inquiry, message_id=message.id))
    record_audit(
        session,
        agent,
        "inquiry.note" if internal else "inquiry.reply",
        target_type="inquiry",
        target_id=inquiry.id,
        detail={"message_id": message.id},
        request=request,
    )
    if commit:
        await session.commit()
    return message


async def change_status_as_agent(
    session: AsyncSession, agent: StaffUser, inquiry: Inquiry, target: Status, settings: Settings, request: Any = None
) -> Inquiry:
    previous = inquiry.status
    await change_status(session, inquiry, target, Actor.AGENT, settings, staff=agent)
    record_audit(
        session,
        agent,
        "inquiry.status",
        target_type="inquiry",
        target_id=inquiry.id,
        detail={"from": previous, "to": target.value},
        request=request,
    )
    await session.commit()
    return inquiry
