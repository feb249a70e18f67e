"""Staff sign-in and sign-out pages for the admin area and the agent console (cookie session + CSRF).

One sign-in page serves both: agents arrive with ``next=/console…`` (the console sends them
there, and ``/console/login`` is a short alias), admins with ``next=/admin…`` or none.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gogaek.deps import SessionDep, SettingsDep
from gogaek.errors import ProblemError
from gogaek.identity.schemas import StaffLogin
from gogaek.identity.service import authenticate_staff
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
from gogaek.web.views import redirect, render

router = APIRouter(include_in_schema=False)

MISSING_FIELDS = "이메일과 비밀번호를 입력해 주세요. (Enter your email and password)"
NOT_ADMIN = (
    "관리자 또는 슈퍼바이저 계정만 들어올 수 있습니다. 상담사는 상담사 콘솔(/console)을 이용해 주세요. "
    "(Admins and supervisors only; agents use /console)"
)


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
        return _login_form(request, email=email, next_url=next_url, error=MISSING_FIELDS, status=422)
    try:
        user = await authenticate_staff(
            session, credentials, require_admin_totp=settings.admin_totp_required, request=request
        )
    except ProblemError as problem:
        return _login_form(
            request, email=email, next_url=next_url, error=problem.message, status=problem.status
        )
    destination = safe_next(next_url)
    if not may_enter(user, destination):
        return _login_form(request, email=email, next_url=next_url, error=NOT_ADMIN, status=403)
    sign_in(request, user)
    return redirect(destination)


@router.post("/admin/logout")
async def logout(request: Request, form: CsrfForm) -> RedirectResponse:
    """The console's form sends ``next=/console``, so an agent signs back in to the console."""
    back = safe_next(str(form.get("next") or ""))
    sign_out(request)
    flash(request, "로그아웃했습니다. (Signed out)")
    return redirect(f"{LOGIN_PATH}?next={CONSOLE_PATH}" if is_console_path(back) else LOGIN_PATH)
