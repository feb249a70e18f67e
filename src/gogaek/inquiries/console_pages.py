"""Agent console pages (상담사 콘솔): the queue, and one inquiry with its reply, note and triage forms.

Everything works with plain forms; ``console.js`` only inserts a chosen macro without a reload
and keeps the "다른 상담사가 보고 있습니다" notice fresh while the page stays open. Every change
goes through the same service verbs as the JSON API (``/api/v1/agent``), so the rules live in
one place. A refused change (a 409 transition, a closed inquiry, a bad tag) comes back as a
flash message on the detail page, never as an error page; a refused reply is shown again with
the typed text kept. Sign-in is the shared staff page (``/admin/login?next=/console``).

Stable hooks for browser tests:
  /console                 nav#queue-tabs > a[data-view=<view>] (a.chip-active is the current one),
                           form#queue-filter (select#status-filter[name=status], button#status-filter-submit),
                           table#queue > tbody > tr[data-inquiry-id] > a.queue-link, span.badge-priority-<priority>,
                           span.badge-sla-<due_soon|overdue|paused>, .queue-due, a#queue-more,
                           form#availability-form (select#availability-select[name=availability],
                           button#availability-submit), form#logout-form
  /console/inquiries/{id}  #inquiry-number, #inquiry-status, #inquiry-priority, #inquiry-tags, #inquiry-due,
                           #viewers-notice (hidden when nobody else has it open), #emergency-guidance,
                           ol#timeline > li[data-kind] (li.message-internal + span.badge-internal "내부 메모";
                           li.timeline-event for status, assignment, SLA flags), img.attachment-thumb,
                           form#reply-form: textarea#reply-body[name=body], select#macro-select[name=macro],
                           button#macro-apply, input#reply-internal[name=internal], button#reply-submit,
                           p#reply-error; form#status-form: select#status-select[name=status], button#status-submit;
                           form#assign-form: select#assign-select[name=assignee] (me | none | staff id),
                           button#assign-submit; button#assign-me; form#priority-form: select#priority-select,
                           button#priority-submit; form#tags-form: input#tags-input[name=tags], button#tags-submit;
                           form#merge-form: input#merge-into[name=into] (문의번호 or id), button#merge-submit;
                           section#customer-profile, ul#other-inquiries, section#feedback;
                           a#mail-link and a.mail-source lead to the mail page (gogaek.mail.pages)
  Without JavaScript a macro is applied by GET /console/inquiries/{id}?macro=<id> or by the
  "적용" button (POST …/macro), which keeps what was already typed and adds the macro after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.queries import appeal_of_inquiry
from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import StaffUser
from gogaek.identity.service import list_staff, set_availability
from gogaek.inquiries import agent_routes, agent_verbs, presence
from gogaek.inquiries.agent_schemas import AgentInquiryDetail, ViewersPublic
from gogaek.inquiries.console_forms import (
    AVAILABILITY_LABELS,
    CHANGES,
    PRIORITY_LABELS,
    SLA_LABELS,
    VIEW_LABELS,
    Change,
    ChangeVerb,
    Draft,
    event_text,
    field,
    parse_id,
    parse_status,
    parse_view,
    read_availability,
)
from gogaek.inquiries.macros import list_macros, render_macro
from gogaek.inquiries.queue import QueueView, agent_inquiry_detail, agent_queue, get_inquiry
from gogaek.inquiries.schemas import AgentReplyCreate
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.mail.queries import mail_sources
from gogaek.notify.queries import unread_notifications
from gogaek.notify.service import mark_all_read
from gogaek.web.auth import CONSOLE_PATH, PageStaff
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import validate
from gogaek.web.i18n import N_, in_language
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

PAGE_SIZE = 50
REPLY_SENT = N_("답변을 보냈습니다. 고객에게 알림이 갑니다.")
NOTE_SAVED = N_("내부 메모를 남겼습니다. 고객에게는 보이지 않습니다.")
SOURCE_LABELS = {"host": N_("앱 로그인"), "email": N_("이메일 인증"), "phone": N_("휴대폰 인증")}


def detail_url(inquiry_id: int) -> str:
    return f"{CONSOLE_PATH}/inquiries/{inquiry_id}"


def queue_url(view: QueueView, status: Status | None, before_id: int | None = None) -> str:
    params = {"view": view.value, "status": status.value if status else None, "before_id": before_id}
    return f"{CONSOLE_PATH}?{urlencode({key: value for key, value in params.items() if value is not None})}"


def _render(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> HTMLResponse:
    """Every console page shows the same badges, so their words travel with each page."""
    labels = {"priority_labels": PRIORITY_LABELS, "sla_labels": SLA_LABELS, "status_labels": STATUS_LABELS}
    return render(request, template, {**labels, **context}, status=status)


# --- the queue ------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def queue_page(
    request: Request, session: SessionDep, agent: PageStaff, view: str = "", status: str = "", before_id: str = ""
) -> Response:
    chosen, wanted = parse_view(view), parse_status(status)
    try:
        rows = await agent_queue(session, agent, chosen, status=wanted, limit=PAGE_SIZE, before_id=parse_id(before_id))
    except ProblemError as problem:  # the row a "더 보기" link continued from is gone
        flash(request, in_language(problem.message), "error")
        return redirect(queue_url(chosen, wanted))
    context = {
        "agent": agent,
        "rows": rows,
        "view": chosen,
        "current_status": wanted,
        "tabs": [(tab, label, queue_url(tab, wanted)) for tab, label in VIEW_LABELS.items()],
        "more_url": queue_url(chosen, wanted, rows[-1].id) if len(rows) == PAGE_SIZE else None,
        "availability_labels": AVAILABILITY_LABELS,
        "notifications": await unread_notifications(session, "staff", agent.id),
    }
    return _render(request, "console/queue.html", context)


@router.post("/availability")
async def availability(request: Request, session: SessionDep, agent: PageStaff, form: CsrfForm) -> RedirectResponse:
    """Only "상담 가능" agents receive new inquiries from round-robin."""
    try:
        chosen = read_availability(form)
    except ProblemError as problem:
        flash(request, in_language(problem.message), "error")
        return redirect(CONSOLE_PATH)
    await set_availability(session, agent, chosen, request)
    label = _(AVAILABILITY_LABELS[chosen])
    flash(request, _("상담 상태를 '%(label)s'(으)로 바꿨습니다.") % {"label": label})
    return redirect(CONSOLE_PATH)


# --- one inquiry ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacroOption:
    id: int
    title: str
    text: str  # already filled in for this inquiry, so the page can insert it without a request


async def _macro_options(session: AsyncSession, detail: AgentInquiryDetail, agent: StaffUser) -> list[MacroOption]:
    return [
        MacroOption(
            macro.id,
            macro.title,
            render_macro(
                macro.body, customer_name=detail.customer.name, number=detail.number, agent_name=agent.display_name
            ),
        )
        for macro in await list_macros(session, detail.category.id)
    ]


def _session_links(detail: AgentInquiryDetail) -> None:
    """The API's file links need a bearer token; the page's own route sends the same file behind the session."""
    messages = [item.message for item in detail.timeline if item.message is not None]
    for file in [*detail.attachments, *(file for message in messages for file in message.attachments)]:
        file.url = f"{detail_url(detail.id)}/attachments/{file.id}"


async def _detail(
    request: Request,
    session: AsyncSession,
    agent: StaffUser,
    inquiry_id: int,
    draft: Draft | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Opening the page marks the agent as viewing it, as the API's detail read does."""
    await get_inquiry(session, inquiry_id)  # a missing inquiry is a 404 before anything is recorded
    await presence.mark_viewing(session, inquiry_id, agent)
    await mark_all_read(session, "staff", agent.id, link=detail_url(inquiry_id))
    detail = await agent_inquiry_detail(session, agent, inquiry_id)
    _session_links(detail)
    staff = await list_staff(session)
    context = {
        "agent": agent,
        "inquiry": detail,
        "draft": draft or Draft(),
        "macros": await _macro_options(session, detail, agent),
        "assignees": [person for person in staff if person.is_active and person.id != agent.id],
        "names": {person.id: person.display_name for person in staff},
        "event_text": event_text,
        "source_labels": SOURCE_LABELS,
        "appeal": await appeal_of_inquiry(session, inquiry_id),
        "mail_sources": await mail_sources(session, inquiry_id),
    }
    return _render(request, "console/detail.html", context, status=status)


async def _with_macro(session: AsyncSession, agent: StaffUser, inquiry_id: int, raw: str, draft: Draft) -> Draft:
    """The draft with the macro added, or with the reason it could not be (unknown or switched off)."""
    macro_id = parse_id(raw)
    try:
        if macro_id is None:
            raise not_found("매크로")
        preview = await agent_routes.preview_macro(inquiry_id, macro_id, agent, session)
    except ProblemError as problem:
        return replace(draft, error=in_language(problem.message))
    return draft.with_macro(preview.text)


@router.get("/inquiries/{inquiry_id}", response_class=HTMLResponse)
async def inquiry_page(
    inquiry_id: str, request: Request, session: SessionDep, agent: PageStaff, macro: str = ""
) -> HTMLResponse:
    key = id_or_404(inquiry_id, "문의")
    draft = await _with_macro(session, agent, key, macro, Draft()) if macro else None
    return await _detail(request, session, agent, key, draft)


@router.post("/inquiries/{inquiry_id}/macro", response_class=HTMLResponse)
async def apply_macro(
    inquiry_id: str, request: Request, session: SessionDep, agent: PageStaff, form: CsrfForm
) -> HTMLResponse:
    """The "적용" button without JavaScript: the page again, typed text kept, macro added after it."""
    key = id_or_404(inquiry_id, "문의")
    draft = await _with_macro(session, agent, key, field(form, "macro"), Draft.read(form))
    return await _detail(request, session, agent, key, draft)


@router.post("/inquiries/{inquiry_id}/reply")
async def reply(
    inquiry_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    agent: PageStaff,
    form: CsrfForm,
) -> Response:
    key = id_or_404(inquiry_id, "문의")
    inquiry = await get_inquiry(session, key)
    draft = Draft.read(form)
    data, errors = validate(
        AgentReplyCreate, {"body": draft.body.strip(), "internal": draft.internal}, {"body": _("답변 내용")}
    )
    if data is None:
        return await _detail(request, session, agent, key, replace(draft, error=next(iter(errors.values()))), 422)
    try:
        await agent_verbs.reply_as_agent(
            session, agent, inquiry, data.body, internal=data.internal, settings=settings, request=request
        )
    except ProblemError as problem:
        await session.rollback()
        await session.refresh(agent)  # the rollback expired it; the page below reads it again
        error = in_language(problem.message)
        return await _detail(request, session, agent, key, replace(draft, error=error), problem.status)
    flash(request, _(NOTE_SAVED) if data.internal else _(REPLY_SENT))
    return redirect(f"{detail_url(key)}#timeline")


def _change_route(verb: ChangeVerb) -> Callable[..., Awaitable[RedirectResponse]]:
    """One triage form's endpoint: run its verb, go back to the inquiry with what happened or why not."""

    async def endpoint(
        inquiry_id: str,
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        agent: PageStaff,
        form: CsrfForm,
    ) -> RedirectResponse:
        key = id_or_404(inquiry_id, "문의")
        inquiry = await get_inquiry(session, key)
        try:
            message = await verb(Change(session, agent, inquiry, form, settings, request))
        except ProblemError as problem:
            await session.rollback()
            flash(request, in_language(problem.message), "error")
        else:
            flash(request, message)
        return redirect(detail_url(key))

    return endpoint


for _name, _verb in CHANGES.items():
    router.add_api_route(
        f"/inquiries/{{inquiry_id}}/{_name}", _change_route(_verb), methods=["POST"], name=f"console_{_name}"
    )


# --- what the page loads besides itself -----------------------------------------------


@router.get("/inquiries/{inquiry_id}/attachments/{attachment_id}")
async def attachment(
    inquiry_id: str, attachment_id: str, request: Request, session: SessionDep, agent: PageStaff
) -> Response:
    """The API's download, behind the page session instead of a bearer token (for <img> and links)."""
    storage = await agent_routes.get_attachment_storage(request)
    return await agent_routes.download_attachment(
        id_or_404(inquiry_id, "문의"), id_or_404(attachment_id, "첨부 파일"), agent, session, storage
    )


@router.get("/inquiries/{inquiry_id}/attachments/{attachment_id}/preview")
async def attachment_preview(
    inquiry_id: str, attachment_id: str, request: Request, session: SessionDep, agent: PageStaff
) -> Response:
    """The bounded preview that thumbnails show, behind the page session."""
    storage = await agent_routes.get_attachment_storage(request)
    return await agent_routes.preview_attachment(
        id_or_404(inquiry_id, "문의"),
        id_or_404(attachment_id, "첨부 파일"),
        agent,
        session,
        storage,
        request.app.state.settings,
    )


@router.post("/inquiries/{inquiry_id}/viewing", response_model=ViewersPublic)
async def still_viewing(inquiry_id: str, session: SessionDep, agent: PageStaff, _: CsrfForm) -> ViewersPublic:
    """console.js calls this while the page is open, so others keep seeing the notice."""
    return await agent_routes.still_viewing(id_or_404(inquiry_id, "문의"), agent, session)
