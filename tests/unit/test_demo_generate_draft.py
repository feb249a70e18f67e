"""The history generator's pure parts: the draft mirrors the table, filing times have a week's shape."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.config import Settings
from gogaek.demo.generate_inquiries import InquiryBuilder, InquiryDraft, Setting, created_times
from gogaek.demo.generate_people import Staff
from gogaek.inquiries.models import Inquiry, Priority
from gogaek.inquiries.sla import DEFAULT_TARGETS

NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
CATEGORIES = ((1, "payment"), (2, "transfer"), (3, "security"), (4, "help"))


def setting(days: int = 28) -> Setting:
    return Setting(
        now=NOW,
        days=days,
        categories=CATEGORIES,
        staff=Staff(agents=(7, 8), team_of_category={1: 1}, emergency_team=2, created=()),
        targets={(category, priority.value): DEFAULT_TARGETS for category, _ in CATEGORIES for priority in Priority},
        hours=BusinessHours(),
        settings=Settings(env="test"),
    )


def test_the_draft_has_exactly_the_inquiry_columns() -> None:
    """A column added to Inquiry must be drafted too, or COPY and executemany would leave it out."""
    assert {item.name for item in fields(InquiryDraft)} == {column.name for column in Inquiry.__table__.columns}


def test_filing_times_stay_in_the_window_and_follow_the_working_week() -> None:
    times = created_times(random.Random(1), setting(), 20_000)
    assert times == sorted(times)
    assert NOW - timedelta(days=28) <= times[0] and times[-1] <= NOW
    local = [moment.astimezone(SEOUL) for moment in times]
    weekdays = Counter(moment.weekday() for moment in local)
    assert min(weekdays[day] for day in range(5)) > 1.5 * max(weekdays[5], weekdays[6])
    hours = Counter(moment.hour for moment in local)
    assert hours[10] > 5 * hours[3]


def test_a_seed_draws_the_same_inquiries() -> None:
    def draw() -> list[dict[str, object]]:
        rng = random.Random(5)
        builder = InquiryBuilder(rng, setting())
        times = created_times(rng, setting(), 200)
        return [builder.build(number, 1, moment).inquiry for number, moment in enumerate(times)]

    assert draw() == draw()
