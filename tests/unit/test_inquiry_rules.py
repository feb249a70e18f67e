"""The workflow table and the SLA clocks: the rules customers are promised."""

from __future__ import annotations

from datetime import datetime

import pytest

from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.errors import ProblemError
from gogaek.inquiries.emergency import emergency_terms, is_emergency
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.sla import (
    DEFAULT_TARGETS,
    SlaState,
    is_near_breach,
    pause_resolution,
    resume_resolution,
    sla_state,
    start_clocks,
)
from gogaek.inquiries.workflow import TRANSITIONS, Actor, Status, allowed_targets, check_transition

HOURS = BusinessHours()


def seoul(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SEOUL)


def new_inquiry(created: datetime) -> Inquiry:
    inquiry = Inquiry(status="received", created_at=created)
    start_clocks(inquiry, DEFAULT_TARGETS, created, HOURS)
    return inquiry


def test_every_status_but_closed_has_a_way_forward() -> None:
    for status in Status:
        targets = {target for (source, target) in TRANSITIONS if source == status}
        assert bool(targets) == (status != Status.CLOSED), status


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        ("closed", "in_progress", Actor.AGENT),
        ("received", "answered", Actor.CUSTOMER),
        ("resolved", "answered", Actor.AGENT),
        ("answered", "received", Actor.CUSTOMER),
        ("in_progress", "in_progress", Actor.AGENT),
    ],
)
def test_moves_the_table_does_not_list_are_409(current: str, target: str, actor: Actor) -> None:
    with pytest.raises(ProblemError) as caught:
        check_transition(current, target, actor)
    assert caught.value.status == 409 and caught.value.code == "transition_not_allowed"


def test_unknown_status_is_422() -> None:
    with pytest.raises(ProblemError) as caught:
        check_transition("received", "archived", Actor.AGENT)
    assert caught.value.status == 422


def test_customers_may_only_resolve_or_come_back() -> None:
    assert set(allowed_targets(Status.ANSWERED, Actor.CUSTOMER)) == {Status.IN_PROGRESS, Status.RESOLVED}
    assert allowed_targets(Status.CLOSED, Actor.AGENT) == []


def test_default_promise_is_one_and_two_business_days() -> None:
    # Wednesday 2026-09-23 17:00, just before Chuseok (24–26 Sep) and the weekend.
    inquiry = new_inquiry(seoul(2026, 9, 23, 17, 0))
    assert inquiry.first_response_due_at == seoul(2026, 9, 28, 17, 0)
    assert inquiry.resolution_due_at == seoul(2026, 9, 29, 17, 0)


def test_company_days_off_push_the_promise() -> None:
    created = seoul(2026, 11, 26, 10, 0)  # Thursday
    closed_friday = BusinessHours(days_off=frozenset({seoul(2026, 11, 27, 0, 0).date()}))
    inquiry = Inquiry(status="received", created_at=created)
    start_clocks(inquiry, DEFAULT_TARGETS, created, closed_friday)
    assert inquiry.first_response_due_at == seoul(2026, 11, 30, 10, 0)


def test_the_clock_stops_while_waiting_on_the_customer() -> None:
    inquiry = new_inquiry(seoul(2026, 11, 23, 9, 0))  # Monday; resolution due Tuesday 18:00
    assert inquiry.resolution_due_at == seoul(2026, 11, 24, 18, 0)
    pause_resolution(inquiry, seoul(2026, 11, 23, 12, 0), HOURS)  # answered after 3 business hours
    assert inquiry.resolution_due_at is None and inquiry.resolution_remaining_seconds == 15 * 3600
    # The customer answers a week later, on Monday at 15:00: 15 business hours are left again.
    resume_resolution(inquiry, seoul(2026, 11, 30, 15, 0), HOURS)
    assert inquiry.resolution_due_at == seoul(2026, 12, 2, 12, 0)
    assert inquiry.resolution_remaining_seconds is None


def test_an_overdue_clock_resumes_overdue() -> None:
    inquiry = new_inquiry(seoul(2026, 11, 23, 9, 0))
    pause_resolution(inquiry, seoul(2026, 11, 25, 11, 0), HOURS)  # paused two hours after the due time
    assert inquiry.resolution_remaining_seconds == -2 * 3600
    resume_resolution(inquiry, seoul(2026, 11, 26, 9, 30), HOURS)
    assert inquiry.resolution_due_at == seoul(2026, 11, 26, 9, 30)


def test_queue_state_follows_the_nearest_open_promise() -> None:
    inquiry = new_inquiry(seoul(2026, 11, 23, 9, 0))
    assert sla_state(inquiry, seoul(2026, 11, 23, 10, 0)) == SlaState.OK
    inquiry.first_response_warned_at = seoul(2026, 11, 23, 16, 0)
    assert sla_state(inquiry, seoul(2026, 11, 23, 16, 30)) == SlaState.DUE_SOON
    assert sla_state(inquiry, seoul(2026, 11, 23, 18, 0)) == SlaState.OVERDUE
    inquiry.first_responded_at = seoul(2026, 11, 23, 17, 0)
    assert sla_state(inquiry, seoul(2026, 11, 23, 18, 0)) == SlaState.OK  # resolution is due Tuesday
    pause_resolution(inquiry, seoul(2026, 11, 23, 17, 0), HOURS)
    assert sla_state(inquiry, seoul(2026, 11, 25, 9, 0)) == SlaState.PAUSED
    inquiry.resolved_at = seoul(2026, 11, 25, 9, 0)
    assert sla_state(inquiry, seoul(2026, 11, 25, 9, 0)) == SlaState.MET


def test_near_breach_counts_business_time_not_wall_time() -> None:
    started, due = seoul(2026, 11, 27, 9, 0), seoul(2026, 11, 30, 9, 0)  # Friday 09:00 → Monday 09:00
    assert not is_near_breach(started, due, seoul(2026, 11, 27, 15, 0), HOURS, 0.8)  # 6 of 9 hours
    assert is_near_breach(started, due, seoul(2026, 11, 27, 17, 0), HOURS, 0.8)  # 8 of 9 hours
    assert is_near_breach(started, due, seoul(2026, 11, 29, 12, 0), HOURS, 0.8)  # Sunday: 9 of 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("보이스 피싱을 당한 것 같아요", True),
        ("계정이 해킹당했어요", True),
        ("명의도용으로 가입된 것 같습니다", True),
        ("카드를 분실했어요", True),
        ("송금 수수료가 궁금해요", False),
        ("포인트 사용처 문의", False),
    ],
)
def test_emergency_words(text: str, expected: bool) -> None:
    assert is_emergency(text) is expected


def test_emergency_terms_ignore_spacing() -> None:
    assert "보이스피싱" in emergency_terms("보 이 스 피 싱")
