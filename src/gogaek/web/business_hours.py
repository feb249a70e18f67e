"""The business hours in force (weekly hours and company days off edited on /admin/hours), read
once per page request so that every page's header says open or closed by them, not by the
built-in 평일 09:00–18:00. Reading is the reference cache's (no query on a hit); a database
that cannot answer leaves the header on the built-in hours and the page to fail as it would."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from gogaek.calendar.hours import BusinessHours
from gogaek.calendar.service import load_business_hours

log = logging.getLogger(__name__)

STATE_KEY = "business_hours"
_NOT_PAGES = ("/api/", "/static/", "/ws/", "/healthz", "/readyz")


class BusinessHoursMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(_NOT_PAGES):
            hours = await _hours_in_force(scope)
            if hours is not None:
                scope.setdefault("state", {})[STATE_KEY] = hours
        await self.app(scope, receive, send)


async def _hours_in_force(scope: Scope) -> BusinessHours | None:
    sessionmaker = getattr(getattr(scope.get("app"), "state", None), "sessionmaker", None)
    if sessionmaker is None:  # before start-up finished
        return None
    try:
        async with sessionmaker() as session:
            hours: BusinessHours = await load_business_hours(session)
            return hours
    except Exception:  # the page itself will say what is wrong with the database
        log.debug("business hours unavailable for the header", exc_info=True)
        return None
