"""One-shot messages carried across a redirect (post/redirect/get) in the session."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from jinja2 import pass_context

SESSION_KEY = "flash"


def flash(request: Request, message: str, kind: str = "success") -> None:
    messages = list(request.session.get(SESSION_KEY, []))
    messages.append([kind, message])
    request.session[SESSION_KEY] = messages


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    """Messages waiting for this visitor; safe on error pages rendered outside the session."""
    if "session" not in request.scope:
        return []
    stored = request.session.pop(SESSION_KEY, [])
    return [(str(kind), str(message)) for kind, message in stored]


@pass_context
def flashes_global(context: dict[str, Any]) -> list[tuple[str, str]]:
    return pop_flashes(context["request"])
