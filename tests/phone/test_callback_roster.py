"""The roster admins set decides each slot's capacity; holidays and days off offer no slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import httpx
import pytest

from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.config import Settings
from gogaek.phone.slots import CapacityRule, Roster, checked_slot, offered_slots
from tests.phone.booking_helpers import slots

SETTINGS = Settings(env="test")
# Friday 2026-09-18 10:00 in Seoul: the next week holds 추석 (Sep 24–26, 2026) and its substitute day.
FRIDAY_MORNING = datetime(2026, 9, 18, 10, 0, tzinfo=SEOUL)


def roster(**kwargs: object) -> Roster:
    base: dict[str, object] = {"default_rules": (), "weekday_rules": {}, "day_rules": {}, "fallback": 3}
    return Roster(**{**base, **kwargs})  # type: ignore[arg-type]


def test_no_slot_on_weekends_korean_holidays_or_company_days_off() -> None:
    day_off = date(2026, 9, 22)
    offered = offered_slots(BusinessHours(days_off=frozenset({day_off})), roster(), FRIDAY_MORNING, 14, SETTINGS)
    days = {slot.start.date() for slot in offered}
    assert date(2026, 9, 18) in days and date(2026, 9, 21) in days
    assert day_off not in days
    for holiday in (date(2026, 9, 24), date(2026, 9, 25)):
        assert holiday not in days
    assert all(slot.start.weekday() < 5 for slot in offered)
    first = offered[0]
    assert first.start == datetime(2026, 9, 18, 11, 0, tzinfo=SEOUL)  # 10:00 + 60 min lead
    assert offered[-1].end.time() <= time(18, 0)


def test_capacity_prefers_date_over_weekday_over_default_and_ranges_over_whole_days() -> None:
    rules = roster(
        default_rules=(CapacityRule(None, None, 2), CapacityRule(time(12), time(13), 1)),
        weekday_rules={0: (CapacityRule(None, None, 5),)},
        day_rules={date(2026, 9, 22): (CapacityRule(None, None, 0),)},
    )
    assert rules.capacity(datetime(2026, 9, 18, 10, tzinfo=SEOUL)) == 2  # Friday: the default
    assert rules.capacity(datetime(2026, 9, 18, 12, 30, tzinfo=SEOUL)) == 1  # lunch range
    assert rules.capacity(datetime(2026, 9, 21, 12, 30, tzinfo=SEOUL)) == 5  # Monday's own entry
    assert rules.capacity(datetime(2026, 9, 22, 10, tzinfo=SEOUL)) == 0  # the override closes the day
    offered = offered_slots(BusinessHours(), rules, FRIDAY_MORNING, 7, SETTINGS)
    assert date(2026, 9, 22) not in {slot.start.date() for slot in offered}


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 9, 24, 10, tzinfo=SEOUL),  # 추석
        datetime(2026, 9, 19, 10, tzinfo=SEOUL),  # Saturday
        datetime(2026, 9, 18, 10, 30, tzinfo=SEOUL),  # inside the lead time
        datetime(2026, 9, 21, 8, 30, tzinfo=SEOUL),  # before opening
        datetime(2026, 9, 21, 10, 15, tzinfo=SEOUL),  # misaligned
        datetime(2026, 10, 5, 10, tzinfo=SEOUL),  # 17 days ahead
    ],
)
def test_checked_slot_refuses_what_is_not_offered(start: datetime) -> None:
    with pytest.raises(Exception, match="예약할 수 없는 시간") as raised:
        checked_slot(BusinessHours(), roster(), start, FRIDAY_MORNING, SETTINGS)
    assert getattr(raised.value, "code", None) == "slot_unavailable"


def test_checked_slot_accepts_the_same_instant_in_utc() -> None:
    start = datetime(2026, 9, 21, 10, tzinfo=SEOUL).astimezone(UTC)
    assert checked_slot(BusinessHours(), roster(), start, FRIDAY_MORNING, SETTINGS).capacity == 3


@pytest.mark.usefixtures("demo_categories")
async def test_admins_set_the_roster_and_overrides(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    assert (await client.get("/api/v1/admin/callback-roster")).status_code == 401
    first_day = datetime.fromisoformat((await slots(client))[0]["start"]).date()
    default = await client.post(
        "/api/v1/admin/callback-roster/entries", json={"weekday": None, "capacity": 4}, headers=admin_headers
    )
    assert default.status_code == 201
    assert {slot["capacity"] for slot in await slots(client)} == {4}
    closed = await client.post(
        "/api/v1/admin/callback-roster/overrides",
        json={"day": first_day.isoformat(), "capacity": 0, "note": "워크숍"},
        headers=admin_headers,
    )
    assert closed.status_code == 201
    assert first_day not in {datetime.fromisoformat(s["start"]).date() for s in await slots(client)}
    bad = await client.post(
        "/api/v1/admin/callback-roster/entries",
        json={"weekday": 7, "starts": "12:00", "ends": "11:00", "capacity": -1},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    view = (await client.get("/api/v1/admin/callback-roster", headers=admin_headers)).json()
    assert view["fallback_capacity"] == 3 and len(view["entries"]) == 1 and view["overrides"][0]["note"] == "워크숍"
    gone = await client.delete(f"/api/v1/admin/callback-roster/overrides/{closed.json()['id']}", headers=admin_headers)
    assert gone.status_code == 204
    assert first_day in {datetime.fromisoformat(s["start"]).date() for s in await slots(client)}
    missing = await client.delete("/api/v1/admin/callback-roster/entries/99999", headers=admin_headers)
    assert missing.status_code == 404
    audit = (await client.get("/api/v1/admin/audit", headers=admin_headers)).json()
    actions = {entry["action"] for entry in audit["items"]}
    assert {"callback.roster_add", "callback.override_add", "callback.roster_remove"} <= actions
