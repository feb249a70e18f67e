"""No overbooking, ever: simultaneous requests for the last places, in one process and in several.

After every race the slot counters must equal the bookings actually stored, and a rescheduled
customer must hold exactly one of the two slots.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.phone.models import ACTIVE_CALLBACK_STATUSES, Callback, CallbackSlot
from tests.conftest import customer_headers
from tests.integration.test_multi_process import running_server
from tests.phone.booking_helpers import book, open_slot, remaining, set_default_capacity

pytestmark = pytest.mark.usefixtures("demo_categories")
RACERS = 12


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_write_burst": 1000})


async def assert_counters_match_bookings(session: AsyncSession) -> None:
    session.expire_all()
    counted = dict((await session.execute(select(CallbackSlot.slot_start, CallbackSlot.booked))).all())
    stored = dict(
        (
            await session.execute(
                select(Callback.slot_start, func.count())
                .where(Callback.status.in_(ACTIVE_CALLBACK_STATUSES), Callback.slot_start.is_not(None))
                .group_by(Callback.slot_start)
            )
        ).all()
    )
    assert {start: n for start, n in counted.items() if n} == stored


def outcome(responses: list[httpx.Response]) -> tuple[int, set[str]]:
    booked = sum(r.status_code == 201 for r in responses)
    codes = {r.json()["code"] for r in responses if r.status_code != 201}
    return booked, codes


async def test_the_last_places_go_to_exactly_that_many_customers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    slot = await open_slot(client)
    assert (await book(client, customer_headers(settings, sub="early"), slot["start"])).status_code == 201
    left = await remaining(client, slot["start"])
    responses = await asyncio.gather(
        *(book(client, customer_headers(settings, sub=f"racer-{n}"), slot["start"]) for n in range(RACERS))
    )
    assert outcome(list(responses)) == (left, {"slot_full"})
    assert await remaining(client, slot["start"]) == 0
    await assert_counters_match_bookings(session)


async def test_a_reschedule_racing_a_booking_for_the_last_place_holds_one_slot(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_default_capacity(session, 1)
    mover_headers = customer_headers(settings, sub="mover")
    home, target = await open_slot(client), await open_slot(client, 1)
    mine = (await book(client, mover_headers, home["start"])).json()
    move, rival = await asyncio.gather(
        client.post(
            f"/api/v1/callbacks/{mine['id']}/reschedule", json={"slot_start": target["start"]}, headers=mover_headers
        ),
        book(client, customer_headers(settings, sub="rival"), target["start"]),
    )
    assert sorted([move.status_code, rival.status_code]) in ([200, 409], [201, 409])
    held = (await client.get(f"/api/v1/callbacks/{mine['id']}", headers=mover_headers)).json()["slot_start"]
    assert held == (target["start"] if move.status_code == 200 else home["start"])
    assert await remaining(client, target["start"]) == 0
    assert await remaining(client, home["start"]) == (1 if move.status_code == 200 else 0)
    await assert_counters_match_bookings(session)


async def test_two_reschedules_of_one_booking_at_once_move_it_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = customer_headers(settings, sub="double-click")
    home, left, right = await open_slot(client), await open_slot(client, 1), await open_slot(client, 2)
    mine = (await book(client, headers, home["start"])).json()
    moves = await asyncio.gather(
        *(
            client.post(f"/api/v1/callbacks/{mine['id']}/reschedule", json={"slot_start": s["start"]}, headers=headers)
            for s in (left, right)
        )
    )
    # Interleaved, the second move finds the booking already moved (409); one after the other
    # (SQLite runs each request's statements without a pause), it moves it again. Either way the
    # booking ends in exactly one of the two slots and the counters agree with the bookings.
    assert sorted(r.status_code for r in moves) in ([200, 409], [200, 200])
    held = (await client.get(f"/api/v1/callbacks/{mine['id']}", headers=headers)).json()["slot_start"]
    taken = {s["start"]: s["remaining"] - await remaining(client, s["start"]) for s in (left, right)}
    assert held in taken and taken == {start: int(start == held) for start in taken}
    await assert_counters_match_bookings(session)
    assert await remaining(client, home["start"]) == home["remaining"]


@pytest.mark.integration
async def test_no_overbooking_across_server_processes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """Two real `gogaek serve` processes on one database, requests split between them."""
    slot = await open_slot(client)
    env = {"GOGAEK_SEARCH_SEMANTIC": "false", "GOGAEK_PUBLIC_WRITE_BURST": "1000"}
    with ExitStack() as stack:
        urls = [stack.enter_context(running_server(settings, env)) for _ in range(2)]
        async with httpx.AsyncClient(timeout=60) as http:
            responses = await asyncio.gather(
                *(
                    http.post(
                        f"{urls[n % 2]}/api/v1/callbacks",
                        json={"category": "payment", "slot_start": slot["start"], "phone": "010-2222-3333"},
                        headers=customer_headers(settings, sub=f"process-racer-{n}"),
                    )
                    for n in range(RACERS)
                )
            )
    assert outcome(list(responses)) == (slot["remaining"], {"slot_full"})
    await assert_counters_match_bookings(session)
