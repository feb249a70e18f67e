"""Triage verbs: priority, tags and merging duplicates. Each one commits with its audit entry.

Priority changes the queue order only: SLA due times are promised when the inquiry is filed
and do not move afterwards, so a customer's deadline never jumps because of a relabel.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffUser
from gogaek.inquiries.models import Inquiry, InquiryMessage, Priority
from gogaek.inquiries.service import add_timeline_event, change_status, event_data
from gogaek.inquiries.workflow import Actor, Status
from gogaek.web.i18n import N_, gettext, text_in

MAX_TAGS = 10
MAX_TAG_CHARS = 30


def _invalid_tags(message: str) -> ProblemError:
    return ProblemError(422, "invalid_tags", message, errors=[{"loc": ["body", "tags"], "message": message}])


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Trimmed, NFC-normalised, blank ones dropped, duplicates removed keeping the first order."""
    cleaned: list[str] = []
    for raw in tags:
        tag = " ".join(unicodedata.normalize("NFC", raw).split())
        if len(tag) > MAX_TAG_CHARS:
            raise _invalid_tags(
                gettext("태그는 %(max)s자 이하로 입력해 주세요: %(tag)s…")
                % {"max": MAX_TAG_CHARS, "tag": tag[:MAX_TAG_CHARS]}
            )
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise _invalid_tags(gettext("태그는 최대 %(max)s개까지 달 수 있습니다.") % {"max": MAX_TAGS})
    return cleaned


async def set_priority(
    session: AsyncSession,
    actor: StaffUser,
    inquiry: Inquiry,
    priority: Priority | str,
    request: Request | None = None,
) -> Inquiry:
    try:
        target = Priority(priority)
    except ValueError as exc:
        raise ProblemError(
            422, "unknown_priority", gettext("알 수 없는 우선순위입니다: %(priority)s") % {"priority": priority}
        ) from exc
    previous = inquiry.priority
    if previous == target.value:
        return inquiry
    inquiry.priority = target.value
    inquiry.updated_at = utcnow()
    add_timeline_event(session, inquiry, "priority_changed", Actor.AGENT, {"from": previous, "to": target.value}, actor)
    record_audit(
        session,
        actor,
        "inquiry.priority",
        target_type="inquiry",
        target_id=inquiry.id,
        detail={"from": previous, "to": target.value},
        request=request,
    )
    await session.commit()
    return inquiry


async def set_tags(
    session: AsyncSession, actor: StaffUser, inquiry: Inquiry, tags: Sequence[str], request: Request | None = None
) -> Inquiry:
    """Replaces the whole set (what is not sent is removed)."""
    cleaned = clean_tags(tags)
    previous = list(inquiry.tags or [])
    if previous == cleaned:
        return inquiry
    inquiry.tags = cleaned  # a new list, so the JSON column is seen as changed
    inquiry.updated_at = utcnow()
    add_timeline_event(session, inquiry, "tags_changed", Actor.AGENT, {"from": previous, "to": cleaned}, actor)
    record_audit(
        session,
        actor,
        "inquiry.tags",
        target_type="inquiry",
        target_id=inquiry.id,
        detail={"from": previous, "to": cleaned},
        request=request,
    )
    await session.commit()
    return inquiry


def _check_mergeable(duplicate: Inquiry, target: Inquiry) -> None:
    if duplicate.id == target.id:
        raise ProblemError(409, "merge_into_self", N_("같은 문의끼리는 합칠 수 없습니다."))
    if duplicate.customer_id != target.customer_id:
        raise ProblemError(
            409,
            "merge_customer_mismatch",
            N_("같은 고객의 문의만 합칠 수 있습니다."),
        )
    if duplicate.status == Status.CLOSED or duplicate.merged_into_id is not None:
        raise ProblemError(409, "inquiry_closed", N_("이미 종료되었거나 합쳐진 문의입니다."))
    if target.status == Status.CLOSED or target.merged_into_id is not None:
        raise ProblemError(409, "merge_target_closed", N_("종료된 문의에는 합칠 수 없습니다."))


async def merge_inquiries(
    session: AsyncSession,
    actor: StaffUser,
    duplicate: Inquiry,
    target: Inquiry,
    settings: Settings,
    request: Request | None = None,
) -> Inquiry:
    """Closes ``duplicate`` as merged into ``target``; its thread stays where it is, readable.

    The target gets a visible system message, so the customer also sees where their second
    inquiry went. Returns the target.
    """
    _check_mergeable(duplicate, target)
    now = utcnow()
    duplicate.merged_into_id = target.id
    await change_status(session, duplicate, Status.CLOSED, Actor.AGENT, settings, staff=actor)
    session.add(
        InquiryMessage(
            inquiry_id=target.id,
            author_kind=Actor.SYSTEM.value,
            body=text_in(
                target.locale,
                N_("문의 %(number)s(%(title)s)이(가) 이 문의로 합쳐졌습니다."),
                number=duplicate.number,
                title=duplicate.title,
            ),
            created_at=now,
        )
    )
    target.updated_at = now
    add_timeline_event(
        session, duplicate, "merged_into", Actor.AGENT, {"target_id": target.id, "target_number": target.number}, actor
    )
    add_timeline_event(
        session,
        target,
        "merged",
        Actor.AGENT,
        {"duplicate_id": duplicate.id, "duplicate_number": duplicate.number},
        actor,
    )
    await events.emit(
        session,
        events.INQUIRY_MERGED,
        event_data(duplicate, merged_into_id=target.id, merged_into_number=target.number),
    )
    record_audit(
        session,
        actor,
        "inquiry.merge",
        target_type="inquiry",
        target_id=duplicate.id,
        detail={"into": target.id},
        request=request,
    )
    await session.commit()
    return target
