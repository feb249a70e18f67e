"""Admin HTML page for business hours and company days off (운영 시간·휴무일), with the Korean public
holidays of the coming months beside them.

Admins and supervisors, as in the days-off API. Company days off stop SLA clocks and close
callback slots like public holidays do; the weekly hours (opening and closing time, which
weekdays) decide the business time of SLA clocks and the chat's business hours. A change applies
at once in this process and within ``REFERENCE_TTL_SECONDS`` in the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gogaek.calendar import service
from gogaek.calendar.hours import SEOUL, BusinessHours, korean_holidays
from gogaek.calendar.models import CompanyDayOff
from gogaek.deps import SessionDep
from gogaek.errors import not_found
from gogaek.reference_cache import REFERENCE_TTL_SECONDS
from gogaek.web.admin_forms import act, submit, weekday_names, weekday_short, weekly_label
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FormValues
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.views import redirect, render

router = APIRouter(prefix="/admin/hours", include_in_schema=False)

PAGE_PATH = "/admin/hours"
HOLIDAY_DAYS_AHEAD = 183
LABELS = {"day": N_("날짜"), "name": N_("이름")}
FIELD_FOR_CODE = {"day_off_exists": "day"}


class DayOffForm(BaseModel):
    day: date
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""


CLOSES_FIRST = N_("닫는 시각은 여는 시각보다 늦어야 합니다.")


@dataclass(frozen=True, slots=True)
class WeeklyValues:
    opens: str = ""
    closes: str = ""
    weekdays: tuple[str, ...] = ()

    @classmethod
    def of(cls, hours: BusinessHours) -> WeeklyValues:
        days = tuple(str(day) for day in sorted(hours.weekdays))
        return cls(hours.opens.strftime("%H:%M"), hours.closes.strftime("%H:%M"), days)

    @classmethod
    def read(cls, form: FormData) -> WeeklyValues:
        days = tuple(value for value in form.getlist("weekdays") if isinstance(value, str))
        return cls(str(form.get("opens") or "").strip(), str(form.get("closes") or "").strip(), days)

    def hours(self) -> tuple[BusinessHours | None, dict[str, str]]:
        """The weekly hours, or Korean messages per field."""
        errors: dict[str, str] = {}
        times: dict[str, time] = {}
        messages = {
            "opens": (_("여는 시각을 확인해 주세요. (예: 09:00)"), _("여는 시각을 입력해 주세요.")),
            "closes": (_("닫는 시각을 확인해 주세요. (예: 09:00)"), _("닫는 시각을 입력해 주세요.")),
        }
        for name, (wrong, blank) in messages.items():
            text = getattr(self, name)
            try:
                times[name] = time.fromisoformat(text)
            except ValueError:
                errors[name] = wrong if text else blank
        days = {int(day) for day in self.weekdays if day in {"0", "1", "2", "3", "4", "5", "6"}}
        if not days:
            errors["weekdays"] = _("영업 요일을 하나 이상 골라 주세요.")
        if not errors and times["closes"] <= times["opens"]:
            errors["closes"] = _(CLOSES_FIRST)
        if errors:
            return None, errors
        return BusinessHours(opens=times["opens"], closes=times["closes"], weekdays=frozenset(days)), {}


@dataclass(frozen=True, slots=True)
class DayOffValues(FormValues):
    day: str = ""
    name: str = ""

    def payload(self) -> dict[str, object]:
        return {"day": self.day.strip(), "name": self.name}


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    name: str
    weekday: str
    company_day_off: bool


def upcoming_holidays(today: date, days_off: set[date]) -> list[Holiday]:
    """Public holidays (lunar ones and substitute days included) from today for about six months."""
    until = today + timedelta(days=HOLIDAY_DAYS_AHEAD)
    found = {**korean_holidays(today.year), **korean_holidays(until.year)}
    return [
        Holiday(day, name, weekday_short(day.weekday()), day in days_off)
        for day, name in sorted(found.items())
        if today <= day <= until
    ]


_DEFAULT = BusinessHours()
_DEFAULT_WEEKLY = (_DEFAULT.opens, _DEFAULT.closes, _DEFAULT.weekdays)


async def _page(
    request: Request,
    session: AsyncSession,
    values: DayOffValues | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    weekly_values: WeeklyValues | None = None,
    weekly_errors: Mapping[str, str] | None = None,
) -> HTMLResponse:
    today = datetime.now(SEOUL).date()
    days_off = await service.list_days_off(session)
    hours = await service.load_business_hours(session)
    context = {
        "weekly": weekly_label(hours),
        "weekly_values": weekly_values or WeeklyValues.of(hours),
        "weekly_errors": dict(weekly_errors or {}),
        "weekday_options": list(enumerate(weekday_names())),
        "is_default": (hours.opens, hours.closes, hours.weekdays) == _DEFAULT_WEEKLY,
        "days_off": [(entry, weekday_short(entry.day.weekday()), entry.day < today) for entry in days_off],
        "holidays": upcoming_holidays(today, {entry.day for entry in days_off}),
        "values": values or DayOffValues(),
        "errors": dict(errors or {}),
        "ttl": int(REFERENCE_TTL_SECONDS),
    }
    return render(request, "admin/hours.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def hours_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return await _page(request, session)


@router.post("/days-off")
async def add_day_off(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    values = DayOffValues.read(form)

    async def save(data: DayOffForm) -> CompanyDayOff:
        return await service.add_day_off(session, data.day, data.name, user, request)

    outcome = await submit(session, DayOffForm, values.payload(), LABELS, save, FIELD_FOR_CODE)
    if outcome.saved is None:
        errors = dict(outcome.errors)
        if outcome.status == 422 and "day" in errors:  # the generic message speaks of a time too
            errors["day"] = (
                _("날짜를 확인해 주세요. (예: 2026-12-25)") if values.day.strip() else _("날짜를 입력해 주세요.")
            )
        return await _page(request, session, values, errors, outcome.status)
    flash(request, _("휴무일을 추가했습니다. 지금부터 접수되는 문의의 기한과 상담 예약에 적용됩니다."))
    return redirect(PAGE_PATH)


@router.post("/days-off/{day}/delete")
async def remove_day_off(
    day: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise not_found("휴무일") from None

    async def remove() -> None:
        await service.remove_day_off(session, parsed, user, request)

    return await act(request, session, remove, _("휴무일을 지웠습니다."), PAGE_PATH)


@router.post("/weekly")
async def set_weekly_hours(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    """Opening and closing time and the weekdays; applies to inquiries filed from now on."""
    values = WeeklyValues.read(form)
    hours, errors = values.hours()
    if hours is None:
        return await _page(request, session, status=422, weekly_values=values, weekly_errors=errors)

    async def save() -> None:
        await service.set_weekly_hours(session, user, hours, request)

    done = _("영업시간을 저장했습니다. 지금부터 접수되는 문의의 기한에 적용됩니다.")
    return await act(request, session, save, done, PAGE_PATH)


@router.post("/weekly/reset")
async def reset_weekly_hours(
    request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    """Back to the defaults (weekdays 09:00–18:00)."""

    async def reset() -> None:
        await service.set_weekly_hours(session, user, None, request)

    return await act(request, session, reset, _("기본 영업시간(평일 09:00–18:00)으로 되돌렸습니다."), PAGE_PATH)
