"""What the customer hears about a callback: confirmation, one reminder, cancellation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from gogaek.background import job_handlers
from gogaek.config import Settings
from gogaek.jobs.handlers import build_handlers
from gogaek.jobs.worker import JobWorker
from gogaek.notify.providers import ConsoleProvider, SmsMessage
from tests.conftest import customer_headers
from tests.phone.booking_helpers import book, open_slot

pytestmark = pytest.mark.usefixtures("demo_categories")


def worker(app: FastAPI, settings: Settings, name: str) -> JobWorker:
    return JobWorker(app.state.sessionmaker, settings, build_handlers(job_handlers()), name)


def texts(*workers: JobWorker) -> list[SmsMessage]:
    sent: list[SmsMessage] = []
    for each in workers:
        assert isinstance(each.providers.sms, ConsoleProvider)
        sent.extend(message for message in each.providers.sms.sent if isinstance(message, SmsMessage))
    return sent


async def drain(now: datetime | None, *workers: JobWorker) -> None:
    """Both workers poll at the same time until nothing is due."""
    for _ in range(20):
        if sum(await asyncio.gather(*(each.run_once(now) for each in workers))) == 0:
            return


async def test_booking_is_confirmed_and_reminded_once_with_two_workers(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    slot = await open_slot(client)
    booked = (await book(client, customer_headers(settings, sub="reminded"), slot["start"])).json()
    first, second = worker(app, settings, "worker-a"), worker(app, settings, "worker-b")
    await drain(None, first, second)
    [confirmation] = texts(first, second)
    assert confirmation.to == "01012345678" and "예약번호 " + booked["number"] in confirmation.text
    assert "전화드리겠습니다" in confirmation.text

    just_before = datetime.fromisoformat(slot["start"]) - timedelta(minutes=settings.callback_reminder_minutes - 1)
    await drain(just_before, first, second)
    await drain(just_before + timedelta(minutes=1), first, second)
    reminders = [m for m in texts(first, second) if "잠시 후" in m.text]
    assert len(reminders) == 1 and booked["number"] in reminders[0].text


async def test_a_cancelled_booking_gets_no_reminder_but_a_cancellation(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = customer_headers(settings, sub="cancelled")
    slot = await open_slot(client)
    booked = (await book(client, headers, slot["start"])).json()
    assert (await client.post(f"/api/v1/callbacks/{booked['id']}/cancel", headers=headers)).status_code == 200
    runner = worker(app, settings, "worker-c")
    await drain(datetime.fromisoformat(slot["start"]), runner)
    sent = [m.text for m in texts(runner)]
    assert any("취소되었습니다" in text for text in sent)
    assert not any("잠시 후" in text for text in sent)


async def test_a_moved_booking_is_reminded_for_its_new_slot_only(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = customer_headers(settings, sub="moved")
    first, later = await open_slot(client), await open_slot(client, 3)
    booked = (await book(client, headers, first["start"])).json()
    moved = await client.post(
        f"/api/v1/callbacks/{booked['id']}/reschedule", json={"slot_start": later["start"]}, headers=headers
    )
    assert moved.status_code == 200
    runner = worker(app, settings, "worker-d")
    await drain(datetime.fromisoformat(later["start"]), runner)
    reminders = [m.text for m in texts(runner) if "잠시 후" in m.text]
    later_time = datetime.fromisoformat(later["start"]).strftime("%H:%M")
    assert len(reminders) == 1 and later_time in reminders[0]
    assert any("변경되었습니다" in m.text for m in texts(runner))


async def test_a_booking_made_in_english_is_confirmed_and_reminded_in_english(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    """The host app's token says English: every word the customer then gets about it is English."""
    slot = await open_slot(client)
    headers = customer_headers(settings, sub="english", locale="en")
    booked = (await book(client, headers, slot["start"])).json()
    runner = worker(app, settings, "worker-e")
    start = datetime.fromisoformat(slot["start"])
    await drain(start - timedelta(minutes=settings.callback_reminder_minutes - 1), runner)
    [reminder] = [m for m in texts(runner) if "Soon, at" in m.text]
    [confirmation] = [m for m in texts(runner) if m is not reminder]
    assert confirmation.text.startswith("[Customer center] We will call you from ")
    assert confirmation.text.endswith(f"Booking {booked['number']}") and start.strftime("%H:%M") in confirmation.text
    assert reminder.text.startswith("[Customer center] Soon, at ") and booked["number"] in reminder.text
    assert not any("\uac00" <= char <= "\ud7a3" for message in (confirmation, reminder) for char in message.text)
    inquiries = (await client.get("/api/v1/inquiries", headers=headers)).json()
    assert inquiries["items"][0]["id"] == booked["inquiry_id"]
