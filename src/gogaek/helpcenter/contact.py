"""Contact channels shown when self-service is not enough (and when search finds nothing)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.web.admin_forms import weekly_label
from gogaek.web.i18n import for_reader
from gogaek.web.i18n import gettext as _

CHAT_URL = "/chat"


class ContactChannel(BaseModel):
    kind: str
    label: str
    value: str
    href: str | None = None
    note: str | None = None


class ContactInfo(BaseModel):
    open_now: bool
    status_text: str
    # Chat can be open when the phones are not (GOGAEK_CHAT_HOURS=always, as in the demo).
    chat_open: bool = False
    hours: str
    channels: list[ContactChannel]


def _standard_week(hours: BusinessHours) -> bool:
    """Weekly hours as built in, which ``GOGAEK_SUPPORT_HOURS`` describes in words; hours edited
    on /admin/hours are said as they are ("월화수목금토 10:00–16:00")."""
    standard = BusinessHours()
    return (hours.opens, hours.closes, hours.weekdays) == (standard.opens, standard.closes, standard.weekdays)


def support_hours_text(settings: Settings, hours: BusinessHours) -> str:
    """The hours as customers are told them: ``GOGAEK_SUPPORT_HOURS`` while the week is the
    built-in one, else the weekly hours edited on /admin/hours."""
    return _(settings.support_hours) if _standard_week(hours) else weekly_label(hours)


def contact_info(settings: Settings, now: datetime | None = None, hours: BusinessHours | None = None) -> ContactInfo:
    """``hours`` with the company's days off when the caller could read them (the contact page);
    the header of every page knows only public holidays."""
    moment = now or utcnow()
    hours = hours or BusinessHours()
    open_now = hours.is_open(moment)
    holiday = hours.holiday_name(moment.astimezone(SEOUL).date())
    chat_always = settings.chat_hours == "always"
    if open_now:
        status_text = _("지금 상담 가능합니다")
    elif chat_always:
        # People do answer chats now: saying "closed" would send them away from a live chat.
        closed = (
            _("오늘은 %(holiday)s 휴무라 전화 상담은 쉬어요") % {"holiday": holiday}
            if holiday
            else _("지금은 전화 상담 시간이 아니에요")
        )
        status_text = _("%(closed)s · 채팅 상담은 지금도 가능합니다") % {"closed": closed}
    elif holiday:
        status_text = _("오늘은 %(holiday)s 휴무입니다") % {"holiday": holiday}
    else:
        status_text = _("지금은 상담 시간이 아닙니다")
    phone_digits = settings.support_phone.replace("-", "")
    hours_text = support_hours_text(settings, hours)
    return ContactInfo(
        open_now=open_now,
        status_text=for_reader(status_text),  # the bracketed English is for English pages only
        chat_open=open_now or chat_always,
        hours=hours_text,
        channels=[
            ContactChannel(
                kind="phone",
                label=_("전화 상담"),
                value=settings.support_phone,
                href=f"tel:{phone_digits}",
                note=for_reader(_("보이스피싱·분실 사고신고는 24시간 (24h accident reporting)")),
            ),
            ContactChannel(
                kind="chat",
                label=_("실시간 채팅 상담"),
                value=_("채팅 시작"),
                href=CHAT_URL,
                note=_("24시간 (챗봇이 먼저 답하고 상담사가 이어받아요)") if chat_always else hours_text,
            ),
            ContactChannel(
                kind="email",
                label=_("이메일 문의"),
                value=settings.support_email,
                href=f"mailto:{settings.support_email}",
            ),
            ContactChannel(
                kind="inquiry",
                label=_("온라인 문의"),
                value=_("1~2영업일 내 답변"),
                note=_("답변은 문의 내역에서 확인할 수 있어요"),
            ),
        ],
    )
