"""What the contact page says about the phone: open now (company days off too), the expected
wait from the phone system's events, and the next free callback slots."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.contact import ContactInfo, contact_info
from gogaek.phone.cti_stats import phone_queue_stats
from gogaek.phone.slot_views import next_open_slots
from gogaek.web.i18n import gettext as _

NEXT_SLOTS = 4


@dataclass(frozen=True, slots=True)
class PhoneContact:
    contact: ContactInfo
    waiting: int
    wait_text: str | None  # "약 3분", None without recent phone-system data
    next_slots: list[tuple[str, str]]


def wait_words(seconds: int) -> str:
    minutes = round(seconds / 60)
    return _("1분 이내") if minutes < 1 else _("약 %(num)s분") % {"num": minutes}


async def phone_contact(session: AsyncSession, settings: Settings) -> PhoneContact:
    now = utcnow()
    contact = contact_info(settings, now, await load_business_hours(session))
    stats = await phone_queue_stats(session, now)
    wait = stats.estimated_wait_seconds if contact.open_now else None
    return PhoneContact(
        contact=contact,
        waiting=stats.waiting,
        wait_text=wait_words(wait) if wait is not None else None,
        next_slots=await next_open_slots(session, settings, NEXT_SLOTS),
    )
