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
from gogaek.inquiries import agent_verbs, assignment, triage
from gogaek.inquiries.agent_schemas import TimelineEvent
from gogaek.inquiries.models import Inquiry, Priority
from gogaek.inquiries.queue import QueueView
from gogaek.inquiries.sla import SlaState
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.phone.timeline import callback_event_text
from gogaek.web.forms import split_commas
from gogaek.web.i18n import N_, pgettext
from gogaek.web.i18n import gettext as _
from gogaek.web.views import MAX_ID

VIEW_LABELS: dict[QueueView, str] = {
    QueueView.ALL: N_("전체"),
    QueueView.UNASSIGNED: N_("미배정"),
    QueueView.MINE: N_("내 문의"),
    QueueView.TEAM: N_("우리 팀"),
    QueueView.DUE_SOON: N_("기한 임박"),
    QueueView.OVERDUE: N_("기한 초과"),
}
PRIORITY_LABELS: dict[str, str] = {
    Priority.URGENT: N_("긴급"),
    Priority.HIGH: N_("높음"),
    Priority.NORMAL: N_("보통"),
    Priority.LOW: N_("낮음"),
}
SLA_LABELS: dict[str, str] = {
    SlaState.DUE_SOON: N_("기한 임박"),
    SlaState.OVERDUE: N_("기한 초과"),
    SlaState.PAUSED: N_("고객 대기"),
}
AVAILABILITY_LABELS: dict[str, str] = {
    Availability.AVAILABLE: N_("상담 가능"),
    Availability.AWAY: N_("자리 비움"),
    Availability.OFFLINE: N_("오프라인"),
}
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
        raise _invalid(
            "unknown_status",
            _("바꿀 상태를 골라 주세요: %(status)s") % {"status": raw or _("(없음)")},
        )
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
        raise _invalid("unknown_assignee", _("배정할 상담사를 골라 주세요."))
    return staff_id


def read_availability(form: FormData) -> Availability:
    try:
        return Availability(field(form, "availability"))
    except ValueError as exc:
        raise _invalid("unknown_availability", _("상담 상태를 목록에서 골라 주세요.")) from exc


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
            404,
            "not_found",
            _("합칠 문의를 찾을 수 없습니다: %(ref)s") % {"ref": ref or _("(없음)")},
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
    await agent_verbs.change_status_as_agent(
        change.session, change.agent, change.inquiry, target, change.settings, change.request
    )
    return _("상태를 '%(status)s'(으)로 바꿨습니다.") % {"status": _(STATUS_LABELS[target])}


async def _assign(change: Change) -> str:
    assignee_id = read_assignee(change.form, change.agent)
    await assignment.assign_inquiry(
        change.session, change.agent, change.inquiry, assignee_id, change.settings, change.request
    )
    if assignee_id is None:
        return _("배정을 해제했습니다. 미배정 목록으로 돌아갑니다.")
    return _("담당자를 지정했습니다.")


async def _set_priority(change: Change) -> str:
    inquiry = change.inquiry
    await triage.set_priority(change.session, change.agent, inquiry, field(change.form, "priority"), change.request)
    return _("우선순위를 '%(priority)s'(으)로 바꿨습니다.") % {"priority": _(PRIORITY_LABELS[inquiry.priority])}


async def _set_tags(change: Change) -> str:
    tags = split_commas(field(change.form, "tags"))
    await triage.set_tags(change.session, change.agent, change.inquiry, tags, change.request)
    return _("태그를 저장했습니다.")


async def _merge(change: Change) -> str:
    """This inquiry is closed as a duplicate of the one typed; the page stays on this one."""
    target = await find_inquiry(change.session, field(change.form, "into"))
    await triage.merge_inquiries(change.session, change.agent, change.inquiry, target, change.settings, change.request)
    return _("문의 %(number)s에 합쳤습니다. 이 문의는 종료되었습니다.") % {"number": target.number}


# POST /console/inquiries/{id}/<name> for each; every one redirects back to the inquiry.
CHANGES: dict[str, ChangeVerb] = {
    "status": _change_status,
    "assign": _assign,
    "priority": _set_priority,
    "tags": _set_tags,
    "merge": _merge,
}


def _name(names: Mapping[int, str], staff_id: object) -> str:
    return names.get(staff_id, _("알 수 없음")) if isinstance(staff_id, int) else _("미배정")


def _status(value: object) -> str:
    status = parse_status(str(value))
    return _(STATUS_LABELS[status]) if status is not None else str(value)


def _clock(value: object) -> str:
    """Which deadline an SLA event is about ("deadline" context: 해결 here is not the status)."""
    if value == "first_response":
        return pgettext("deadline", "첫 답변")
    return pgettext("deadline", "해결") if value == "resolution" else ""


def _priority(value: object) -> str:
    label = PRIORITY_LABELS.get(str(value))
    return _(label) if label else ""


def _assignment_text(data: Mapping[str, object], names: Mapping[int, str]) -> str:
    if data.get("auto"):
        return _("자동 배정: %(name)s") % {"name": _name(names, data.get("to"))}
    if data.get("reason") == "deactivated":
        return _("배정 해제: %(name)s (계정 비활성화)") % {"name": _name(names, data.get("from"))}
    return _("담당자 변경: %(before)s → %(after)s") % {
        "before": _name(names, data.get("from")),
        "after": _name(names, data.get("to")),
    }


def event_text(event: TimelineEvent, names: Mapping[int, str]) -> str:
    """One line of the timeline for a system event, in the words agents use."""
    data = event.data
    clock = _clock(data.get("clock"))
    match event.kind:
        case "created":
            return _("문의 접수") + (" · " + _("금융사고 의심") if data.get("emergency") else "")
        case "status_changed":
            return _("상태 변경: %(before)s → %(after)s") % {
                "before": _status(data.get("from")),
                "after": _status(data.get("to")),
            }
        case "assigned":
            return _assignment_text(data, names)
        case "priority_changed":
            before, after = (_priority(data.get(key)) for key in ("from", "to"))
            return _("우선순위 변경: %(before)s → %(after)s") % {"before": before, "after": after}
        case "tags_changed":
            tags = data.get("to")
            listed = ", ".join(map(str, tags)) if isinstance(tags, list) and tags else _("없음")
            return _("태그 변경: %(tags)s") % {"tags": listed}
        case "merged_into":
            return _("문의 %(number)s(으)로 합쳐짐") % {"number": data.get("target_number")}
        case "merged":
            return _("문의 %(number)s이(가) 이 문의로 합쳐짐") % {"number": data.get("duplicate_number")}
        case "feedback":
            return _("고객 평가: %(score)s점") % {"score": data.get("score")}
        case "appeal_decided":
            outcome = OUTCOME_LABELS.get(str(data.get("outcome")), "")
            return _("이용 제한 해명 결과: %(outcome)s") % {"outcome": _(outcome) if outcome else ""}
        case "sla_warning":
            return _("SLA 기한 임박 (%(clock)s)") % {"clock": clock}
        case "sla_breached":
            return _("SLA 기한 초과 (%(clock)s)") % {"clock": clock}
        case kind if kind.startswith("callback_"):
            return callback_event_text(kind, data)
    return event.kind
