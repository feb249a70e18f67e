"""What the customer is told about their callback: confirmation, move, cancellation, "we missed you".

Korean first. The text message goes to the number the customer asked to be called on; the
e-mail (when the customer has one) and the in-app notice carry the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.calendar.hours import SEOUL
from gogaek.config import Settings
from gogaek.identity.models import Customer
from gogaek.notify.service import CUSTOMER, Notice, NoticeBuilder
from gogaek.phone.models import Callback


def slot_words(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(SEOUL)
    weekday = "월화수목금토일"[local.weekday()]
    return f"{local.month}월 {local.day}일({weekday}) {local:%H:%M}"


def _booked(callback: Callback, settings: Settings) -> tuple[str, str]:
    when = slot_words(callback.slot_start)
    return (
        f"전화 상담 예약이 완료되었습니다 ({when})",
        f"[고객센터] {when}에 {settings.support_phone} 번호로 전화드리겠습니다. 예약번호 {callback.number}",
    )


def _rescheduled(callback: Callback, settings: Settings) -> tuple[str, str]:
    when = slot_words(callback.slot_start)
    return (
        f"전화 상담 예약 시간이 변경되었습니다 ({when})",
        f"[고객센터] 상담 예약이 {when}(으)로 변경되었습니다. 예약번호 {callback.number}",
    )


def _cancelled(callback: Callback, settings: Settings) -> tuple[str, str]:
    when = slot_words(callback.slot_start)
    return (
        f"전화 상담 예약이 취소되었습니다 ({when})",
        f"[고객센터] {when} 상담 예약이 취소되었습니다. 예약번호 {callback.number}",
    )


def _missed(callback: Callback, settings: Settings) -> tuple[str, str]:
    return (
        "예약하신 시간에 통화가 연결되지 않았습니다",
        f"[고객센터] 예약하신 상담 전화를 드렸으나 연결되지 않았습니다. "
        f"편하실 때 {settings.support_phone}로 전화 주시거나 다시 예약해 주세요. 예약번호 {callback.number}",
    )


_WORDING: dict[str, Callable[[Callback, Settings], tuple[str, str]]] = {
    events.CALLBACK_BOOKED: _booked,
    events.CALLBACK_RESCHEDULED: _rescheduled,
    events.CALLBACK_CANCELLED: _cancelled,
    events.CALLBACK_MISSED: _missed,
}


async def callback_notices(session: AsyncSession, settings: Settings, event: str, data: dict[str, Any]) -> list[Notice]:
    callback_id = data.get("callback_id")
    callback = await session.get(Callback, callback_id) if isinstance(callback_id, int) else None
    if callback is None or callback.customer_id is None:
        return []
    customer = await session.get(Customer, callback.customer_id)
    if customer is None:
        return []
    title, text = _WORDING[event](callback, settings)
    link = f"/inquiries/{callback.inquiry_id}" if callback.inquiry_id is not None else "/callbacks"
    return [
        Notice(
            CUSTOMER,
            customer.id,
            event,
            title=title,
            link=link,
            subject=f"[고객센터] {title}",
            text=f"안녕하세요.\n{text.removeprefix('[고객센터] ')}\n\n{settings.base_url.rstrip('/')}{link}",
            email_to=customer.email,
            sms_to=callback.phone,
            sms_text=text,
        )
    ]


NOTICE_BUILDERS: dict[str, NoticeBuilder] = dict.fromkeys(_WORDING, callback_notices)
