"""Customer pages for online inquiries (1:1 문의): the form, 문의 내역 and one inquiry's thread.

Everything works with plain form posts; ``inquiry-form.js`` only checks files before upload
and stops double submits. Pages call the service verbs directly, the same ones the JSON API
uses, so the rules (ownership, workflow, attachment checks) are enforced in one place.

Stable hooks for browser tests:
  /inquiries/new   form#inquiry-form: select#f-category[name=category], input#f-title[name=title],
                   textarea#f-body[name=body], input#f-transaction_ref[name=transaction_ref],
                   input#f-attachments[name=attachments][multiple], button#submit-inquiry;
                   field errors p#<name>-error, summary div.form-error
  /inquiries       #inquiry-list with li[data-inquiry-id] > a.inquiry-link, .badge-status-<status>,
                   .inquiry-due, #new-inquiry-link, form#logout-form
  /inquiries/{id}  #inquiry-number, #inquiry-status, #emergency-guidance, #inquiry-body, #inquiry-due,
                   ul#thread > li.message[data-author], img.attachment-thumb, #action-error,
                   form#message-form (textarea#f-message-body[name=body], input#f-message-attachments,
                   button#message-button), form#resolve-form > button#resolve-button,
                   form#reopen-form > button#reopen-button, form#feedback-form (input#f-score-1…5[name=score],
                   textarea#f-comment[name=comment], button#feedback-button), #feedback-result
  sign-in          input#f-destination on /auth/login, input#f-code on /auth/verify
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from gogaek.appeals.queries import appeal_labels, appeal_of_inquiry
from gogaek.calendar.hours import SEOUL
from gogaek.chat.queries import chat_history
from gogaek.chat.schemas import CHAT_STATUS_LABELS
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.helpcenter.queries import list_categories
from gogaek.identity.customer_pages import PageCustomer
from gogaek.identity.models import Customer
from gogaek.inquiries.attachments import CheckedUpload, check_upload_count, read_upload
from gogaek.inquiries.customer_verbs import (
    add_customer_message,
    record_feedback,
    reopen_by_customer,
    resolve_by_customer,
)
from gogaek.inquiries.queries import customer_inquiry_view, list_customer_inquiries
from gogaek.inquiries.schemas import FeedbackCreate, InquiryCreate, InquirySummary, MessageCreate
from gogaek.inquiries.service import submit_inquiry
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.inquiries.workflow import OPEN_STATUSES, Status
from gogaek.korean.pii import PII_NOTICE
from gogaek.notify.queries import unread_notifications
from gogaek.notify.service import mark_all_read
from gogaek.phone.queries import callbacks_of_inquiry
from gogaek.web.csrf import FIELD_NAME as CSRF_FIELD
from gogaek.web.csrf import SESSION_KEY as CSRF_SESSION_KEY
from gogaek.web.csrf import CsrfForm, csrf_refused, tokens_match
from gogaek.web.dates import english_day
from gogaek.web.flash import flash
from gogaek.web.forms import FORM_ERROR, FormValues, validate
from gogaek.web.i18n import N_, current_language, in_language
from gogaek.web.i18n import gettext as _
from gogaek.web.ratelimit import RateLimited
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
ATTACHMENTS = "attachments"
ANSWER_PROMISE = N_("영업일 기준 1~2일 이내 답변")
WEEKDAYS = "월화수목금토일"
INQUIRY_LABELS = {
    "category": N_("문의 유형"),
    "title": N_("제목"),
    "body": N_("문의 내용"),
    "transaction_ref": N_("결제번호"),
}
FEEDBACK_LABELS = {"score": N_("만족도"), "comment": N_("의견")}
MESSAGE_LABELS = {"body": N_("추가할 내용")}
FIELD_FOR_CODE = {"unknown_category": "category", "too_many_attachments": ATTACHMENTS}
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_SHOWN_FILENAME = 60


# --- small view helpers ---------------------------------------------------------------


def due_text(moment: datetime | None) -> str:
    """Seoul wall-clock promise as people say it: "11월 27일(금) 18:00까지" ("by Fri 27 Nov, 18:00")."""
    if moment is None:
        return ""
    local = moment.astimezone(SEOUL)
    if current_language() != "ko":
        return f"by {english_day(local.date())}, {local:%H:%M}"
    return f"{local.month}월 {local.day}일({WEEKDAYS[local.weekday()]}) {local:%H:%M}까지"


@dataclass(frozen=True, slots=True)
class DueLine:
    label: str
    text: str


def promised(item: InquirySummary) -> DueLine | None:
    """What we promised next, the same deadline the console shows (``sla.next_due``): the first
    answer until it was given, then the resolution, each named (docs/inquiries.md, "Deadlines").

    Answered inquiries wait on the customer (their clock is stopped), so no time is shown.
    """
    if item.status not in (Status.RECEIVED, Status.IN_PROGRESS):
        return None
    if item.first_responded_at is None and item.first_response_due_at is not None:
        return DueLine(_("첫 답변 예정"), due_text(item.first_response_due_at))
    if item.resolution_due_at is not None:
        return DueLine(_("해결 예정"), due_text(item.resolution_due_at))
    return None


@dataclass(frozen=True, slots=True)
class Limits:
    """The attachment rules shown next to every file input, from the same settings the checks use."""

    max_count: int
    max_mb: str
    max_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        max_mb = f"{settings.attachment_max_bytes / (1024 * 1024):g}"
        return cls(settings.attachment_max_count, max_mb, settings.attachment_max_bytes)


def _storage(request: Request) -> AttachmentStorage:
    storage: AttachmentStorage = request.app.state.attachment_storage
    return storage


async def upload_form(request: Request) -> AsyncIterator[FormData]:
    """Like ``CsrfForm``, but the spooled upload files are closed afterwards, also when the token is wrong."""
    form = await request.form()
    try:
        if not tokens_match(form.get(CSRF_FIELD), request.session.get(CSRF_SESSION_KEY)):
            raise csrf_refused()
        yield form
    finally:
        await form.close()


UploadForm = Annotated[FormData, Depends(upload_form)]


def _shown_name(filename: str) -> str:
    """A filename safe to echo in an error: no control or direction-override characters, bounded."""
    visible = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")
    return visible[:MAX_SHOWN_FILENAME] or _("첨부파일")


async def read_uploads(form: FormData, settings: Settings) -> tuple[list[CheckedUpload], str]:
    """Every chosen file checked by content; the first refusal names the file and nothing is kept."""
    files = [item for item in form.getlist(ATTACHMENTS) if isinstance(item, UploadFile) and item.filename]
    try:
        check_upload_count(len(files), settings)
    except ProblemError as problem:
        return [], in_language(problem.message)
    checked: list[CheckedUpload] = []
    for upload in files:
        try:
            checked.append(await read_upload(upload, settings))
        except ProblemError as problem:
            return [], f"{_shown_name(upload.filename or '')}: {in_language(problem.message)}"
    return checked, ""


# --- the new-inquiry form -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InquiryForm(FormValues):
    category: str = ""
    title: str = ""
    body: str = ""
    transaction_ref: str = ""

    def payload(self) -> dict[str, object]:
        """Trimmed, so an all-spaces title reads as "missing" rather than as some other mistake."""
        return {name: value.strip() for name, value in asdict(self).items()}


def _inquiry_errors(values: InquiryForm) -> tuple[InquiryCreate | None, dict[str, str]]:
    data, errors = validate(InquiryCreate, values.payload(), INQUIRY_LABELS)
    if "category" in errors and not values.category.strip():
        errors["category"] = _("문의 유형을 골라 주세요.")
    return data, errors


async def _new_form(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    values: InquiryForm,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    categories = await list_categories(session)
    context = {
        "values": values,
        "errors": dict(errors or {}),
        "category_options": [("", _("문의 유형을 골라 주세요"))] + [(c.slug, c.name) for c in categories],
        "limits": Limits.of(settings),
        "promise": _(ANSWER_PROMISE),
        "pii_notice": _(PII_NOTICE),
        # A fresh key per rendering: a double click re-sends the same one and files a single inquiry.
        "idempotency_key": secrets.token_urlsafe(24),
    }
    return render(request, "inquiries/new.html", context, status=status)


@router.get("/inquiries/new", response_class=HTMLResponse)
async def new_inquiry_page(
    request: Request, session: SessionDep, settings: SettingsDep, _: PageCustomer, category: str = ""
) -> HTMLResponse:
    return await _new_form(request, session, settings, InquiryForm(category=category[:80]))


def form_idempotency_key(form: FormData) -> str | None:
    raw = form.get("idempotency_key")
    return raw if isinstance(raw, str) and _IDEMPOTENCY_KEY.fullmatch(raw) else None


@router.post("/inquiries", dependencies=[RateLimited])
async def submit_inquiry_page(
    request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer, form: UploadForm
) -> Response:
    """Typed values survive every error; files are re-chosen (browsers cannot pre-fill a file input)."""
    values = InquiryForm.read(form)
    data, errors = _inquiry_errors(values)
    uploads, upload_error = await read_uploads(form, settings)
    if upload_error:
        errors[ATTACHMENTS] = upload_error
    if data is None or errors:
        return await _new_form(request, session, settings, values, errors, status=422)
    try:
        submission = await submit_inquiry(
            session,
            customer,
            data,
            settings=settings,
            storage=_storage(request),
            uploads=uploads,
            idempotency_key=form_idempotency_key(form),
        )
    except ProblemError as problem:
        field = FIELD_FOR_CODE.get(problem.code, FORM_ERROR)
        message = in_language(problem.message)
        return await _new_form(request, session, settings, values, {field: message}, status=problem.status)
    inquiry = submission.inquiry
    due = due_text(inquiry.first_response_due_at) or _(ANSWER_PROMISE)
    if submission.created:
        received = _("문의가 접수되었습니다. 문의번호 %(number)s · %(due)s 답변드릴게요.")
        flash(request, received % {"number": inquiry.number, "due": due})
    else:
        flash(request, _("이미 접수된 문의입니다. 문의번호 %(number)s") % {"number": inquiry.number})
    return redirect(f"/inquiries/{inquiry.id}")


# --- 문의 내역 -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListRow:
    item: InquirySummary
    due: DueLine | None


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


@router.get("/inquiries", response_class=HTMLResponse)
async def inquiry_list_page(
    request: Request, session: SessionDep, customer: PageCustomer, page: str = "1"
) -> HTMLResponse:
    number = _page_number(page)
    listing = await list_customer_inquiries(session, customer, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    context = {
        "rows": [ListRow(item, promised(item)) for item in listing.items],
        "total": listing.total,
        "page": number,
        "has_next": number * PAGE_SIZE < listing.total,
        "customer": customer,
        "notifications": await unread_notifications(session, "customer", customer.id),
        # Chats sit next to inquiries in 문의 내역, newest first, on the first page.
        "chats": await chat_history(session, customer.id) if number == 1 else [],
        "chat_status_labels": CHAT_STATUS_LABELS,
        "appeal_labels": await appeal_labels(session, [item.id for item in listing.items]),
    }
    return render(request, "inquiries/list.html", context)


# --- one inquiry ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DetailForms:
    """What a failed post on the detail page needs to show again: typed text and messages."""

    message_body: str = ""
    message_errors: Mapping[str, str] | None = None
    score: str = ""
    comment: str = ""
    feedback_errors: Mapping[str, str] | None = None
    action_error: str = ""


async def _detail(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    inquiry_id: int,
    forms: DetailForms | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = await customer_inquiry_view(session, customer, inquiry_id, settings)
    await mark_all_read(session, "customer", customer.id, link=f"/inquiries/{inquiry_id}")
    forms = forms or DetailForms()
    context: dict[str, Any] = {
        "inquiry": view,
        "due": promised(view),
        "is_open": view.status in OPEN_STATUSES,
        "can_reopen": view.reopen_until is not None and utcnow() <= view.reopen_until,
        "reopen_until": due_text(view.reopen_until),
        "pii_notice": _(view.pii_notice),
        "forms": forms,
        "message_errors": dict(forms.message_errors or {}),
        "feedback_errors": dict(forms.feedback_errors or {}),
        "limits": Limits.of(settings),
        "appeal": await appeal_of_inquiry(session, inquiry_id),
        "callbacks": await callbacks_of_inquiry(session, inquiry_id) if view.channel == "phone" else [],
    }
    return render(request, "inquiries/detail.html", context, status=status)


async def _detail_after_error(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    inquiry_id: int,
    problem: ProblemError,
    forms: DetailForms,
) -> HTMLResponse:
    """A refused action shows the page again with the reason; someone else's inquiry stays a 404.

    A service that rolled back expired the customer row, so it is read again first.
    """
    if problem.status == 404:
        raise problem
    await session.refresh(customer)
    return await _detail(request, session, settings, customer, inquiry_id, forms, status=problem.status)


@router.get("/inquiries/{inquiry_id}", response_class=HTMLResponse)
async def inquiry_page(
    inquiry_id: str, request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer
) -> HTMLResponse:
    return await _detail(request, session, settings, customer, id_or_404(inquiry_id, "문의"))


@router.post("/inquiries/{inquiry_id}/messages", dependencies=[RateLimited])
async def add_message_page(
    inquiry_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    customer: PageCustomer,
    form: UploadForm,
) -> Response:
    number = id_or_404(inquiry_id, "문의")
    typed = str(form.get("body") or "")
    data, errors = validate(MessageCreate, {"body": typed.strip()}, MESSAGE_LABELS)
    uploads, upload_error = await read_uploads(form, settings)
    if upload_error:
        errors[ATTACHMENTS] = upload_error
    if data is None or errors:
        forms = DetailForms(message_body=typed, message_errors=errors)
        return await _detail(request, session, settings, customer, number, forms, status=422)
    try:
        await add_customer_message(
            session, customer, number, data.body, settings=settings, storage=_storage(request), uploads=uploads
        )
    except ProblemError as problem:
        # Not about a field (e.g. the inquiry was resolved meanwhile): shown above the forms, which may be gone.
        field = FIELD_FOR_CODE.get(problem.code)
        message = in_language(problem.message)
        forms = (
            DetailForms(message_body=typed, message_errors={field: message})
            if field
            else DetailForms(message_body=typed, action_error=message)
        )
        return await _detail_after_error(request, session, settings, customer, number, problem, forms)
    flash(request, _("내용을 추가했습니다. 상담사가 확인하고 답변드릴게요."))
    return redirect(f"/inquiries/{number}#thread")


@dataclass(frozen=True, slots=True)
class _ButtonAction:
    """A one-button form on the detail page: the verb, what to say when it worked, and where to land."""

    verb: Callable[[AsyncSession, Customer, int, Settings], Awaitable[object]]
    done: str
    anchor: str


_RESOLVE = _ButtonAction(resolve_by_customer, N_("해결 처리했습니다. 답변이 어떠셨는지 알려 주세요."), "feedback")
_REOPEN = _ButtonAction(
    reopen_by_customer, N_("문의를 다시 열었습니다. 추가로 궁금한 점을 남겨 주세요."), "message-form"
)


async def _button_action(
    action: _ButtonAction,
    inquiry_id: str,
    request: Request,
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
) -> Response:
    """A refusal (e.g. the reopen window has passed) shows the page again with the reason."""
    number = id_or_404(inquiry_id, "문의")
    try:
        await action.verb(session, customer, number, settings)
    except ProblemError as problem:
        forms = DetailForms(action_error=in_language(problem.message))
        return await _detail_after_error(request, session, settings, customer, number, problem, forms)
    flash(request, _(action.done))
    return redirect(f"/inquiries/{number}#{action.anchor}")


@router.post("/inquiries/{inquiry_id}/resolve", dependencies=[RateLimited])
async def resolve_page(
    inquiry_id: str, request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer, _: CsrfForm
) -> Response:
    return await _button_action(_RESOLVE, inquiry_id, request, session, settings, customer)


@router.post("/inquiries/{inquiry_id}/reopen", dependencies=[RateLimited])
async def reopen_page(
    inquiry_id: str, request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer, _: CsrfForm
) -> Response:
    return await _button_action(_REOPEN, inquiry_id, request, session, settings, customer)


@router.post("/inquiries/{inquiry_id}/feedback", dependencies=[RateLimited])
async def feedback_page(
    inquiry_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    customer: PageCustomer,
    form: CsrfForm,
) -> Response:
    number = id_or_404(inquiry_id, "문의")
    score, comment = str(form.get("score") or ""), str(form.get("comment") or "")
    data, errors = validate(FeedbackCreate, {"score": score, "comment": comment}, FEEDBACK_LABELS)
    if not score:
        errors["score"] = _("만족도를 골라 주세요.")
    if data is None or errors:
        forms = DetailForms(score=score, comment=comment, feedback_errors=errors)
        return await _detail(request, session, settings, customer, number, forms, status=422)
    try:
        await record_feedback(session, customer, number, data)
    except ProblemError as problem:
        forms = DetailForms(score=score, comment=comment, action_error=in_language(problem.message))
        return await _detail_after_error(request, session, settings, customer, number, problem, forms)
    flash(request, _("평가해 주셔서 감사합니다."))
    return redirect(f"/inquiries/{number}#feedback")
