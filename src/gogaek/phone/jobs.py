"""Job handlers of phone callbacks: the reminder before the slot.

The reminder job is queued with the booking (one per callback and slot, by dedupe key), so
however many workers poll, one claims it. It sends nothing when the booking was cancelled or
moved since: the moved booking has its own reminder.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from gogaek.jobs.handlers import NOTIFY_SMS, Handler, JobContext, PermanentJobError
from gogaek.jobs.queue import enqueue
from gogaek.notify.texts import with_sender
from gogaek.phone.booking import REMINDER_JOB
from gogaek.phone.models import Callback, CallbackStatus
from gogaek.phone.notices import booking_language, slot_words
from gogaek.web.i18n import N_, text_in

log = logging.getLogger(__name__)


def _payload(payload: dict[str, Any]) -> tuple[int, datetime]:
    try:
        return int(payload["callback_id"]), datetime.fromisoformat(str(payload["slot_start"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentJobError(f"bad reminder payload: {payload!r}") from exc


async def send_reminder(ctx: JobContext, payload: dict[str, Any]) -> None:
    callback_id, slot_start = _payload(payload)
    async with ctx.sessionmaker() as session:
        callback = await session.get(Callback, callback_id)
        if callback is None or callback.status != CallbackStatus.BOOKED.value or callback.slot_start != slot_start:
            log.info("callback %s was cancelled or moved: no reminder for %s", callback_id, slot_start)
            return
        language = await booking_language(session, callback)
        words = text_in(
            language,
            N_("잠시 후 %(when)s에 %(phone)s 번호로 상담 전화를 드립니다. 예약번호 %(number)s"),
            when=slot_words(callback.slot_start, language),
            phone=ctx.settings.support_phone,
            number=callback.number or "",
        )
        text = with_sender(words, language)
        await enqueue(
            session,
            NOTIFY_SMS,
            {"to": callback.phone, "text": text},
            dedupe_key=f"callback-reminder-sms:{callback_id}:{int(slot_start.timestamp())}",
            max_attempts=ctx.settings.jobs_max_attempts,
        )
        await session.commit()


def job_handlers() -> dict[str, Handler]:
    return {REMINDER_JOB: send_reminder}
