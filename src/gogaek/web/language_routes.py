"""The language switch on every page: remembers the visitor's choice in a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from gogaek.deps import SessionDep
from gogaek.errors import not_found
from gogaek.identity.service import remember_language
from gogaek.web.auth import SESSION_KEY as STAFF_SESSION_KEY
from gogaek.web.i18n import COOKIE, SESSION_KEY, safe_next, supported
from gogaek.web.views import redirect

router = APIRouter(include_in_schema=False)

ONE_YEAR = 365 * 24 * 3600


@router.get("/language/{code}")
async def choose_language(request: Request, session: SessionDep, code: str, next: str = "/") -> RedirectResponse:
    """A deliberate choice outranks the language the host app named at sign-in, for this session;
    a signed-in staff member's choice is kept for the notifications written to them."""
    language = supported(code)
    if language is None or language != code:
        raise not_found("언어")
    request.session.pop(SESSION_KEY, None)
    staff_id = request.session.get(STAFF_SESSION_KEY)
    if isinstance(staff_id, int):
        await remember_language(session, staff_id, language)
    response = redirect(safe_next(next))
    response.set_cookie(COOKIE, language, max_age=ONE_YEAR, httponly=True, samesite="lax")
    return response
