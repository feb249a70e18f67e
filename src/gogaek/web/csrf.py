"""Per-session CSRF tokens for HTML forms.

The token lives in the signed session cookie and is echoed in a hidden field of every POST
form; a cross-site page can make the browser send the cookie but cannot read the token.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Request
from jinja2 import pass_context
from markupsafe import Markup
from starlette.datastructures import FormData

from gogaek.errors import ProblemError
from gogaek.web.i18n import N_

SESSION_KEY = "csrf"
FIELD_NAME = "csrf_token"


def csrf_refused() -> ProblemError:
    return ProblemError(
        403,
        "csrf_failed",
        N_("보안 확인에 실패했습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요."),
    )


def csrf_token(request: Request) -> str:
    """The session's token, created on first use so anonymous visitors get one too."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = rotate_csrf(request)
    return token


def rotate_csrf(request: Request) -> str:
    """A fresh token, used whenever the session changes hands (sign-in)."""
    token = secrets.token_urlsafe(32)
    request.session[SESSION_KEY] = token
    return token


def tokens_match(sent: object, expected: object) -> bool:
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected:
        return False
    return secrets.compare_digest(sent.encode(), expected.encode())


async def verified_form(request: Request) -> FormData:
    """Dependency for every HTML POST: the parsed form, or a 403 page when the token is wrong."""
    form = await request.form()
    if not tokens_match(form.get(FIELD_NAME), request.session.get(SESSION_KEY)):
        raise csrf_refused()
    return form


HEADER_NAME = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_csrf_header(request: Request) -> None:
    """For JSON/multipart calls that scripts on our pages make with the session cookie: the
    token travels in a header a cross-site page cannot set. Bearer-token calls need none."""
    if request.method in SAFE_METHODS:
        return
    if not tokens_match(request.headers.get(HEADER_NAME), request.session.get(SESSION_KEY)):
        raise csrf_refused()


@pass_context
def csrf_field(context: dict[str, Any]) -> Markup:
    """Jinja global: ``{{ csrf_field() }}`` inside every POST form."""
    token = csrf_token(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD_NAME, token)


CsrfForm = Annotated[FormData, Depends(verified_form)]
