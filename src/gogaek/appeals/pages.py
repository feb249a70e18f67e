"""The appeal pages: the customer's guided form at /appeal, and the agent's decision form in the console.

Both are plain form posts that call the same service verbs as the API. The form needs a
signed-in customer with a recent identity check; without one the page sends them through the
phone code check (``/verify/phone?next=%2Fappeal``) and back.

Stable hooks for browser tests:
  /appeal                  #verify-first > a#verify-link (no recent identity check), #verified-until,
                           form#appeal-form: textarea#f-description[name=description],
                           input#f-restricted_on[name=restricted_on], input#f-restriction_ref[name=restriction_ref],
                           input#f-attachments[name=attachments], button#submit-appeal; errors p#<name>-error
  console inquiry          section#appeal-panel: #appeal-outcome, form#appeal-decision-form
                           (input[name=outcome] #outcome-lifted|kept|more_evidence, textarea#appeal-reason[name=reason],
                           button#appeal-decide)
  문의 내역                 .appeal-status[data-outcome] on the list row and #appeal-status on the detail page
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals import service
from gogaek.appeals.queries import open_appeal
from gogaek.appeals.schemas import APPEAL_LABELS, OUTCOME_LABELS, AppealCreate, AppealDecision, seoul_today
from gogaek.calendar.hours import SEOUL
from gogaek.config import Settings
from gogaek.deps import SessionDep, SettingsDep, StorageDep
from gogaek.errors import ProblemError
from gogaek.identity.customer_pages import PageCustomer
from gogaek.identity.models import Customer
from gogaek.inquiries.pages import ATTACHMENTS, Limits, UploadForm, form_idempotency_key, read_uploads
from gogaek.korean.jamo import direction_particle
from gogaek.korean.pii import PII_NOTICE
from gogaek.phone.verification import recent_verification, verification_required
from gogaek.phone.verify_pages import verify_url
from gogaek.web.auth import CONSOLE_PATH, PageStaff
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FORM_ERROR, FormValues, korean_message, validate
from gogaek.web.i18n import gettext as _
from gogaek.web.i18n import in_language
from gogaek.web.ratelimit import RateLimited
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(include_in_schema=False)

APPEAL_PATH = "/appeal"
FIELD_FOR_CODE = {"evidence_required": ATTACHMENTS, "too_many_attachments": ATTACHMENTS}
DECISION_LABELS = {"outcome": "결과", "reason": "사유"}


@dataclass(frozen=True, slots=True)
class AppealForm(FormValues):
    description: str = ""
    restricted_on: str = ""
    restriction_ref: str = ""

    def payload(self) -> dict[str, str]:
        return {name: value.strip() for name, value in asdict(self).items()}


async def _form_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    values: AppealForm,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    verification = await recent_verification(session, customer, settings)
    valid_until = verification.valid_until(settings).astimezone(SEOUL) if verification else None
    context = {
        "values": values,
        "errors": dict(errors or {}),
        "verified_until": f"{valid_until:%H:%M}" if valid_until else "",
        "verify_url": verify_url(APPEAL_PATH),
        "in_review": await open_appeal(session, customer),
        "today": seoul_today().isoformat(),
        "limits": Limits.of(settings),
        "pii_notice": _(PII_NOTICE),
        # A fresh key per rendering: a double click re-sends the same one and files a single appeal.
        "idempotency_key": secrets.token_urlsafe(24),
    }
    return render(request, "appeals/new.html", context, status=status)


@router.get(APPEAL_PATH, response_class=HTMLResponse)
async def appeal_page(
    request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer
) -> HTMLResponse:
    return await _form_page(request, session, settings, customer, AppealForm())


@router.post(APPEAL_PATH, dependencies=[RateLimited])
async def submit_appeal_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    customer: PageCustomer,
    form: UploadForm,
) -> Response:
    """Typed text survives every error; files are chosen again (browsers cannot pre-fill them).

    An identity check that expired while the customer was writing is asked for again before any
    file is checked; the link opens in a new tab so this one keeps what was typed.
    """
    values = AppealForm.read(form)
    data, errors = validate(AppealCreate, values.payload(), APPEAL_LABELS)
    if data is None:
        return await _form_page(request, session, settings, customer, values, errors, status=422)
    verification = await recent_verification(session, customer, settings)
    if verification is None:
        errors = {FORM_ERROR: in_language(verification_required().message)}
        return await _form_page(request, session, settings, customer, values, errors, status=403)
    uploads, upload_error = await read_uploads(form, settings)
    if upload_error:
        return await _form_page(request, session, settings, customer, values, {ATTACHMENTS: upload_error}, 422)
    try:
        filing = await service.file_appeal(
            session,
            customer,
            data,
            verification=verification,
            settings=settings,
            storage=storage,
            uploads=uploads,
            idempotency_key=form_idempotency_key(form),
        )
    except ProblemError as problem:
        await session.refresh(customer)  # the service rolled back, which expired it
        field = FIELD_FOR_CODE.get(problem.code, FORM_ERROR)
        message = in_language(problem.message)
        return await _form_page(request, session, settings, customer, values, {field: message}, problem.status)
    number = filing.inquiry.number
    if filing.created:
        received = _("이용 제한 해명이 접수되었습니다. 문의번호 %(number)s · 결과는 문의 내역에서 알려 드려요.")
        flash(request, received % {"number": number})
    else:
        flash(request, _("이미 접수된 해명입니다. 문의번호 %(number)s") % {"number": number})
    return redirect(f"/inquiries/{filing.inquiry.id}")


# --- the agent's decision in the console ----------------------------------------------


def read_decision(fields: Mapping[str, str]) -> AppealDecision:
    """The radio buttons and the reason; a refusal says in Korean what is missing."""
    try:
        return AppealDecision.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        message = korean_message(error, DECISION_LABELS.get(name, "입력값"))  # "reason_required" says its own
        raise ProblemError(422, "validation_error", message) from exc


@router.post(f"{CONSOLE_PATH}/inquiries/{{inquiry_id}}/appeal")
async def decide_page(
    inquiry_id: str, request: Request, session: SessionDep, settings: SettingsDep, agent: PageStaff, form: CsrfForm
) -> Response:
    """Back to the inquiry with what was decided, or why not (a missing reason, a resolved inquiry)."""
    key = id_or_404(inquiry_id, "문의")
    fields = {name: value for name in DECISION_LABELS if isinstance(value := form.get(name), str)}
    try:
        decision = read_decision(fields)
        await service.decide_appeal(session, agent, key, decision, settings, request)
    except ProblemError as problem:
        if problem.status == 404:
            raise
        flash(request, in_language(problem.message), "error")
    else:
        label = _(OUTCOME_LABELS[decision.outcome])
        decided = _("이용 제한 해명 결과를 '%(label)s'%(ro)s 기록하고 고객에게 알렸습니다.")
        flash(request, decided % {"label": label, "ro": direction_particle(label)})
    return redirect(f"{CONSOLE_PATH}/inquiries/{key}#appeal-panel")
