"""Staff sign-in and sign-out pages for the admin area (cookie session + CSRF)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gogaek.deps import SessionDep
from gogaek.errors import ProblemError
from gogaek.identity.schemas import StaffLogin
from gogaek.identity.service import authenticate_staff
from gogaek.web.auth import LOGIN_PATH, can_manage_content, safe_next, session_staff, sign_in, sign_out
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import blank_to_none
from gogaek.web.views import redirect, render

router = APIRouter(include_in_schema=False)

MISSING_FIELDS = "이메일과 비밀번호를 입력해 주세요. (Enter your email and password)"
NOT_ADMIN = "관리자 또는 슈퍼바이저 계정만 들어올 수 있습니다. (Admins and supervisors only)"


def _login_form(
    request: Request, *, email: str = "", next_url: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    context = {"email": email, "next": safe_next(next_url), "error": error}
    return render(request, "admin/login.html", context, status=status)


@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_page(request: Request, session: SessionDep, next: str = "") -> Response:
    user = await session_staff(request, session)
    if user is not None and can_manage_content(user):
        return redirect(safe_next(next))
    return _login_form(request, next_url=next)


@router.post(LOGIN_PATH)
async def login(request: Request, session: SessionDep, form: CsrfForm) -> Response:
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
        user = await authenticate_staff(session, credentials)
    except ProblemError as problem:
        return _login_form(
            request, email=email, next_url=next_url, error=problem.message, status=problem.status
        )
    if not can_manage_content(user):
        return _login_form(request, email=email, next_url=next_url, error=NOT_ADMIN, status=403)
    sign_in(request, user)
    return redirect(safe_next(next_url))


@router.post("/admin/logout")
async def logout(request: Request, _: CsrfForm) -> RedirectResponse:
    sign_out(request)
    flash(request, "로그아웃했습니다. (Signed out)")
    return redirect(LOGIN_PATH)
