"""The two verbs of an appeal: the customer files it, an agent decides it. Each is one transaction.

An appeal is an inquiry in the restriction category (``settings.appeal_category``), so team
routing, SLA policy, notifications and 문의 내역 all work as for any inquiry; the appeal row
adds the restriction's details and the decision, which the host app receives as a webhook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.appeals.models import AppealOutcome, RestrictionAppeal
from gogaek.appeals.queries import APPEAL, open_appeal
from gogaek.appeals.schemas import AppealCreate, AppealDecision
from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import Customer, StaffUser
from gogaek.inquiries.agent_verbs import reply_as_agent
from gogaek.inquiries.attachments import CheckedUpload
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.schemas import InquiryCreate
from gogaek.inquiries.service import add_timeline_event, change_status, submit_inquiry
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.inquiries.workflow import Actor, Status
from gogaek.korean.pii import mask_pii
from gogaek.phone.verification import Verification
from gogaek.web.i18n import N_, gettext


@dataclass(frozen=True, slots=True)
class Filing:
    appeal: RestrictionAppeal
    inquiry: Inquiry
    created: bool  # False when an Idempotency-Key replay returned the first appeal


def evidence_required() -> ProblemError:
    return ProblemError(
        422,
        "evidence_required",
        N_("증빙 자료를 하나 이상 첨부해 주세요."),
        errors=[{"loc": ["body", "files"], "message": "at least one file is required"}],
    )


def appeal_title(data: AppealCreate) -> str:
    """The reference goes into the title too: reviewers see it in the queue, and a retry that changes
    it is a different request for the Idempotency-Key check."""
    details = data.restricted_on.isoformat() + (f" · {data.restriction_ref}" if data.restriction_ref else "")
    return f"이용 제한 해명 요청 ({details})"


async def file_appeal(
    session: AsyncSession,
    customer: Customer,
    data: AppealCreate,
    *,
    verification: Verification,
    settings: Settings,
    storage: AttachmentStorage,
    uploads: Sequence[CheckedUpload],
    idempotency_key: str | None = None,
) -> Filing:
    """Files the inquiry, its evidence and the appeal row together; a retry returns the first appeal.

    ``verification`` is the customer's recent identity check (``require_recent_verification``):
    when and how it was made is kept with the appeal for the reviewer.
    """
    if not uploads:
        raise evidence_required()
    filed: list[RestrictionAppeal] = []

    async def add_appeal(inquiry: Inquiry) -> None:
        """Only for a new filing (a replay never gets here); one appeal in review at a time."""
        in_review = await open_appeal(session, customer)
        if in_review is not None:
            raise ProblemError(
                409,
                "appeal_in_review",
                gettext("검토 중인 이용 제한 해명이 있습니다(문의번호 %(number)s). 그 문의에 내용을 추가해 주세요.")
                % {"number": in_review[1]},
            )
        appeal = RestrictionAppeal(
            inquiry_id=inquiry.id,
            customer_id=customer.id,
            restricted_on=data.restricted_on,
            restriction_ref=data.restriction_ref,
            verified_at=verification.at,
            verified_by=verification.method,
        )
        session.add(appeal)
        filed.append(appeal)

    inquiry_data = InquiryCreate(category=settings.appeal_category, title=appeal_title(data), body=data.description)
    submit = partial(
        submit_inquiry,
        session,
        customer,
        inquiry_data,
        settings=settings,
        storage=storage,
        uploads=uploads,
        idempotency_key=idempotency_key,
        on_insert=add_appeal,
    )
    try:
        submission = await submit()
    except ProblemError as problem:
        if problem.code != "appeal_in_review" or idempotency_key is None:
            raise
        # The appeal in review may be this very request, committed by a concurrent retry with the
        # same key (it committed its key with it): asking again answers with that one.
        await session.refresh(customer)  # the rollback expired it
        submission = await submit()
    if submission.created:
        return Filing(filed[0], submission.inquiry, created=True)
    earlier = await session.scalar(
        select(RestrictionAppeal).where(RestrictionAppeal.inquiry_id == submission.inquiry.id)
    )
    if earlier is None:  # the key was first used for a plain inquiry
        raise ProblemError(
            422,
            "idempotency_key_reused",
            N_("같은 Idempotency-Key로 다른 내용을 보낼 수 없습니다."),
        )
    return Filing(earlier, submission.inquiry, created=False)


# --- the decision ---------------------------------------------------------------------


def customer_message(outcome: AppealOutcome, reason: str, appeal: RestrictionAppeal) -> str:
    """The public reply that tells the customer the outcome, in the words of a reviewer."""
    on = appeal.restricted_on
    day = f"{on.year}년 {on.month}월 {on.day}일"
    if outcome == AppealOutcome.LIFTED:
        text = (
            f"[이용 제한 해명 결과: 해제]\n보내 주신 해명과 자료를 검토한 결과, {day}에 적용된 이용 제한을 "
            "해제하기로 했습니다. 앱에서 서비스를 다시 이용하실 수 있어요."
        )
        return f"{text}\n\n{reason}" if reason else text
    if outcome == AppealOutcome.KEPT:
        return (
            f"[이용 제한 해명 결과: 유지]\n보내 주신 해명과 자료를 검토했지만, {day}에 적용된 이용 제한을 "
            f"유지하게 되었습니다.\n\n사유: {reason}\n\n새로운 자료가 있으면 이 문의를 다시 열어 보내 주세요."
        )
    return (
        "[이용 제한 해명: 추가 자료 요청]\n검토를 위해 자료가 더 필요합니다.\n\n"
        f"필요한 자료: {reason}\n\n문의 내역의 이 문의에서 '내용 추가하기'로 파일을 올려 주세요."
    )


def decided_event(appeal: RestrictionAppeal, inquiry: Inquiry, customer: Customer | None) -> dict[str, Any]:
    """What the host app receives: enough to find its user and lift (or keep) the restriction."""
    return {
        "appeal_id": appeal.id,
        "inquiry_id": inquiry.id,
        "number": inquiry.number,
        "customer_id": appeal.customer_id,
        "customer_external_id": customer.external_id if customer is not None else None,
        "outcome": appeal.outcome,
        "reason": appeal.outcome_reason,
        "restricted_on": appeal.restricted_on.isoformat(),
        "restriction_ref": appeal.restriction_ref,
    }


async def decide_appeal(
    session: AsyncSession,
    agent: StaffUser,
    inquiry_id: int,
    decision: AppealDecision,
    settings: Settings,
    request: Request | None = None,
) -> tuple[RestrictionAppeal, Inquiry]:
    """Records the outcome, answers the customer, and resolves the inquiry (lifted, kept) or leaves it
    waiting on the customer (more evidence): all of it, or nothing."""
    appeal = await session.scalar(select(RestrictionAppeal).where(RestrictionAppeal.inquiry_id == inquiry_id))
    inquiry = await session.get(Inquiry, inquiry_id)
    if appeal is None or inquiry is None:
        raise not_found(APPEAL)
    reason = mask_pii(decision.reason).text
    try:
        appeal.outcome = decision.outcome
        appeal.outcome_reason = reason
        appeal.decided_by_id = agent.id
        appeal.decided_at = utcnow()
        add_timeline_event(
            session, inquiry, "appeal_decided", Actor.AGENT, {"outcome": appeal.outcome, "reason": reason}, agent
        )
        await reply_as_agent(
            session,
            agent,
            inquiry,
            customer_message(AppealOutcome(decision.outcome), reason, appeal),
            internal=False,
            settings=settings,
            request=request,
            commit=False,
        )
        if decision.outcome != AppealOutcome.MORE_EVIDENCE.value:
            await change_status(session, inquiry, Status.RESOLVED, Actor.AGENT, settings, staff=agent)
        record_audit(
            session,
            agent,
            "appeal.decide",
            target_type="appeal",
            target_id=appeal.id,
            detail={"inquiry_id": inquiry.id, "outcome": appeal.outcome},
            request=request,
        )
        customer = await session.get(Customer, appeal.customer_id)
        await events.emit(session, events.APPEAL_DECIDED, decided_event(appeal, inquiry, customer))
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return appeal, inquiry
