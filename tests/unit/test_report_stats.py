"""Report arithmetic: percentiles, the fast business clock, filters, CSV cells."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gogaek.calendar.business_time import business_time_between
from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.errors import ProblemError
from gogaek.reports.export import safe_cell, to_csv
from gogaek.reports.schemas import parse_filters
from gogaek.reports.stats import (
    BusinessClock,
    day_number,
    percentile,
    percentile_of,
    seoul_day,
    seoul_week_numbers,
    week_start,
)

TODAY = date(2026, 12, 7)


def test_percentile_interpolates_like_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=2, max_size=60))
def test_percentile_matches_statistics(values: list[float]) -> None:
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
    # statistics' "inclusive" method is the same linear interpolation as percentile_cont.
    assert percentile(values, 0.9) == pytest.approx(statistics.quantiles(values, n=10, method="inclusive")[8])


CHUSEOK_2026 = BusinessHours(days_off=frozenset({date(2026, 10, 2)}))  # a company day off next to 추석
MOMENTS = st.datetimes(min_value=datetime(2026, 9, 20), max_value=datetime(2026, 10, 20)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)


@given(MOMENTS, MOMENTS)
def test_business_clock_agrees_with_the_calendar(start: datetime, end: datetime) -> None:
    clock = BusinessClock(CHUSEOK_2026, date(2026, 9, 19), date(2026, 10, 21))
    expected = business_time_between(start, end, CHUSEOK_2026).total_seconds()
    assert clock.between(start.timestamp(), end.timestamp()) == pytest.approx(expected, abs=1e-3)


def test_business_clock_skips_holidays_and_days_off() -> None:
    clock = BusinessClock(CHUSEOK_2026, date(2026, 9, 1), date(2026, 10, 31))
    # Friday 2026-09-18 17:00 KST → Monday 09-21 10:00: one hour on Friday, one on Monday.
    friday = datetime(2026, 9, 18, 17, tzinfo=SEOUL).timestamp()
    monday = datetime(2026, 9, 21, 10, tzinfo=SEOUL).timestamp()
    assert clock.between(friday, monday) == 2 * 3600
    # Across 추석 (9/24–9/26), the company day off on 10/2 and 개천절: the calendar's own answer.
    before = datetime(2026, 9, 23, 18, tzinfo=SEOUL)
    after = datetime(2026, 10, 6, 9, tzinfo=SEOUL)
    assert (
        clock.between(before.timestamp(), after.timestamp())
        == business_time_between(before, after, CHUSEOK_2026).total_seconds()
    )


def test_days_and_weeks_are_seoul_days() -> None:
    late_evening_utc = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)  # 00:30 on 12/7 in Seoul
    assert seoul_day(late_evening_utc.timestamp()) == date(2026, 12, 7)
    assert week_start(date(2026, 12, 10)) == date(2026, 12, 7)


def test_filters_default_to_the_last_thirty_days() -> None:
    filters = parse_filters({}, TODAY)
    assert (filters.start, filters.end) == (TODAY - timedelta(days=29), TODAY)
    assert filters.start_at == datetime(2026, 11, 7, 15, tzinfo=UTC)  # midnight in Seoul
    assert filters.end_at == datetime(2026, 12, 7, 15, tzinfo=UTC)


def test_filters_read_the_query_string() -> None:
    params = {"from": "2026-10-01", "to": "2026-10-31", "channel": "chat", "category": "3", "team": "2"}
    filters = parse_filters(params, TODAY)
    assert (filters.channel, filters.category_id, filters.team_id) == ("chat", 3, 2)
    assert filters.query() == params


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": "2026-13-01"}, "from", "날짜 형식"),
        ({"to": "어제"}, "to", "날짜 형식"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from", "시작일이 종료일보다 늦습니다"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "from", "최대 366일"),
        ({"channel": "fax"}, "channel", "채널은"),
        ({"category": "-1"}, "category", "카테고리"),
        ({"team": "1 OR 1=1"}, "team", "팀"),
        ({"sort": "x"}, "sort", "알 수 없는 조건"),
    ],
)
def test_bad_filters_are_refused_in_korean(params: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_filters(params, TODAY)
    assert caught.value.status == 400
    assert caught.value.code == "report_filter_invalid"
    assert caught.value.errors[0]["field"] == field
    assert words in caught.value.message


def test_csv_has_a_bom_and_no_formulas() -> None:
    data = to_csv(["이름", "값"], [['=HYPERLINK("http://x")', 1], ["+82", -3], ["@SUM(A1)", 2.5], ["-1+2", None]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["이름", "값"],
        ['\'=HYPERLINK("http://x")', "1"],
        ["'+82", "-3"],  # a negative number stays a number; only text is defused
        ["'@SUM(A1)", "2.5"],
        ["'-1+2", ""],
    ]
    assert safe_cell("\tcmd") == "'\tcmd"
    assert safe_cell("보통 글") == "보통 글"


@given(st.lists(st.tuples(MOMENTS, MOMENTS), min_size=1, max_size=30))
def test_the_array_clock_agrees_with_the_scalar_one(pairs: list[tuple[datetime, datetime]]) -> None:
    clock = BusinessClock(CHUSEOK_2026, date(2026, 9, 19), date(2026, 10, 21))
    starts = np.array([start.timestamp() for start, _end in pairs])
    ends = np.array([end.timestamp() for _start, end in pairs])
    expected = [clock.between(start, end) for start, end in zip(starts, ends, strict=True)]
    assert clock.between_many(starts, ends).tolist() == pytest.approx(expected)
    assert np.isnan(clock.elapsed_many(np.array([np.nan]))[0])


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=60))
def test_array_percentiles_match_the_plain_ones(values: list[float]) -> None:
    for share in (0.5, 0.9):
        assert percentile_of(np.array(values), share) == pytest.approx(percentile(values, share))
    assert percentile_of(np.array([]), 0.5) is None


def test_week_numbers_are_seoul_mondays() -> None:
    sunday_night_utc = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)  # Monday 00:30 in Seoul
    saturday = datetime(2026, 12, 5, 3, tzinfo=UTC)
    weeks = seoul_week_numbers(np.array([sunday_night_utc.timestamp(), saturday.timestamp()]))
    assert weeks.tolist() == [day_number(date(2026, 12, 7)), day_number(date(2026, 11, 30))]
