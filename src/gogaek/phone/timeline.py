"""Words agents read about callbacks: statuses, slot times, and entries of an inquiry's timeline (처리 내역)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from gogaek.calendar.hours import SEOUL
from gogaek.phone.models import CallbackStatus
from gogaek.web.i18n import DEFAULT_LANGUAGE, N_, current_language
from gogaek.web.i18n import gettext as _

WEEKDAYS = "월화수목금토일"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CALLBACK_STATUS_LABELS: dict[str, str] = {
    CallbackStatus.BOOKED: N_("예약됨"),
    CallbackStatus.IN_PROGRESS: N_("통화 중"),
    CallbackStatus.RETRY: N_("재시도 대기"),
    CallbackStatus.COMPLETED: N_("통화 완료"),
    CallbackStatus.MISSED: N_("부재중"),
    CallbackStatus.CANCELLED: N_("취소됨"),
}


def slot_label(moment: datetime | None) -> str:
    """12월 7일 (월) 14:00 in Seoul time; on an English page "Mon 7 Dec 14:00"."""
    if moment is None:
        return ""
    local = moment.astimezone(SEOUL)
    if current_language() != DEFAULT_LANGUAGE:
        return f"{WEEKDAYS_EN[local.weekday()]} {local.day} {MONTHS_EN[local.month - 1]} {local:%H:%M}"
    return f"{local.month}월 {local.day}일 ({WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def _when(value: object) -> str:
    try:
        return slot_label(datetime.fromisoformat(str(value)))
    except ValueError:
        return "-"


def callback_event_text(kind: str, data: Mapping[str, object]) -> str:
    """One line per ``callback_*`` timeline kind; an unknown kind reads as itself."""
    match kind:
        case "callback_booked":
            return _("전화 상담 예약: %(when)s") % {"when": _when(data.get("slot_start"))}
        case "callback_cancelled":
            return _("전화 상담 예약 취소")
        case "callback_rescheduled":
            return _("전화 상담 시간 변경: %(before)s → %(after)s") % {
                "before": _when(data.get("from")),
                "after": _when(data.get("to")),
            }
        case "callback_completed":
            return _("전화 상담 완료") + (" · " + _("문의 해결") if data.get("resolved") else "")
        case "callback_no_answer":
            return _("전화 부재중 (%(attempt)s회째) · 다시 걸기 %(when)s") % {
                "attempt": data.get("attempt"),
                "when": _when(data.get("retry_at")),
            }
        case "callback_missed":
            return _("전화 부재중: %(attempts)s번 모두 받지 않음 (부재중 안내 문자)") % {
                "attempts": data.get("attempts")
            }
        case "callback_overdue":
            return _("전화 예약 기한 초과: 예약 시각이 지나도록 시작하지 않음")
    return kind
