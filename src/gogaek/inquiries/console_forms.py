"""The agent console's forms: reading them, the triage verbs they run, and the words shown for codes.

Form values arrive as text; each reader turns one into what a service verb takes, or raises
the same kind of ``ProblemError`` the verbs raise, so a page handles both the same way.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gogaek.appeals.schemas import OUTCOME_LABELS
from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.identity.models import Availability, StaffUser
from gogaek.inquiries import assignment, service, triage
from gogaek.inquiries.agent_schemas import TimelineEvent
from gogaek.inquiries.models import Inquiry, Priority
from gogaek.inquiries.queue import QueueView
from gogaek.inquiries.sla import SlaState
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.phone.timeline import callback_event_text
from gogaek.web.forms import split_commas
from gogaek.web.views import MAX_ID

VIEW_LABELS: dict[QueueView, str] = {
    QueueView.ALL: "전체",
    QueueView.UNASSIGNED: "미배정",
    QueueView.MINE: "내 문의",
    QueueView.TEAM: "우리 팀",
    QueueView.DUE_SOON: "기한 임박",
    QueueView.OVERDUE: "기한 초과",
}
PRIORITY_LABELS: dict[str, str] = {
    Priority.URGENT: "긴급",
    Priority.HIGH: "높음",
    Priority.NORMAL: "보통",
    Priority.LOW: "낮음",
}
SLA_LABELS: dict[str, str] = {
    SlaState.DUE_SOON: "기한 임박",
    SlaState.OVERDUE: "기한 초과",
    SlaState.PAUSED: "고객 대기",
}
AVAILABILITY_LABELS: dict[str, str] = {
    Availability.AVAILABLE: "상담 가능",
    Availability.AWAY: "자리 비움",
    Availability.OFFLINE: "오프라인",
}
CLOCK_LABELS = {"first_response": "첫 답변", "resolution": "해결"}
UNASSIGN, ASSIGN_ME = "none", "me"
_NUMBER = re.compile(r"\d{8}-\d{6,10}")


@dataclass(frozen=True, slots=True)
class Draft:
    """The reply box as the agent left it, shown again after a macro or a refused send."""

    body: str = ""
    internal: bool = False
    error: str = ""

    @classmethod
    def read(cls, form: FormData) -> Draft:
        body = form.get("body")
        return cls(body=body if isinstance(body, str) else "", internal=bool(form.get("internal")))

    def with_macro(self, text: str) -> Draft:
        """The macro goes after what was already typed, never over it."""
        body = f"{self.body.rstrip()}\n\n{text}" if self.body.strip() else text
        return Draft(body=body, internal=self.internal)


def _invalid(code: str, message: str) -> ProblemError:
    return ProblemError(422, code, message)


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_view(raw: str) -> QueueView:
    """An unknown tab falls back to the whole queue rather than an error page."""
    try:
        return QueueView(raw)
    except ValueError:
        return QueueView.ALL


def parse_status(raw: str) -> Status | None:
    try:
        return Status(raw) if raw else None
    except ValueError:
        return None


def parse_id(raw: str) -> int | None:
    digits = raw.strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= 10 and 0 < int(digits) <= MAX_ID:
        return int(digits)
    return None


def read_status(form: FormData) -> Status:
    raw = field(form, "status")
    status = parse_status(raw)
    if status is None:
        raise _invalid("unknown_status", f"바꿀 상태를 골라 주세요: {raw or '(없음)'} (Choose a status)")
    return status


def read_assignee(form: FormData, agent: StaffUser) -> int | None:
    """The choice "me", "none" (back to the unassigned queue) or a staff id from the list."""
    raw = field(form, "assignee")
    if raw == ASSIGN_ME:
        return agent.id
    if raw == UNASSIGN:
        return None
    staff_id = parse_id(raw)
    if staff_id is None:
        raise _invalid("unknown_assignee", "배정할 상담사를 골라 주세요. (Choose an assignee)")
    return staff_id


def read_availability(form: FormData) -> Availability:
    try:
        return Availability(field(form, "availability"))
    except ValueError as exc:
        raise _invalid("unknown_availability", "상담 상태를 목록에서 골라 주세요. (Unknown availability)") from exc


async def find_inquiry(session: AsyncSession, ref: str) -> Inquiry:
    """The inquiry an agent typed: its 문의번호 (20250301-000042) or its id."""
    ref = ref.strip()
    if _NUMBER.fullmatch(ref):
        found = await session.scalar(select(Inquiry).where(Inquiry.number == ref))
    else:
        inquiry_id = parse_id(ref)
        found = await session.get(Inquiry, inquiry_id) if inquiry_id is not None else None
    if found is None:
        raise ProblemError(
            404, "not_found", f"합칠 문의를 찾을 수 없습니다: {ref or '(없음)'} (Inquiry to merge into not found)"
        )
    return found


@dataclass(frozen=True, slots=True)
class Change:
    """One triage form posted on an inquiry: everything its verb needs."""

    session: AsyncSession
    agent: StaffUser
    inquiry: Inquiry
    form: FormData
    settings: Settings
    request: Request


ChangeVerb = Callable[[Change], Awaitable[str]]


async def _change_status(change: Change) -> str:
    target = read_status(change.form)
    await service.change_status_as_agent(
        change.session, change.agent, change.inquiry, target, change.settings, change.request
    )
    return f"상태를 '{STATUS_LABELS[target]}'(으)로 바꿨습니다. (Status changed)"


async def _assign(change: Change) -> str:
    assignee_id = read_assignee(change.form, change.agent)
    await assignment.assign_inquiry(
        change.session, change.agent, change.inquiry, assignee_id, change.settings, change.request
    )
    if assignee_id is None:
        return "배정을 해제했습니다. 미배정 목록으로 돌아갑니다. (Unassigned)"
    return "담당자를 지정했습니다. (Assigned)"


async def _set_priority(change: Change) -> str:
    inquiry = change.inquiry
    await triage.set_priority(change.session, change.agent, inquiry, field(change.form, "priority"), change.request)
    return f"우선순위를 '{PRIORITY_LABELS[inquiry.priority]}'(으)로 바꿨습니다. (Priority changed)"


async def _set_tags(change: Change) -> str:
    tags = split_commas(field(change.form, "tags"))
    await triage.set_tags(change.session, change.agent, change.inquiry, tags, change.request)
    return "태그를 저장했습니다. (Tags saved)"


async def _merge(change: Change) -> str:
    """This inquiry is closed as a duplicate of the one typed; the page stays on this one."""
    target = await find_inquiry(change.session, field(change.form, "into"))
    await triage.merge_inquiries(change.session, change.agent, change.inquiry, target, change.settings, change.request)
    return f"문의 {target.number}에 합쳤습니다. 이 문의는 종료되었습니다. (Merged)"


# POST /console/inquiries/{id}/<name> for each; every one redirects back to the inquiry.
CHANGES: dict[str, ChangeVerb] = {
    "status": _change_status,
    "assign": _assign,
    "priority": _set_priority,
    "tags": _set_tags,
    "merge": _merge,
}


def _name(names: Mapping[int, str], staff_id: object) -> str:
    return names.get(staff_id, "알 수 없음") if isinstance(staff_id, int) else "미배정"


def _status(value: object) -> str:
    status = parse_status(str(value))
    return STATUS_LABELS[status] if status is not None else str(value)


def _assignment_text(data: Mapping[str, object], names: Mapping[int, str]) -> str:
    if data.get("auto"):
        return f"자동 배정: {_name(names, data.get('to'))}"
    if data.get("reason") == "deactivated":
        return f"배정 해제: {_name(names, data.get('from'))} (계정 비활성화)"
    return f"담당자 변경: {_name(names, data.get('from'))} → {_name(names, data.get('to'))}"


def event_text(event: TimelineEvent, names: Mapping[int, str]) -> str:
    """One line of the timeline for a system event, in the words agents use."""
    data = event.data
    clock = CLOCK_LABELS.get(str(data.get("clock")), "")
    match event.kind:
        case "created":
            return "문의 접수" + (" · 금융사고 의심" if data.get("emergency") else "")
        case "status_changed":
            return f"상태 변경: {_status(data.get('from'))} → {_status(data.get('to'))}"
        case "assigned":
            return _assignment_text(data, names)
        case "priority_changed":
            before, after = (PRIORITY_LABELS.get(str(data.get(key)), "") for key in ("from", "to"))
            return f"우선순위 변경: {before} → {after}"
        case "tags_changed":
            tags = data.get("to")
            return f"태그 변경: {', '.join(map(str, tags)) if isinstance(tags, list) and tags else '없음'}"
        case "merged_into":
            return f"문의 {data.get('target_number')}(으)로 합쳐짐"
        case "merged":
            return f"문의 {data.get('duplicate_number')}이(가) 이 문의로 합쳐짐"
        case "feedback":
            return f"고객 평가: {data.get('score')}점"
        case "appeal_decided":
            return f"이용 제한 해명 결과: {OUTCOME_LABELS.get(str(data.get('outcome')), '')}"
        case "sla_warning":
            return f"SLA 기한 임박 ({clock})"
        case "sla_breached":
            return f"SLA 기한 초과 ({clock})"
        case kind if kind.startswith("callback_"):
            return callback_event_text(kind, data)
    return event.kind
