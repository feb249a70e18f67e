"""본인 확인 pages: a web visitor proves the phone they will be called on with a texted code.

``/verify/phone?next=/callbacks/new?...`` asks for the number, texts a code, asks for the code,
then returns to ``next``. The appeal form and the booking form send visitors here.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.identity.customer_pages import PageCustomer, ProvidersDep, safe_next
from gogaek.phone.numbers import mask_phone
from gogaek.phone.verification import confirm_phone_code, send_phone_code
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.i18n import gettext as _
from gogaek.web.i18n import in_language
from gogaek.web.ratelimit import RateLimited
from gogaek.web.views import redirect, render

router = APIRouter(include_in_schema=False)

VERIFY_PATH = "/verify/phone"
PENDING_PHONE_KEY = "identity_check_phone"


def verify_url(next_url: str) -> str:
    return f"{VERIFY_PATH}?next={quote(safe_next(next_url), safe='')}"


def _page(
    request: Request, *, next_url: str, phone: str = "", pending: str | None = None, error: str = "", status: int = 200
) -> HTMLResponse:
    context = {
        "next": safe_next(next_url),
        "phone": phone,
        "pending": mask_phone(pending) if pending else None,
        "error": error,
    }
    return render(request, "phone/verify.html", context, status=status)


@router.get(VERIFY_PATH, response_class=HTMLResponse)
async def verify_page(request: Request, customer: PageCustomer, next: str = "", phone: str = "") -> HTMLResponse:
    pending = request.session.get(PENDING_PHONE_KEY)
    return _page(
        request,
        next_url=next,
        phone=(phone or customer.phone or "")[:40],
        pending=pending if isinstance(pending, str) else None,
    )


@router.post(VERIFY_PATH, dependencies=[RateLimited])
async def send_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    providers: ProvidersDep,
    customer: PageCustomer,
    form: CsrfForm,
) -> Response:
    typed = str(form.get("phone") or "")[:40]
    next_url = str(form.get("next") or "")
    ip = request.client.host if request.client else None
    try:
        phone = await send_phone_code(session, customer, typed, settings=settings, providers=providers, ip=ip)
    except ProblemError as problem:
        return _page(request, next_url=next_url, phone=typed, error=in_language(problem.message), status=problem.status)
    request.session[PENDING_PHONE_KEY] = phone
    flash(request, _("%(phone)s(으)로 인증 코드를 보냈습니다.") % {"phone": mask_phone(phone)})
    return redirect(verify_url(next_url))


@router.post(f"{VERIFY_PATH}/confirm", dependencies=[RateLimited])
async def confirm_page(
    request: Request, session: SessionDep, settings: SettingsDep, customer: PageCustomer, form: CsrfForm
) -> Response:
    next_url = str(form.get("next") or "")
    pending = request.session.get(PENDING_PHONE_KEY)
    if not isinstance(pending, str):
        flash(request, _("인증 코드를 먼저 받아 주세요."), "error")
        return redirect(verify_url(next_url))
    try:
        await confirm_phone_code(session, customer, pending, str(form.get("code") or "")[:20], settings=settings)
    except ProblemError as problem:
        error = in_language(problem.message)
        return _page(request, next_url=next_url, pending=pending, error=error, status=problem.status)
    request.session.pop(PENDING_PHONE_KEY, None)
    flash(request, _("본인 확인이 끝났습니다."))
    return redirect(safe_next(next_url))
