"""Staff sign-in and sign-out pages for the admin area and the agent console (cookie session + CSRF).

One sign-in page serves both: agents arrive with ``next=/console…`` (the console sends them
there, and ``/console/login`` is a short alias), admins with ``next=/admin…`` or none.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffUser
from gogaek.identity.schemas import StaffLogin
from gogaek.identity.security import pending_totp_secret, totp_uri
from gogaek.identity.service import (
    TOTP_ENROLMENT_CODE,
    authenticate_staff,
    confirm_totp_enrolment,
    get_active_staff,
    get_staff_by_email,
    remember_language,
)
from gogaek.web.auth import (
    CONSOLE_PATH,
    LOGIN_PATH,
    is_console_path,
    may_enter,
    safe_next,
    session_staff,
    sign_in,
    sign_out,
)
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import blank_to_none
from gogaek.web.i18n import current_language, in_language
from gogaek.web.i18n import gettext as _
from gogaek.web.views import redirect, render

router = APIRouter(include_in_schema=False)

ENROL_PATH = f"{LOGIN_PATH}/totp"
ENROL_KEY = "totp_enrol"  # [staff id, when the password was checked, next, wrong codes]: nothing secret
ENROL_SECONDS = 600
ENROL_MAX_WRONG = 5


def _enrol_expired() -> str:
    return _("OTP 등록 시간이 지났습니다. 다시 로그인해 주세요.")


def _missing_fields() -> str:
    return _("이메일과 비밀번호를 입력해 주세요.")


def _not_admin() -> str:
    return _("관리자 또는 슈퍼바이저 계정만 들어올 수 있습니다. 상담사는 상담사 콘솔(/console)을 이용해 주세요.")


def _login_form(
    request: Request, *, email: str = "", next_url: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    context = {"email": email, "next": safe_next(next_url), "error": error}
    return render(request, "admin/login.html", context, status=status)


@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_page(request: Request, session: SessionDep, next: str = "") -> Response:
    user = await session_staff(request, session)
    if user is not None and may_enter(user, safe_next(next)):
        return redirect(safe_next(next))
    return _login_form(request, next_url=next)


@router.get(f"{CONSOLE_PATH}/login")
async def console_login_page() -> Response:
    """The address agents remember; the sign-in itself is the shared page."""
    return redirect(f"{LOGIN_PATH}?next={CONSOLE_PATH}")


@router.post(LOGIN_PATH)
async def login(request: Request, session: SessionDep, settings: SettingsDep, form: CsrfForm) -> Response:
    """Errors keep the typed email (never the password) and say what went wrong in Korean."""
    email = str(form.get("email") or "").strip()
    next_url = str(form.get("next") or "")
    try:
        credentials = StaffLogin(
            email=email,
            password=str(form.get("password") or ""),
            totp=blank_to_none(str(form.get("totp") or "")),
        )
    except ValidationError:
        return _login_form(request, email=email, next_url=next_url, error=_missing_fields(), status=422)
    try:
        user = await authenticate_staff(
            session, credentials, require_admin_totp=settings.admin_totp_required, request=request
        )
    except ProblemError as problem:
        if problem.code == TOTP_ENROLMENT_CODE:
            return await _start_enrolment(request, session, email, next_url)
        error = in_language(problem.message)
        return _login_form(request, email=email, next_url=next_url, error=error, status=problem.status)
    destination = safe_next(next_url)
    if not may_enter(user, destination):
        return _login_form(request, email=email, next_url=next_url, error=_not_admin(), status=403)
    sign_in(request, user)
    await remember_language(session, user.id, current_language())
    return redirect(destination)


@router.post("/admin/logout")
async def logout(request: Request, form: CsrfForm) -> RedirectResponse:
    """The console's form sends ``next=/console``, so an agent signs back in to the console."""
    back = safe_next(str(form.get("next") or ""))
    sign_out(request)
    flash(request, _("로그아웃했습니다."))
    return redirect(f"{LOGIN_PATH}?next={CONSOLE_PATH}" if is_console_path(back) else LOGIN_PATH)


# --- TOTP enrolment after an admin's reset (the password was checked just before) --------------


async def _start_enrolment(request: Request, session: SessionDep, email: str, next_url: str) -> Response:
    user = await get_staff_by_email(session, email)
    if user is None:  # deleted in between: as if the password had been wrong
        return _login_form(request, email=email, next_url=next_url, error=_enrol_expired(), status=401)
    sign_out(request)
    request.session[ENROL_KEY] = [user.id, time.time(), safe_next(next_url), 0]
    return redirect(ENROL_PATH)


async def _enrolling(request: Request, session: SessionDep) -> tuple[StaffUser, str, list[object]] | None:
    """The account in the middle of enrolment, its new secret and the session's record, if still valid."""
    state = request.session.get(ENROL_KEY)
    if not isinstance(state, list) or len(state) != 4:
        return None
    staff_id, started, _, wrong = state
    fresh = isinstance(started, int | float) and time.time() - started < ENROL_SECONDS
    if not isinstance(staff_id, int) or not fresh or not isinstance(wrong, int) or wrong >= ENROL_MAX_WRONG:
        return None
    user = await get_active_staff(session, staff_id)
    secret = pending_totp_secret(user.totp_secret) if user is not None else None
    if user is None or secret is None:
        return None
    return user, secret, state


def _enrol_form(request: Request, email: str, secret: str, error: str = "", status: int = 200) -> HTMLResponse:
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    context = {"email": email, "secret": grouped, "uri": totp_uri(secret, email), "error": error}
    return render(request, "admin/totp_enrol.html", context, status=status)


def _enrolment_over(request: Request) -> RedirectResponse:
    request.session.pop(ENROL_KEY, None)
    flash(request, _enrol_expired(), "error")
    return redirect(LOGIN_PATH)


@router.get(ENROL_PATH, response_class=HTMLResponse)
async def totp_enrol_page(request: Request, session: SessionDep) -> Response:
    """The new secret, shown only to the session whose password was just checked."""
    found = await _enrolling(request, session)
    if found is None:
        return _enrolment_over(request)
    user, secret, _ = found
    return _enrol_form(request, user.email, secret)


@router.post(ENROL_PATH)
async def totp_enrol(request: Request, session: SessionDep, form: CsrfForm) -> Response:
    """The first code of the new secret confirms it and signs in; five wrong codes end the attempt."""
    found = await _enrolling(request, session)
    if found is None:
        return _enrolment_over(request)
    user, secret, state = found
    email = user.email
    try:
        await confirm_totp_enrolment(session, user, str(form.get("totp") or ""), request)
    except ProblemError as problem:
        await session.rollback()
        request.session[ENROL_KEY] = [*state[:3], int(str(state[3])) + 1]
        return _enrol_form(request, email, secret, error=in_language(problem.message), status=problem.status)
    destination = str(state[2])
    if not may_enter(user, destination):
        destination = CONSOLE_PATH
    sign_in(request, user)
    await remember_language(session, user.id, current_language())
    flash(request, _("새 OTP를 등록했습니다."))
    return redirect(destination)
