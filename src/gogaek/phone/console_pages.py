"""The phone agents' console pages (전화 예약): the callback board and one callback, with plain forms.

Every form runs the same service verb as the JSON API (``/api/v1/agent/callbacks``) behind the
console session and its CSRF token; a refused change comes back as a flash message on the
callback's page, never as an error page.

Stable hooks for browser tests:
  /console/callbacks        form#callback-filter (input#callback-day[name=day], select#callback-status[name=status]),
                            section.callback-group[data-group=<group>] > table > tr.callback-row[data-callback-id]
                            > a.callback-link, span.badge-overdue, #callbacks-empty
  /console/callbacks/{id}   #callback-number, #callback-status, #callback-phone, #identity-status (first section),
                            #masked-notice, button#claim-button, button#release-button,
                            form#identity-form (input.check-question[name=checked], input#check-passed /
                            input#check-failed[name=result], textarea#check-note, button#check-submit),
                            form#outcome-form (input#outcome-<completed|no_answer|rescheduled>[name=outcome],
                            textarea#outcome-note, input#outcome-public[name=visible_to_customer],
                            input#outcome-resolve[name=resolve], select#outcome-slot[name=slot_start],
                            button#outcome-submit), #customer-card (#customer-name, #customer-email),
                            #history-inquiries, #history-chats, #history-callbacks
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffUser
from gogaek.inquiries.console_forms import field as form_field
from gogaek.phone import agent_service
from gogaek.phone import routes as customer_routes
from gogaek.phone.agent_queries import VERIFIED_BY_LABELS, callback_board, callback_detail
from gogaek.phone.agent_schemas import CallbackDetail, CallbackSummary, IdentityCheckCreate, OutcomeCreate
from gogaek.phone.agent_service import RELEASERS
from gogaek.phone.checklist import DEFAULT_QUESTIONS
from gogaek.phone.timeline import CALLBACK_STATUS_LABELS, slot_label
from gogaek.web.auth import CONSOLE_PATH, PageStaff
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.i18n import gettext as _
from gogaek.web.i18n import in_language
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix=f"{CONSOLE_PATH}/callbacks", include_in_schema=False)

BOARD_URL = f"{CONSOLE_PATH}/callbacks"
RESCHEDULE_DAYS = 7


def _outcome_done(outcome: str) -> str:
    """The flash after an outcome, in the agent's language."""
    done = {
        "completed": _("통화 완료로 기록했습니다."),
        "no_answer": _("부재중으로 기록했습니다."),
        "rescheduled": _("새 시간으로 다시 예약했습니다."),
    }
    return done.get(outcome, "")


def detail_url(callback_id: int) -> str:
    return f"{BOARD_URL}/{callback_id}"


@dataclass
class Section:
    group: str
    title: str
    items: list[CallbackSummary] = field(default_factory=list)


def board_sections(items: list[CallbackSummary]) -> list[Section]:
    """Consecutive items of one group (and, for bookings, one slot) under one heading."""
    sections: list[Section] = []
    for item in items:
        title = (
            _("%(slot)s 예약") % {"slot": slot_label(item.slot_start)} if item.group == "slot" else _(item.group_label)
        )
        if not sections or sections[-1].title != title:
            sections.append(Section(item.group, title))
        sections[-1].items.append(item)
    return sections


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse)
async def board_page(
    request: Request, session: SessionDep, agent: PageStaff, day: str = "", status: str = ""
) -> HTMLResponse:
    chosen = _parse_day(day)
    wanted = status if status in CALLBACK_STATUS_LABELS else ""
    items = await callback_board(session, day=chosen, status=wanted or None)
    context = {
        "agent": agent,
        "sections": board_sections(items),
        "day": chosen,
        "current_status": wanted,
        "status_labels": CALLBACK_STATUS_LABELS,
        "slot_label": slot_label,
    }
    return render(request, "console/callbacks.html", context)


async def _reschedule_options(session: SessionDep, settings: SettingsDep) -> list[tuple[str, str]]:
    """Slots with a place left, as (value, label) for the 재예약 select."""
    offered = await customer_routes.list_slots(session, settings, None, RESCHEDULE_DAYS)
    return [
        (
            slot.start.isoformat(),
            _("%(slot)s · %(left)s자리") % {"slot": slot_label(slot.start), "left": slot.remaining},
        )
        for slot in offered.slots
        if slot.remaining > 0
    ]


def _context(agent: StaffUser, detail: CallbackDetail) -> dict[str, Any]:
    mine = detail.status == "in_progress" and detail.claimed_by is not None and detail.claimed_by.id == agent.id
    return {
        "agent": agent,
        "callback": detail,
        "mine": mine,
        "can_release": detail.status == "in_progress" and (mine or agent.role in RELEASERS),
        "verified_labels": VERIFIED_BY_LABELS,
        "slot_label": slot_label,
        # the built-in questions in the agent's language; the ones admins wrote are shown as written
        "question_labels": {question: _(question) for question in DEFAULT_QUESTIONS},
    }


@router.get("/{callback_id}", response_class=HTMLResponse)
async def callback_page(
    callback_id: str, request: Request, session: SessionDep, settings: SettingsDep, agent: PageStaff
) -> HTMLResponse:
    detail = await callback_detail(session, id_or_404(callback_id, "상담 예약"))
    context = _context(agent, detail)
    context["slots"] = await _reschedule_options(session, settings) if context["mine"] else []
    return render(request, "console/callback_detail.html", context)


async def _run(request: Request, key: int, verb: Awaitable[object], done: str) -> RedirectResponse:
    """Runs one verb; either way the agent lands back on the callback with what happened."""
    try:
        await verb
    except ProblemError as problem:
        flash(request, in_language(problem.message), "error")
    else:
        flash(request, done)
    return redirect(detail_url(key))


@router.post("/{callback_id}/claim")
async def claim(
    callback_id: str, request: Request, session: SessionDep, agent: PageStaff, _csrf: CsrfForm
) -> RedirectResponse:
    key = id_or_404(callback_id, "상담 예약")
    verb = agent_service.claim_callback(session, agent, key, request)
    return await _run(request, key, verb, _("이 예약을 맡았습니다. 본인 확인부터 해 주세요."))


@router.post("/{callback_id}/release")
async def release(
    callback_id: str, request: Request, session: SessionDep, agent: PageStaff, _csrf: CsrfForm
) -> RedirectResponse:
    key = id_or_404(callback_id, "상담 예약")
    verb = agent_service.release_callback(session, agent, key, request)
    return await _run(request, key, verb, _("예약을 놓았습니다. 다른 상담사가 맡을 수 있습니다."))


def _invalid(message: str) -> ProblemError:
    return ProblemError(422, "invalid_form", message)


def _identity_form(form: FormData) -> IdentityCheckCreate:
    result = form_field(form, "result")
    if result not in ("passed", "failed"):
        raise _invalid(_("본인 확인 결과(통과/실패)를 골라 주세요."))
    checked = [value for value in form.getlist("checked") if isinstance(value, str)]
    try:
        return IdentityCheckCreate(passed=result == "passed", checked=checked, note=form_field(form, "note"))
    except ValidationError as exc:
        raise _invalid(_("확인 내용을 다시 살펴 주세요. 메모는 5000자까지입니다.")) from exc


@router.post("/{callback_id}/identity-check")
async def identity_check(
    callback_id: str, request: Request, session: SessionDep, agent: PageStaff, form: CsrfForm
) -> RedirectResponse:
    key = id_or_404(callback_id, "상담 예약")

    async def verb() -> None:
        passed = (await agent_service.record_identity_check(session, agent, key, _identity_form(form), request)).passed
        if not passed:
            flash(request, _("본인 확인 실패로 기록했습니다. 고객 정보는 계속 가려집니다."), "error")

    return await _run(request, key, verb(), _("본인 확인 결과를 기록했습니다."))


def _outcome_form(form: FormData) -> OutcomeCreate:
    """The checkboxes for 통화 완료 are ignored for the other outcomes (they sit in the same form)."""
    outcome = form_field(form, "outcome")
    completed = outcome == "completed"
    if outcome == "rescheduled" and not form_field(form, "slot_start"):
        raise _invalid(_("재예약할 새 시간을 골라 주세요."))
    try:
        return OutcomeCreate.model_validate(
            {
                "outcome": outcome,
                "note": form_field(form, "note"),
                "visible_to_customer": completed and bool(form.get("visible_to_customer")),
                "resolve": completed and bool(form.get("resolve")),
                "slot_start": form_field(form, "slot_start") if outcome == "rescheduled" else None,
            }
        )
    except ValidationError as exc:
        raise _invalid(_("통화 결과를 고르고 메모는 5000자까지 적어 주세요.")) from exc


@router.post("/{callback_id}/outcome")
async def outcome(
    callback_id: str, request: Request, session: SessionDep, settings: SettingsDep, agent: PageStaff, form: CsrfForm
) -> RedirectResponse:
    key = id_or_404(callback_id, "상담 예약")
    chosen = form_field(form, "outcome")

    async def verb() -> None:
        await agent_service.record_outcome(session, agent, key, _outcome_form(form), settings, request)

    return await _run(request, key, verb(), _outcome_done(chosen))
