"""Words agents read about callbacks: statuses, slot times, and entries of an inquiry's timeline (처리 내역)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from gogaek.calendar.hours import SEOUL
from gogaek.phone.models import CallbackStatus

WEEKDAYS = "월화수목금토일"
CALLBACK_STATUS_LABELS: dict[str, str] = {
    CallbackStatus.BOOKED: "예약됨",
    CallbackStatus.IN_PROGRESS: "통화 중",
    CallbackStatus.RETRY: "재시도 대기",
    CallbackStatus.COMPLETED: "통화 완료",
    CallbackStatus.MISSED: "부재중",
    CallbackStatus.CANCELLED: "취소됨",
}


def slot_label(moment: datetime | None) -> str:
    """12월 7일 (월) 14:00, in Seoul time."""
    if moment is None:
        return ""
    local = moment.astimezone(SEOUL)
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
            return f"전화 상담 예약: {_when(data.get('slot_start'))}"
        case "callback_cancelled":
            return "전화 상담 예약 취소"
        case "callback_rescheduled":
            return f"전화 상담 시간 변경: {_when(data.get('from'))} → {_when(data.get('to'))}"
        case "callback_completed":
            return "전화 상담 완료" + (" · 문의 해결" if data.get("resolved") else "")
        case "callback_no_answer":
            return f"전화 부재중 ({data.get('attempt')}회째) · 다시 걸기 {_when(data.get('retry_at'))}"
        case "callback_missed":
            return f"전화 부재중: {data.get('attempts')}번 모두 받지 않음 (부재중 안내 문자)"
        case "callback_overdue":
            return "전화 예약 기한 초과: 예약 시각이 지나도록 시작하지 않음"
    return kind
