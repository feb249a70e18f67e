"""Request body size limits, per route, enforced before and while the body is read.

Without them a 200 MB upload was read in full before its 413 and an anonymous 90 MB JSON body
was parsed before its 422. The limits are declared here, in one table (docs/api.md lists them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gogaek.config import Settings
from gogaek.errors import ProblemError, render_problem
from gogaek.web.i18n import N_

MIB = 1024 * 1024
DEFAULT_LIMIT = MIB  # JSON and forms: the longest FAQ answer (20,000 characters) is well below
FORM_MARGIN = MIB  # the text fields and multipart framing around the files of an upload


def _inquiry_uploads(settings: Settings) -> int:
    return settings.attachment_max_bytes * settings.attachment_max_count + FORM_MARGIN


def _one_image(settings: Settings) -> int:
    return settings.attachment_max_bytes + FORM_MARGIN


# POST routes that take files; every other request body gets DEFAULT_LIMIT.
UPLOAD_ROUTES: tuple[tuple[re.Pattern[str], Callable[[Settings], int]], ...] = (
    (re.compile(r"/api/v1/inquiries(/\d+/messages)?"), _inquiry_uploads),
    (re.compile(r"/inquiries(/\d+/messages)?"), _inquiry_uploads),
    (re.compile(r"/api/v1/(chat/conversations|agent/chats)/\d+/images"), _one_image),
)


def body_limit(settings: Settings, method: str, path: str) -> int:
    """The most bytes a request to this route may carry."""
    if method == "POST":
        for pattern, limit in UPLOAD_ROUTES:
            if pattern.fullmatch(path):
                return limit(settings)
    return DEFAULT_LIMIT


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body parsing passes it on instead of calling it a 400."""

    def __init__(self) -> None:
        super().__init__(413)


class BodyLimitMiddleware:
    """Pure ASGI: refuses a too-large ``Content-Length`` unread, and stops a longer stream at the limit."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    problem = ProblemError(413, "payload_too_large", N_("요청 내용이 너무 큽니다."), headers={"Connection": "close"})
    response = render_problem(Request(scope), problem)
    await response(scope, receive, send)
