"""Callback booking (상담 예약) through the customer API: slots, booking, limits, 문의 내역."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from tests.conftest import customer_headers
from tests.phone.booking_helpers import PHONE, book, open_slot, remaining, set_default_capacity, slots

SEOUL = ZoneInfo("Asia/Seoul")
pytestmark = pytest.mark.usefixtures("demo_categories")


async def test_slots_are_half_hours_in_business_hours_in_korean_time(client: httpx.AsyncClient) -> None:
    offered = await slots(client, category="payment")
    assert offered, "two weeks always hold a business day"
    earliest = datetime.now(SEOUL) + timedelta(minutes=60)
    for slot in offered:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert slot["start"].endswith("+09:00")
        assert end - start == timedelta(minutes=30)
        assert start.minute in (0, 30) and start.second == 0
        assert start.hour >= 9 and (end.hour, end.minute) <= (18, 0)
        assert start.weekday() < 5 and start >= earliest
        assert slot["capacity"] == 3 and slot["remaining"] == 3
    assert len({slot["start"] for slot in offered}) == len(offered)


async def test_slot_days_and_category_are_checked(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/callbacks/slots", params={"days": 15})).status_code == 422
    assert (await client.get("/api/v1/callbacks/slots", params={"days": 0})).status_code == 422
    unknown = await client.get("/api/v1/callbacks/slots", params={"category": "nope"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_category"
    week = await slots(client)
    one_day = (await client.get("/api/v1/callbacks/slots", params={"days": 1})).json()["slots"]
    assert len(one_day) <= len(week)


async def test_booking_answers_the_documented_shape_and_shows_in_inquiries(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = customer_headers(settings, sub="booker")
    slot = await open_slot(client)
    response = await book(client, headers, slot["start"], note="결제가 두 번 됐어요")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "booked" and body["category"] == "payment"
    assert body["slot_start"] == slot["start"] and body["slot_end"] == slot["end"]
    assert body["phone"] == "010-****-5678" and PHONE.replace("-", "") not in response.text
    assert body["number"].startswith("CB") and isinstance(body["id"], int)
    assert await remaining(client, slot["start"]) == slot["remaining"] - 1

    inquiry = await client.get(f"/api/v1/inquiries/{body['inquiry_id']}", headers=headers)
    assert inquiry.status_code == 200
    assert inquiry.json()["channel"] == "phone"
    listed = (await client.get("/api/v1/inquiries", headers=headers)).json()
    assert body["inquiry_id"] in [item["id"] for item in listed["items"]]

    mine = (await client.get("/api/v1/callbacks", headers=headers)).json()["callbacks"]
    assert [c["id"] for c in mine] == [body["id"]]
    one = await client.get(f"/api/v1/callbacks/{body['id']}", headers=headers)
    assert one.status_code == 200 and one.json()["note"] == "결제가 두 번 됐어요"


async def test_a_retry_with_the_same_key_books_once(client: httpx.AsyncClient, settings: Settings) -> None:
    headers = customer_headers(settings, sub="retrier")
    slot = await open_slot(client)
    key = {"Idempotency-Key": "book-1"}
    first = await book(client, headers, slot["start"], extra_headers=key)
    again = await book(client, headers, slot["start"], extra_headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert await remaining(client, slot["start"]) == slot["remaining"] - 1
    other = await book(client, headers, (await open_slot(client, 1))["start"], extra_headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_more_than_the_allowed_future_bookings_is_refused(client: httpx.AsyncClient, settings: Settings) -> None:
    headers = customer_headers(settings, sub="eager")
    for skip in range(settings.callback_max_active):
        assert (await book(client, headers, (await open_slot(client, skip))["start"])).status_code == 201
    third = await book(client, headers, (await open_slot(client, 5))["start"])
    assert third.status_code == 409 and third.json()["code"] == "too_many_bookings"
    assert third.headers["content-type"].startswith("application/problem+json")


async def test_a_full_slot_is_refused_and_nothing_is_filed(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_default_capacity(session, 1)
    slot = await open_slot(client)
    assert slot["capacity"] == 1
    assert (await book(client, customer_headers(settings, sub="first"), slot["start"])).status_code == 201
    late_headers = customer_headers(settings, sub="second")
    late = await book(client, late_headers, slot["start"])
    assert late.status_code == 409 and late.json()["code"] == "slot_full"
    assert (await client.get("/api/v1/inquiries", headers=late_headers)).json()["items"] == []
    assert (await client.get("/api/v1/callbacks", headers=late_headers)).json()["callbacks"] == []


@pytest.mark.parametrize(
    "moment",
    [
        "past",  # yesterday morning
        "misaligned",  # 10:10
        "evening",  # 19:00, after closing
        "last_minutes",  # 17:45: a 30-minute slot would end after closing
        "too_soon",  # inside the lead time
        "far",  # beyond 14 days
        "naive",  # no offset
    ],
)
async def test_times_that_are_not_offered_slots_are_unavailable(
    client: httpx.AsyncClient, settings: Settings, moment: str
) -> None:
    first = datetime.fromisoformat((await open_slot(client))["start"])
    day = first.replace(hour=10, minute=0)
    starts = {
        "past": (datetime.now(SEOUL) - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0),
        "misaligned": day.replace(minute=10),
        "evening": day.replace(hour=19),
        "last_minutes": day.replace(hour=17, minute=45),
        "too_soon": datetime.now(SEOUL) + timedelta(minutes=5),
        "far": day + timedelta(days=21),
    }
    slot_start = first.replace(tzinfo=None).isoformat() if moment == "naive" else starts[moment].isoformat()
    response = await book(client, customer_headers(settings, sub="timer"), slot_start)
    assert response.status_code == 422, response.text
    if moment != "naive":
        assert response.json()["code"] == "slot_unavailable"


async def test_invalid_phone_and_unknown_category_are_clear_errors(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = customer_headers(settings, sub="typo")
    slot = await open_slot(client)
    bad_phone = await book(client, headers, slot["start"], phone="02-123-4567")
    assert bad_phone.status_code == 422 and bad_phone.json()["code"] == "invalid_phone"
    bad_category = await book(client, headers, slot["start"], category="nope")
    assert bad_category.status_code == 422 and bad_category.json()["code"] == "unknown_category"
    assert await remaining(client, slot["start"]) == slot["remaining"]


async def test_signing_in_is_required(client: httpx.AsyncClient) -> None:
    slot = await open_slot(client)
    response = await book(client, {}, slot["start"])
    assert response.status_code == 401
    assert (await client.get("/api/v1/callbacks")).status_code == 401


async def test_another_customers_booking_is_not_found(client: httpx.AsyncClient, settings: Settings) -> None:
    owner = customer_headers(settings, sub="owner")
    stranger = customer_headers(settings, sub="stranger")
    slot = await open_slot(client)
    booked = (await book(client, owner, slot["start"])).json()
    other_slot = (await open_slot(client, 1))["start"]
    assert (await client.get(f"/api/v1/callbacks/{booked['id']}", headers=stranger)).status_code == 404
    assert (await client.post(f"/api/v1/callbacks/{booked['id']}/cancel", headers=stranger)).status_code == 404
    moved = await client.post(
        f"/api/v1/callbacks/{booked['id']}/reschedule", json={"slot_start": other_slot}, headers=stranger
    )
    assert moved.status_code == 404
    assert (await client.get(f"/api/v1/callbacks/{booked['id']}", headers=owner)).json()["status"] == "booked"
    assert await remaining(client, slot["start"]) == slot["remaining"] - 1


async def test_cancelling_frees_the_place_and_resolves_the_inquiry(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = customer_headers(settings, sub="canceller")
    slot = await open_slot(client)
    booked = (await book(client, headers, slot["start"])).json()
    cancelled = await client.post(f"/api/v1/callbacks/{booked['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert await remaining(client, slot["start"]) == slot["remaining"]
    again = await client.post(f"/api/v1/callbacks/{booked['id']}/cancel", headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert await remaining(client, slot["start"]) == slot["remaining"]  # not freed twice
    inquiry = (await client.get(f"/api/v1/inquiries/{booked['inquiry_id']}", headers=headers)).json()
    assert inquiry["status"] == "resolved"
    moved = await client.post(
        f"/api/v1/callbacks/{booked['id']}/reschedule", json={"slot_start": slot["start"]}, headers=headers
    )
    assert moved.status_code == 409 and moved.json()["code"] == "callback_not_changeable"


async def test_rescheduling_moves_the_place(client: httpx.AsyncClient, settings: Settings) -> None:
    headers = customer_headers(settings, sub="mover")
    first, second = await open_slot(client), await open_slot(client, 1)
    booked = (await book(client, headers, first["start"])).json()
    moved = await client.post(
        f"/api/v1/callbacks/{booked['id']}/reschedule", json={"slot_start": second["start"]}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot_start"] == second["start"] and moved.json()["id"] == booked["id"]
    assert await remaining(client, first["start"]) == first["remaining"]
    assert await remaining(client, second["start"]) == second["remaining"] - 1


async def test_rescheduling_into_a_full_slot_keeps_the_old_one(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_default_capacity(session, 1)
    headers = customer_headers(settings, sub="stayer")
    first, second = await open_slot(client), await open_slot(client, 1)
    booked = (await book(client, headers, first["start"])).json()
    assert (await book(client, customer_headers(settings, sub="taker"), second["start"])).status_code == 201
    moved = await client.post(
        f"/api/v1/callbacks/{booked['id']}/reschedule", json={"slot_start": second["start"]}, headers=headers
    )
    assert moved.status_code == 409 and moved.json()["code"] == "slot_full"
    assert (await client.get(f"/api/v1/callbacks/{booked['id']}", headers=headers)).json()["slot_start"] == first[
        "start"
    ]
    assert await remaining(client, first["start"]) == 0 and await remaining(client, second["start"]) == 0
