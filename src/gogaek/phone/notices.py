"""What the customer is told about their callback: confirmation, move, cancellation, "we missed you".

In the language the customer booked in (the language of the booking's inquiry, Korean when
unknown). The text message goes to the number the customer asked to be called on; the e-mail
(when the customer has one) and the in-app notice carry the same words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.calendar.hours import SEOUL
from gogaek.config import Settings
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry
from gogaek.notify.service import CUSTOMER, Notice, NoticeBuilder
from gogaek.notify.texts import with_sender
from gogaek.phone.models import Callback
from gogaek.web.dates import english_day
from gogaek.web.i18n import DEFAULT_LANGUAGE, N_, text_in

Wording = tuple[str, str]  # the title, and the text message's words


def slot_words(moment: datetime | None, language: str = DEFAULT_LANGUAGE) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(SEOUL)
    if language != DEFAULT_LANGUAGE:
        return f"{english_day(local.date())} {local:%H:%M}"
    weekday = "월화수목금토일"[local.weekday()]
    return f"{local.month}월 {local.day}일({weekday}) {local:%H:%M}"


async def booking_language(session: AsyncSession, callback: Callback) -> str:
    """The language of the page the customer booked on, kept on the booking's inquiry."""
    inquiry = await session.get(Inquiry, callback.inquiry_id) if callback.inquiry_id is not None else None
    return (inquiry.locale if inquiry is not None else None) or DEFAULT_LANGUAGE


# Per event: the notice's title and the text message's words. Each may use %(when)s (the slot),
# %(phone)s (the support number) and %(number)s (the booking's 예약번호).
_WORDING: dict[str, Wording] = {
    events.CALLBACK_BOOKED: (
        N_("전화 상담 예약이 완료되었습니다 (%(when)s)"),
        N_("%(when)s에 %(phone)s 번호로 전화드리겠습니다. 예약번호 %(number)s"),
    ),
    events.CALLBACK_RESCHEDULED: (
        N_("전화 상담 예약 시간이 변경되었습니다 (%(when)s)"),
        N_("상담 예약이 %(when)s(으)로 변경되었습니다. 예약번호 %(number)s"),
    ),
    events.CALLBACK_CANCELLED: (
        N_("전화 상담 예약이 취소되었습니다 (%(when)s)"),
        N_("%(when)s 상담 예약이 취소되었습니다. 예약번호 %(number)s"),
    ),
    events.CALLBACK_MISSED: (
        N_("예약하신 시간에 통화가 연결되지 않았습니다"),
        N_(
            "예약하신 상담 전화를 드렸으나 연결되지 않았습니다. "
            "편하실 때 %(phone)s로 전화 주시거나 다시 예약해 주세요. 예약번호 %(number)s"
        ),
    ),
}


def wording(event: str, callback: Callback, settings: Settings, language: str) -> Wording:
    title, words = _WORDING[event]
    params = {
        "when": slot_words(callback.slot_start, language),
        "phone": settings.support_phone,
        "number": callback.number or "",
    }
    return text_in(language, title, **params), text_in(language, words, **params)


async def callback_notices(session: AsyncSession, settings: Settings, event: str, data: dict[str, Any]) -> list[Notice]:
    callback_id = data.get("callback_id")
    callback = await session.get(Callback, callback_id) if isinstance(callback_id, int) else None
    if callback is None or callback.customer_id is None:
        return []
    customer = await session.get(Customer, callback.customer_id)
    if customer is None:
        return []
    language = await booking_language(session, callback)
    title, words = wording(event, callback, settings, language)
    link = f"/inquiries/{callback.inquiry_id}" if callback.inquiry_id is not None else "/callbacks"
    url = f"{settings.base_url.rstrip('/')}{link}"
    return [
        Notice(
            CUSTOMER,
            customer.id,
            event,
            title=title,
            link=link,
            subject=with_sender(title, language),
            text=text_in(language, N_("안녕하세요.\n%(text)s\n\n%(url)s"), text=words, url=url),
            email_to=customer.email,
            sms_to=callback.phone,
            sms_text=with_sender(words, language),
        )
    ]


NOTICE_BUILDERS: dict[str, NoticeBuilder] = dict.fromkeys(_WORDING, callback_notices)
