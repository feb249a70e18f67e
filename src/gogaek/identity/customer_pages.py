"""Customer sign-in pages: the host app's token exchange and one-time codes for web visitors.

The host app opens ``/auth/customer?token=<JWT>&next=/inquiries``. The token is spent on first
use (by its ``jti``, or the whole token when it has none), so a token copied out of a URL, a log
or a browser history opens no second session and is refused as a bearer token afterwards.

Web visitors type an e-mail address or mobile number on ``/auth/login``, get a 6-digit code
and type it on ``/auth/verify``. Both ways end in the same session keys that
``gogaek.deps.session_customer`` reads.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from gogaek.deps import CUSTOMER_SESSION_KEY, CUSTOMER_SESSION_STARTED, SessionDep, SettingsDep, session_customer
from gogaek.errors import ProblemError
from gogaek.identity import otp
from gogaek.identity.customer_tokens import verify_customer_token
from gogaek.identity.customers import customer_from_claims, spend_token
from gogaek.identity.models import Customer
from gogaek.notify.providers import NotificationProviders, build_providers
from gogaek.web.csrf import CsrfForm, rotate_csrf
from gogaek.web.flash import flash
from gogaek.web.i18n import N_, in_language
from gogaek.web.i18n import SESSION_KEY as LANGUAGE_SESSION_KEY
from gogaek.web.i18n import gettext as _
from gogaek.web.ratelimit import RateLimited
from gogaek.web.views import redirect, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

LOGIN_PATH = "/auth/login"
VERIFY_PATH = "/auth/verify"
DEFAULT_NEXT = "/inquiries"
PENDING_OTP_KEY = "otp_destination"  # [channel, address] between sending and typing the code
CODE_SENT = N_("코드를 보냈습니다. 받은 6자리 숫자를 입력해 주세요.")


# --- session helpers ------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no "//host", no backslash or whitespace browsers would repair."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return DEFAULT_NEXT
    if any(not 33 <= ord(ch) < 127 or ch == "\\" for ch in target):
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith("/auth/"):
        return DEFAULT_NEXT
    return target


def sign_in_customer(request: Request, customer: Customer) -> None:
    """A fresh session and CSRF token, so a session planted before sign-in is worth nothing."""
    request.session.clear()
    request.session[CUSTOMER_SESSION_KEY] = customer.id
    request.session[CUSTOMER_SESSION_STARTED] = time.time()
    rotate_csrf(request)


def _login_redirect(request: Request) -> HTTPException:
    """A 303 to sign in; after a POST the visitor comes back to their list rather than a form action."""
    target = request.url.path if request.method == "GET" else DEFAULT_NEXT
    if request.method == "GET" and request.url.query:
        target = f"{target}?{request.url.query}"
    location = f"{LOGIN_PATH}?next={quote(safe_next(target), safe='')}"
    return HTTPException(303, detail=N_("로그인이 필요합니다."), headers={"Location": location})


async def page_customer(request: Request, session: SessionDep, settings: SettingsDep) -> Customer:
    """The signed-in customer of a page; anonymous visitors are sent to sign in first."""
    customer = await session_customer(request, session, settings)
    if customer is None:
        raise _login_redirect(request)
    return customer


PageCustomer = Annotated[Customer, Depends(page_customer)]


async def notification_providers(request: Request) -> NotificationProviders:
    """The app's providers when the app set them, else built once and kept on the app."""
    providers: NotificationProviders | None = getattr(request.app.state, "notification_providers", None)
    if providers is None:
        providers = build_providers(request.app.state.settings)
        request.app.state.notification_providers = providers
    return providers


ProvidersDep = Annotated[NotificationProviders, Depends(notification_providers)]


# --- host token exchange --------------------------------------------------------------


@router.get("/auth/customer", response_class=HTMLResponse, dependencies=[RateLimited])
async def exchange_token(
    request: Request, session: SessionDep, settings: SettingsDep, token: str = "", next: str = ""
) -> Response:
    try:
        claims = verify_customer_token(token, settings)
        await spend_token(session, claims, token, settings)
    except ProblemError as problem:
        context = {"message": in_language(problem.message), "code": problem.code}
        return render(request, "customer/signin_failed.html", context, status=problem.status)
    sign_in_customer(request, await customer_from_claims(session, claims))
    if claims.locale is not None:
        request.session[LANGUAGE_SESSION_KEY] = claims.locale  # pages keep the host's language
    return redirect(safe_next(next))


# --- one-time codes -------------------------------------------------------------------


def _login_form(
    request: Request, *, destination: str = "", next_url: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    context = {"destination": destination, "next": safe_next(next_url), "error": error}
    return render(request, "customer/login.html", context, status=status)


@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_page(request: Request, session: SessionDep, settings: SettingsDep, next: str = "") -> Response:
    if await session_customer(request, session, settings) is not None:
        return redirect(safe_next(next))
    return _login_form(request, next_url=next)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(LOGIN_PATH)
async def request_code(
    request: Request, session: SessionDep, settings: SettingsDep, providers: ProvidersDep, form: CsrfForm
) -> Response:
    """The answer is the same for every valid address: nothing tells whether it belongs to a customer."""
    typed = str(form.get("destination") or "")[:300]
    next_url = str(form.get("next") or "")
    try:
        destination = otp.parse_destination(typed)
        await otp.send_code(session, destination, settings=settings, providers=providers, ip=_client_ip(request))
    except ProblemError as problem:
        error = in_language(problem.message)
        page = _login_form(request, destination=typed, next_url=next_url, error=error, status=problem.status)
        page.headers.update(problem.headers)
        return page
    request.session[PENDING_OTP_KEY] = [destination.channel.value, destination.address]
    flash(request, _(CODE_SENT))
    return redirect(f"{VERIFY_PATH}?next={quote(safe_next(next_url), safe='')}")


def _pending_destination(request: Request) -> otp.Destination | None:
    pending = request.session.get(PENDING_OTP_KEY)
    if not isinstance(pending, list) or len(pending) != 2 or pending[0] not in ("email", "phone"):
        return None
    return otp.Destination(otp.Channel(pending[0]), str(pending[1]))


def _verify_form(
    request: Request, destination: otp.Destination, *, next_url: str, error: str = "", status: int = 200
) -> HTMLResponse:
    context = {"destination": destination, "next": safe_next(next_url), "error": error}
    return render(request, "customer/verify.html", context, status=status)


@router.get(VERIFY_PATH, response_class=HTMLResponse)
async def verify_page(request: Request, next: str = "") -> Response:
    destination = _pending_destination(request)
    if destination is None:
        return redirect(f"{LOGIN_PATH}?next={quote(safe_next(next), safe='')}")
    return _verify_form(request, destination, next_url=next)


@router.post(VERIFY_PATH)
async def verify(request: Request, session: SessionDep, settings: SettingsDep, form: CsrfForm) -> Response:
    next_url = str(form.get("next") or "")
    destination = _pending_destination(request)
    if destination is None:
        flash(request, _("인증 코드를 먼저 받아 주세요."), "error")
        return redirect(f"{LOGIN_PATH}?next={quote(safe_next(next_url), safe='')}")
    try:
        code = otp.clean_code(str(form.get("code") or ""))
        customer = await otp.verify_code(session, destination, code, settings=settings)
    except ProblemError as problem:
        error = in_language(problem.message)
        return _verify_form(request, destination, next_url=next_url, error=error, status=problem.status)
    sign_in_customer(request, customer)
    flash(request, _("로그인했습니다."))
    return redirect(safe_next(next_url))


@router.post("/auth/logout")
async def logout(request: Request, _form: CsrfForm) -> Response:
    request.session.clear()
    flash(request, _("로그아웃했습니다."))
    return redirect("/")
