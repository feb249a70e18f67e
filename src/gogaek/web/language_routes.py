"""The language switch on every page: remembers the visitor's choice in a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from gogaek.errors import not_found
from gogaek.web.i18n import COOKIE, SESSION_KEY, safe_next, supported
from gogaek.web.views import redirect

router = APIRouter(include_in_schema=False)

ONE_YEAR = 365 * 24 * 3600


@router.get("/language/{code}")
async def choose_language(request: Request, code: str, next: str = "/") -> RedirectResponse:
    """A deliberate choice outranks the language the host app named at sign-in, for this session."""
    language = supported(code)
    if language is None or language != code:
        raise not_found("언어")
    request.session.pop(SESSION_KEY, None)
    response = redirect(safe_next(next))
    response.set_cookie(COOKIE, language, max_age=ONE_YEAR, httponly=True, samesite="lax")
    return response
