"""Cookie-session sign-in for the admin pages (the JSON API uses bearer tokens instead)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request

from gogaek.deps import SessionDep
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.service import get_active_staff
from gogaek.web.csrf import rotate_csrf

SESSION_KEY = "staff_id"
LOGIN_PATH = "/admin/login"
HOME_PATH = "/admin"
ADMIN_ROLES = frozenset({StaffRole.ADMIN.value, StaffRole.SUPERVISOR.value})


def can_manage_content(user: StaffUser) -> bool:
    return user.role in ADMIN_ROLES


def sign_in(request: Request, user: StaffUser) -> None:
    """A new session (and CSRF token) on sign-in, so a planted cookie is worth nothing."""
    request.session.clear()
    request.session[SESSION_KEY] = user.id
    rotate_csrf(request)


def sign_out(request: Request) -> None:
    request.session.clear()


def safe_next(target: str | None) -> str:
    """Only our own admin pages are valid destinations after sign-in (no open redirect)."""
    if not target:
        return HOME_PATH
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME_PATH) or "\\" in target:
        return HOME_PATH
    if parts.path.startswith(LOGIN_PATH):
        return HOME_PATH
    return target


def _login_redirect(request: Request) -> HTTPException:
    """A 303 to the sign-in page; the error handlers turn it into a plain redirect."""
    target = request.url.path if request.method == "GET" else HOME_PATH
    location = f"{LOGIN_PATH}?next={quote(target)}"
    return HTTPException(303, detail="로그인이 필요합니다. (Sign-in required)", headers={"Location": location})


async def session_staff(request: Request, session: SessionDep) -> StaffUser | None:
    staff_id = request.session.get(SESSION_KEY)
    if not isinstance(staff_id, int):
        return None
    return await get_active_staff(session, staff_id)


async def page_admin(request: Request, session: SessionDep) -> StaffUser:
    """Admin or supervisor signed in through the login page; anyone else is sent to sign in."""
    user = await session_staff(request, session)
    if user is None:
        sign_out(request)
        raise _login_redirect(request)
    if not can_manage_content(user):
        raise ProblemError(403, "forbidden", "관리자 권한이 필요합니다. (Admin role required)")
    return user


PageAdmin = Annotated[StaffUser, Depends(page_admin)]
