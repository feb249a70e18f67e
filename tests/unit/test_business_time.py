"""Business-time maths on the Korean calendar: examples a support lead would check by hand,
and properties that must hold for any start and duration."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gogaek.calendar.business_time import add_business_time, business_time_between
from gogaek.calendar.hours import SEOUL, BusinessHours


def kst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-09-23T17:00", 9, "2026-09-28T17:00"),  # across Chuseok (24–26 Sep) and Sunday
        ("2026-11-26T10:00", 1, "2026-11-26T11:00"),  # inside one day
        ("2026-11-26T17:00", 1, "2026-11-26T18:00"),  # lands on closing time and stays there
        ("2026-11-26T17:30", 1, "2026-11-27T09:30"),  # carries over to the next morning
        ("2026-11-27T17:00", 2, "2026-11-30T10:00"),  # Friday evening to Monday
        ("2026-11-28T13:00", 1, "2026-11-30T10:00"),  # submitted on Saturday
        ("2026-11-26T07:00", 1, "2026-11-26T10:00"),  # before opening
        ("2026-11-26T20:00", 9, "2026-11-27T18:00"),  # after closing: one full business day
        ("2026-10-02T12:00", 9, "2026-10-06T12:00"),  # 개천절 on Saturday, substitute Monday 5 Oct
        ("2026-02-13T18:00", 9, "2026-02-19T18:00"),  # 설날 16–18 Feb
        ("2026-11-26T10:00", 0, "2026-11-26T10:00"),
    ],
)
def test_add_business_hours(start: str, hours: float, expected: str) -> None:
    assert add_business_time(kst(start), timedelta(hours=hours)) == kst(expected)


def test_company_days_off_are_skipped_too() -> None:
    calendar = BusinessHours(days_off=frozenset({date(2026, 11, 27)}))
    assert add_business_time(kst("2026-11-26T17:00"), timedelta(hours=2), calendar) == kst("2026-11-30T10:00")


def test_other_time_zones_are_converted_to_seoul() -> None:
    start = datetime(2026, 9, 23, 8, 0, tzinfo=UTC)  # 17:00 in Seoul
    result = add_business_time(start, timedelta(hours=9))
    assert result == kst("2026-09-28T17:00")
    assert result.utcoffset() == timedelta(hours=9)


def test_between_counts_only_business_windows() -> None:
    assert business_time_between(kst("2026-09-23T17:00"), kst("2026-09-28T17:00")) == timedelta(hours=9)
    assert business_time_between(kst("2026-11-28T00:00"), kst("2026-11-29T23:59")) == timedelta(0)
    assert business_time_between(kst("2026-11-27T10:00"), kst("2026-11-26T10:00")) == -timedelta(hours=9)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(datetime(2026, 1, 2, 10), timedelta(hours=1)),
        lambda: add_business_time(kst("2026-11-26T10:00"), timedelta(hours=-1)),
        lambda: add_business_time(kst("2026-11-26T10:00"), timedelta(hours=1), BusinessHours(time(18), time(9))),
        lambda: add_business_time(kst("2026-11-26T10:00"), timedelta(hours=1), BusinessHours(weekdays=frozenset())),
        lambda: business_time_between(datetime(2026, 1, 2), kst("2026-11-26T10:00")),
    ],
)
def test_bad_input_is_a_clear_value_error(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(SEOUL))
durations = st.integers(min_value=0, max_value=60 * 9 * 40).map(lambda minutes: timedelta(minutes=minutes))


@settings(max_examples=200, deadline=None)
@given(start=moments, duration=durations)
def test_adding_then_measuring_gives_back_the_duration(start: datetime, duration: timedelta) -> None:
    end = add_business_time(start, duration)
    assert end >= start
    assert business_time_between(start, end) == duration


@settings(max_examples=200, deadline=None)
@given(start=moments, duration=durations.filter(lambda d: d > timedelta(0)))
def test_a_due_time_falls_inside_business_hours(start: datetime, duration: timedelta) -> None:
    hours = BusinessHours()
    end = add_business_time(start, duration).astimezone(SEOUL)
    assert hours.is_business_day(end.date())
    assert hours.opens < end.time() <= hours.closes


@settings(max_examples=100, deadline=None)
@given(start=moments, first=durations, second=durations)
def test_adding_in_two_steps_equals_adding_once(start: datetime, first: timedelta, second: timedelta) -> None:
    stepwise = add_business_time(add_business_time(start, first), second)
    assert stepwise == add_business_time(start, first + second)


def test_cli_prints_the_due_time_in_korean_time() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gogaek",
            "calendar",
            "add",
            "--from",
            "2026-09-23T17:00+09:00",
            "--business-hours",
            "9",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2026-09-28T17:00+09:00"
    bad = subprocess.run(
        [sys.executable, "-m", "gogaek", "calendar", "add", "--from", "어제", "--business-hours", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert bad.returncode == 2
    assert "ISO 8601" in bad.stderr
