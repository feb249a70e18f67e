"""Small helpers every HTML page uses: render a template, redirect after a POST, parse ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from gogaek.errors import not_found
from gogaek.web.ids import MAX_ID as MAX_ID  # re-exported: the pages parse ids against the same limit


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, template, dict(context or {}), status_code=status)
    # Pages carry a per-session CSRF token and one-shot messages: never from a shared cache.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def redirect(url: str) -> RedirectResponse:
    """303 so that the browser follows a POST with a GET (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def id_or_404(raw: str, what: str) -> int:
    """Path ids arrive as text: anything that is not a plausible id is simply not found."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) <= MAX_ID):
        raise not_found(what)
    return int(raw)
