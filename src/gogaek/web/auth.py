"""Cookie-session sign-in for the admin pages and the agent console (the JSON API uses bearer tokens).

Both areas share one sign-in page and one session. The destination decides who may enter:
any active staff member for the console (``/console…``), admins and supervisors for ``/admin…``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from gogaek.deps import SessionDep
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.identity.security import StaffToken
from gogaek.identity.service import staff_signed_in
from gogaek.web.csrf import rotate_csrf
from gogaek.web.i18n import N_

SESSION_KEY = "staff_id"
SIGNED_IN_KEY = "staff_since"  # checked against the account's cut-off (deactivation)
LOGIN_PATH = "/admin/login"
HOME_PATH = "/admin"
CONSOLE_PATH = "/console"
ADMIN_ROLES = frozenset({StaffRole.ADMIN.value, StaffRole.SUPERVISOR.value})


def can_manage_content(user: StaffUser) -> bool:
    return user.role in ADMIN_ROLES


def sign_in(request: Request, user: StaffUser) -> None:
    """A new session (and CSRF token) on sign-in, so a planted cookie is worth nothing."""
    request.session.clear()
    request.session[SESSION_KEY] = user.id
    request.session[SIGNED_IN_KEY] = time.time()
    rotate_csrf(request)


def sign_out(request: Request) -> None:
    request.session.clear()


def is_console_path(target: str) -> bool:
    path = urlsplit(target).path
    return path == CONSOLE_PATH or path.startswith(f"{CONSOLE_PATH}/")


def safe_next(target: str | None, default: str = HOME_PATH) -> str:
    """Only our own admin and console pages are valid destinations after sign-in (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    staff_area = parts.path.startswith(HOME_PATH) or is_console_path(parts.path)
    if parts.scheme or parts.netloc or not staff_area or "\\" in target:
        return default
    if parts.path.startswith(LOGIN_PATH):
        return default
    return target


def may_enter(user: StaffUser, target: str) -> bool:
    """Every staff member may use the console; the admin area needs an admin role."""
    return is_console_path(target) or can_manage_content(user)


def _login_redirect(request: Request, home: str) -> HTTPException:
    """A 303 to the sign-in page; the error handlers turn it into a plain redirect.

    A GET comes back to the same page (with its query); after a POST, to the area's home.
    """
    target = request.url.path if request.method == "GET" else home
    if request.method == "GET" and request.url.query:
        target = f"{target}?{request.url.query}"
    location = f"{LOGIN_PATH}?next={quote(target)}"
    return HTTPException(303, detail=N_("로그인이 필요합니다."), headers={"Location": location})


async def session_staff(request: HTTPConnection, session: AsyncSession) -> StaffUser | None:
    credential = session_credential(request)
    if credential is None:
        return None
    return await staff_signed_in(session, credential.staff_id, credential.issued_at)


def session_credential(request: HTTPConnection) -> StaffToken | None:
    """Who signed in to this session and when, in the same shape as a bearer token."""
    staff_id = request.session.get(SESSION_KEY)
    signed_in_at = request.session.get(SIGNED_IN_KEY)
    if not isinstance(staff_id, int) or not isinstance(signed_in_at, int | float):
        return None
    return StaffToken(staff_id, datetime.fromtimestamp(signed_in_at, UTC))


async def page_admin(request: Request, session: SessionDep) -> StaffUser:
    """Admin or supervisor signed in through the login page; anyone else is sent to sign in."""
    user = await session_staff(request, session)
    if user is None:
        sign_out(request)
        raise _login_redirect(request, HOME_PATH)
    if not can_manage_content(user):
        raise ProblemError(403, "forbidden", N_("관리자 권한이 필요합니다."))
    return user


PageAdmin = Annotated[StaffUser, Depends(page_admin)]


async def page_staff(request: Request, session: SessionDep) -> StaffUser:
    """Any active staff member signed in through the login page (the agent console)."""
    user = await session_staff(request, session)
    if user is None:
        sign_out(request)
        raise _login_redirect(request, CONSOLE_PATH)
    return user


PageStaff = Annotated[StaffUser, Depends(page_staff)]
