"""The configuration pages' form step: validate, make one service call, explain a refusal in Korean.

Every admin form uses it (the help-center ones through ``create_or_update``). Each page names
the form field a refusal's ``code`` is about (``email_taken`` → the email field), so the
message sits next to it; else the refusal's own ``errors[].loc`` decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.hours import BusinessHours
from gogaek.errors import ProblemError
from gogaek.web.flash import flash
from gogaek.web.forms import FORM_ERROR, validate
from gogaek.web.i18n import DEFAULT_LANGUAGE, current_language, in_language
from gogaek.web.i18n import gettext as _
from gogaek.web.ids import MAX_ID
from gogaek.web.views import redirect

M = TypeVar("M", bound=BaseModel)
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[S]):
    """The saved result, or Korean messages per field with the status to answer."""

    saved: S | None = None
    errors: dict[str, str] = field(default_factory=dict)
    status: int = 200


async def submit(
    session: AsyncSession,
    schema: type[M],
    payload: Mapping[str, object],
    labels: Mapping[str, str],
    save: Callable[[M], Awaitable[S]],
    field_for_code: Mapping[str, str] | None = None,
    pattern_rules: Mapping[str, str] | None = None,
) -> Outcome[S]:
    """Invalid input is a 422 and nothing is called; a refusal is rolled back, with its own status."""
    data, errors = validate(schema, payload, labels, pattern_rules)
    if data is None:
        return Outcome(errors=errors, status=422)
    try:
        return Outcome(saved=await save(data))
    except ProblemError as problem:
        await session.rollback()
        return Outcome(errors=problem_errors(problem, labels, field_for_code), status=problem.status)


def problem_errors(
    problem: ProblemError, labels: Mapping[str, str], field_for_code: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A service refusal shown next to the field it is about, else atop the form: the field named
    for its code, else the one its own ``errors[].loc`` names, if the form has it (``labels``)."""
    name = (field_for_code or {}).get(problem.code)
    if name is None:
        named = (str(e["loc"][-1]) for e in problem.errors if e.get("loc"))
        name = next((n for n in named if n in labels), FORM_ERROR)
    return {name: in_language(problem.message)}  # the service's Korean, or its English gloss


async def act(
    request: Request, session: AsyncSession, action: Callable[[], Awaitable[object]], done: str, back: str
) -> RedirectResponse:
    """A button (deactivate, delete…): the service's refusal becomes an error flash, never an error page.

    A missing record (404) stays a 404 page."""
    try:
        await action()
    except ProblemError as problem:
        if problem.status == 404:
            raise
        await session.rollback()
        flash(request, in_language(problem.message), "error")
    else:
        flash(request, done)
    return redirect(back)


def checked_ids(values: Sequence[object]) -> list[int]:
    """Ticked checkboxes or a chosen option; anything that is not a plausible id is ignored."""
    texts = [value for value in values if isinstance(value, str)]
    return [int(v) for v in texts if v.isascii() and v.isdigit() and len(v) <= 10 and 0 < int(v) <= MAX_ID]


def weekday_names() -> tuple[str, ...]:
    """월요일 … 일요일 in the page's language (Monday … Sunday), Monday first as ``date.weekday()``."""
    return (_("월요일"), _("화요일"), _("수요일"), _("목요일"), _("금요일"), _("토요일"), _("일요일"))


def weekday_short(index: int) -> str:
    """월 … 일 on a Korean page, Mon … Sun on an English one."""
    name = weekday_names()[index]
    return name[:1] if current_language() == DEFAULT_LANGUAGE else name[:3]


def weekly_label(hours: BusinessHours) -> str:
    """The weekly business hours: "월화수목금 09:00–18:00", or "Mon, Tue, Wed, Thu, Fri 09:00–18:00"."""
    separator = "" if current_language() == DEFAULT_LANGUAGE else ", "
    days = separator.join(weekday_short(index) for index in sorted(hours.weekdays))
    return f"{days} {hours.opens:%H:%M}–{hours.closes:%H:%M}"
