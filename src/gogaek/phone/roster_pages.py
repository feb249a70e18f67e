"""Admin page for the callback roster (전화 예약 인원): agents on duty per weekday and time, and
date overrides — the page form of ``/api/v1/admin/callback-roster`` (docs/phone.md, "Roster").

Both forms live on one page; each change is one ``roster`` call with its audit entry. Lowering a
capacity never cancels bookings already made (the service's rule); the page says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SessionDep
from gogaek.phone import roster
from gogaek.phone.models import CallbackCapacityOverride, CallbackRosterEntry
from gogaek.phone.schemas import CapacityOverrideCreate, RosterEntryCreate
from gogaek.web.admin_forms import act, weekday_names, weekday_short
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FORM_ERROR, FormValues, validate
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/callback-roster", include_in_schema=False)

PAGE_PATH = "/admin/callback-roster"
ENTRY_LABELS = {"weekday": N_("요일"), "starts": N_("시작 시각"), "ends": N_("끝 시각"), "capacity": N_("근무 인원")}
OVERRIDE_LABELS = {**ENTRY_LABELS, "day": N_("날짜"), "note": N_("메모")}
# The override form's inputs have names of their own (ids must be unique on the page).
OVERRIDE_FIELDS = {"day": "day", "starts": "day_starts", "ends": "day_ends", "capacity": "day_capacity", "note": "note"}
MESSAGES = {
    "starts": N_("시작 시각은 09:00처럼 입력해 주세요."),
    "ends": N_("끝 시각은 18:00처럼 입력해 주세요."),
    "day": N_("날짜는 2026-12-24처럼 입력해 주세요."),
    "weekday": N_("요일을 목록에서 다시 골라 주세요."),
    "capacity": N_("근무 인원은 0~1000 사이의 정수로 입력해 주세요."),
}
ORDER_MESSAGE = N_("끝 시각은 시작 시각보다 늦어야 합니다.")


@dataclass(frozen=True, slots=True)
class EntryForm(FormValues):
    weekday: str = ""
    starts: str = ""
    ends: str = ""
    capacity: str = ""

    def payload(self) -> dict[str, object]:
        return {
            "weekday": self.weekday.strip() or None,
            "starts": self.starts.strip() or None,
            "ends": self.ends.strip() or None,
            "capacity": self.capacity.strip(),
        }


@dataclass(frozen=True, slots=True)
class OverrideForm(FormValues):
    day: str = ""
    day_starts: str = ""
    day_ends: str = ""
    day_capacity: str = ""
    note: str = ""

    def payload(self) -> dict[str, object]:
        return {
            "day": self.day.strip(),
            "starts": self.day_starts.strip() or None,
            "ends": self.day_ends.strip() or None,
            "capacity": self.day_capacity.strip(),
            "note": self.note.strip(),
        }


def korean_roster_errors(errors: Mapping[str, str], field_names: Mapping[str, str] | None = None) -> dict[str, str]:
    """One plain sentence per field (with an example), keyed by the form's input names.

    The schemas' only whole-form check is the order of the two times, so it goes to the end time."""
    names = field_names or {}
    explained: dict[str, str] = {}
    for name, message in errors.items():
        if name == FORM_ERROR:
            explained[names.get("ends", "ends")] = _(ORDER_MESSAGE)
        elif name == "note":
            explained[names.get(name, name)] = message
        else:
            explained[names.get(name, name)] = _(MESSAGES[name]) if name in MESSAGES else message
    return explained


def time_range(starts: time | None, ends: time | None) -> str:
    if starts is None and ends is None:
        return _("하루 종일")
    opening = starts.strftime("%H:%M") if starts else _("시작")
    closing = ends.strftime("%H:%M") if ends else _("마감")
    return f"{opening} ~ {closing}"


async def _page(
    request: Request,
    session: AsyncSession,
    *,
    entry: EntryForm | None = None,
    override: OverrideForm | None = None,
    entry_errors: Mapping[str, str] | None = None,
    override_errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = await roster.roster_view(session, request.app.state.settings)
    context = {
        "view": view,
        "weekdays": weekday_names(),
        "weekday_short": weekday_short,
        "weekday_options": [
            ("", _("기본 (모든 요일)")),
            *((str(index), name) for index, name in enumerate(weekday_names())),
        ],
        "time_range": time_range,
        "entry": entry or EntryForm(),
        "override": override or OverrideForm(),
        "entry_errors": dict(entry_errors or {}),
        "override_errors": dict(override_errors or {}),
    }
    return render(request, "admin/callback_roster.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def roster_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return await _page(request, session)


@router.post("/entries")
async def add_entry(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    values = EntryForm.read(form)
    data, errors = validate(RosterEntryCreate, values.payload(), ENTRY_LABELS)
    if data is None:
        return await _page(request, session, entry=values, entry_errors=korean_roster_errors(errors), status=422)
    await roster.add_roster_row(session, user, CallbackRosterEntry, data, request)
    flash(request, _("근무 인원을 추가했습니다. 새 예약부터 적용됩니다."))
    return redirect(PAGE_PATH)


@router.post("/overrides")
async def add_override(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    values = OverrideForm.read(form)
    data, errors = validate(CapacityOverrideCreate, values.payload(), OVERRIDE_LABELS)
    if data is None:
        explained = korean_roster_errors(errors, OVERRIDE_FIELDS)
        return await _page(request, session, override=values, override_errors=explained, status=422)
    await roster.add_roster_row(session, user, CallbackCapacityOverride, data, request)
    flash(request, _("날짜별 인원을 추가했습니다. 새 예약부터 적용됩니다."))
    return redirect(PAGE_PATH)


@router.post("/entries/{entry_id}/delete")
async def remove_entry(
    entry_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    row_id = id_or_404(entry_id, "근무 인원 설정")

    async def remove() -> None:
        await roster.remove_roster_row(session, user, CallbackRosterEntry, row_id, request)

    return await act(request, session, remove, _("근무 인원 설정을 삭제했습니다."), PAGE_PATH)


@router.post("/overrides/{override_id}/delete")
async def remove_override(
    override_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    row_id = id_or_404(override_id, "근무 인원 설정")

    async def remove() -> None:
        await roster.remove_roster_row(session, user, CallbackCapacityOverride, row_id, request)

    return await act(request, session, remove, _("날짜별 인원 설정을 삭제했습니다."), PAGE_PATH)
