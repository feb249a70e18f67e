"""Application factory: everything is built from the settings passed in, nothing at import."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute

from gogaek import __version__
from gogaek.appeals import pages as appeal_pages
from gogaek.appeals import routes as appeal_routes
from gogaek.audit import pages as audit_pages
from gogaek.audit import routes as audit_routes
from gogaek.background import job_handlers, periodic_tasks
from gogaek.calendar import pages as calendar_pages
from gogaek.calendar import routes as calendar_routes
from gogaek.chat import bot_pages as chat_bot_pages
from gogaek.chat import pages as chat_pages
from gogaek.chat import routes as chat_routes
from gogaek.chat import sockets as chat_sockets
from gogaek.chat.runtime import ChatRuntime
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.errors import install_error_handlers
from gogaek.helpcenter import pages as helpcenter_pages
from gogaek.helpcenter import routes as helpcenter_routes
from gogaek.identity import admin_pages as identity_admin_pages
from gogaek.identity import admin_routes as identity_admin_routes
from gogaek.identity import customer_pages
from gogaek.identity import pages as identity_pages
from gogaek.identity import routes as identity_routes
from gogaek.identity import team_pages as identity_team_pages
from gogaek.identity.security import StaffTokenSigner
from gogaek.inquiries import admin_pages as inquiry_admin_pages
from gogaek.inquiries import admin_routes as inquiry_admin_routes
from gogaek.inquiries import agent_routes as inquiry_agent_routes
from gogaek.inquiries import console_pages
from gogaek.inquiries import pages as inquiry_pages
from gogaek.inquiries import routes as inquiry_routes
from gogaek.inquiries import sla_pages as inquiry_sla_pages
from gogaek.inquiries.storage import build_attachment_storage
from gogaek.jobs import pages as job_pages
from gogaek.jobs import routes as job_routes
from gogaek.jobs.runtime import start_job_worker
from gogaek.mail import pages as mail_pages
from gogaek.mail import routes as mail_routes
from gogaek.notify import admin_pages as notify_admin_pages
from gogaek.notify import provider_pages as notify_provider_pages
from gogaek.notify import routes as notify_routes
from gogaek.notify import template_pages as notify_template_pages
from gogaek.notify.providers import build_providers
from gogaek.phone import admin_routes as phone_admin_routes
from gogaek.phone import agent_routes as phone_agent_routes
from gogaek.phone import console_pages as phone_console_pages
from gogaek.phone import cti_routes, cti_token_pages
from gogaek.phone import pages as phone_pages
from gogaek.phone import roster_pages as phone_roster_pages
from gogaek.phone import routes as phone_routes
from gogaek.privacy import pages as privacy_pages
from gogaek.privacy import routes as privacy_routes
from gogaek.realtime.hub import build_hub
from gogaek.reports import pages as report_pages
from gogaek.reports import routes as report_routes
from gogaek.search import admin_pages as search_admin_pages
from gogaek.search import routes as search_routes
from gogaek.search.service import build_search_index
from gogaek.web import language_routes
from gogaek.web.business_hours import BusinessHoursMiddleware
from gogaek.web.i18n import LanguageMiddleware
from gogaek.web.limits import BodyLimitMiddleware
from gogaek.web.security import SecurityHeadersMiddleware
from gogaek.web.templating import create_templates

WEB_DIR = Path(__file__).parent / "web"
log = logging.getLogger(__name__)


async def _start_smtp(app: FastAPI, settings: Settings) -> asyncio.Server | None:
    """The built-in SMTP listener shares the app's loop and database; off unless a port is set."""
    if settings.inbound_smtp_port is None:
        return None
    from gogaek.mail.smtp_listener import start_smtp_listener

    return await start_smtp_listener(app.state.sessionmaker, settings, settings.inbound_smtp_port)


async def _settle(task: asyncio.Task[None]) -> None:
    with suppress(Exception):
        await task


async def _close_server(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each part is stopped by the stack in reverse order, also when a later part fails to
        # start: an engine left open would leak its pooled connections.
        async with AsyncExitStack() as stack:
            engine = create_engine(settings)
            stack.push_async_callback(engine.dispose)
            app.state.db_engine = engine
            app.state.sessionmaker = create_sessionmaker(engine)
            index = build_search_index(settings, app.state.sessionmaker)
            app.state.search_index = index
            stack.callback(index.close)
            stack.push_async_callback(index.query_log.close)
            # Loading can take a while on a cold embedding cache: serve /healthz meanwhile;
            # /readyz says 503 and searches wait for the index lock until it is built.
            loading = asyncio.create_task(index.load(), name="search-index-load")
            loading.add_done_callback(_log_load_failure)
            # The build runs in a thread that cannot be interrupted; let it finish before the
            # vector store and database it writes to are closed.
            stack.push_async_callback(_settle, loading)
            app.state.chat = ChatRuntime(
                app.state.sessionmaker,
                settings,
                build_hub(settings.redis_url, settings.redis_prefix),
                index,
                app.state.attachment_storage,
            )
            await app.state.chat.start()
            stack.push_async_callback(app.state.chat.stop)
            app.state.jobs = await start_job_worker(
                app.state.sessionmaker,
                settings,
                extra_handlers=job_handlers(),
                periodic=periodic_tasks(settings),
                providers=app.state.notification_providers,
            )
            stack.push_async_callback(app.state.jobs.stop)
            smtp = await _start_smtp(app, settings)
            if smtp is not None:
                stack.push_async_callback(_close_server, smtp)
            yield

    app = FastAPI(
        title="Gogaek 고객센터 API",
        version=__version__,
        lifespan=lifespan,
        description="Korean-first customer center: help center, FAQ search, notices, online inquiries, agent console.",
    )
    app.state.settings = settings
    app.state.templates = create_templates(settings)
    app.state.token_signer = StaffTokenSigner(settings.secret_key, settings.session_max_age_seconds)
    app.state.attachment_storage = build_attachment_storage(settings)
    app.state.notification_providers = build_providers(settings)
    install_error_handlers(app)
    secure = settings.env == "production"
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(BusinessHoursMiddleware)  # the header's open/closed line follows /admin/hours
    app.add_middleware(LanguageMiddleware)  # inside the session: a host's language kept at sign-in counts
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="gogaek_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=secure,
    )
    app.add_middleware(SecurityHeadersMiddleware, secure_cookies=secure)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    _add_health_routes(app)
    app.router.routes.extend(_compiled_routes())
    return app


@functools.cache
def _compiled_routes() -> tuple[BaseRoute, ...]:
    """Every router of the service, included once per process and shared by each app made.

    FastAPI compiles an included route (its dependency graph, its response field) lazily,
    per inclusion, on the first request that scans past it: about 0.3 s for our 230 routes.
    A process serves one app, but the test suite makes an app per test; sharing the inclusion
    keeps that compilation to once per process. The one difference to ``app.include_router``:
    ``app.dependency_overrides`` does not reach these routes (nothing here uses it).
    """
    aggregate = APIRouter()
    for router in (
        identity_routes.router,
        search_routes.router,
        helpcenter_routes.public,
        helpcenter_routes.admin,
        inquiry_routes.router,
        *notify_routes.routers,
        job_routes.router,
        inquiry_agent_routes.router,
        inquiry_admin_routes.router,
        identity_admin_routes.router,
        calendar_routes.router,
        audit_routes.router,
        chat_sockets.router,
        chat_routes.router,
        chat_routes.agent_router,
        phone_routes.router,
        phone_agent_routes.router,
        phone_admin_routes.router,
        cti_routes.router,
        appeal_routes.router,
        mail_routes.router,
        privacy_routes.router,
        identity_pages.router,
        customer_pages.router,
        inquiry_pages.router,
        console_pages.router,
        chat_pages.router,
        phone_pages.router,
        phone_console_pages.router,
        appeal_pages.router,
        mail_pages.router,
        privacy_pages.router,
        report_routes.router,
        report_pages.router,
        language_routes.router,
        search_admin_pages.router,
        search_admin_pages.synonym_router,
        identity_admin_pages.router,
        chat_bot_pages.router,
        phone_roster_pages.router,
        cti_token_pages.router,
        notify_template_pages.router,
        notify_provider_pages.router,
        identity_team_pages.router,
        inquiry_admin_pages.router,
        inquiry_sla_pages.router,
        calendar_pages.router,
        audit_pages.router,
        notify_admin_pages.router,
        job_pages.router,
        helpcenter_pages.router,
    ):
        aggregate.include_router(router)
    return tuple(aggregate.routes)


def _log_load_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("search index could not be loaded", exc_info=task.exception())


def _add_health_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["health"])
    async def readyz(request: Request) -> JSONResponse:
        """503 when this process cannot serve (database, search index); 200 ``degraded`` when only
        Redis is down, because chat then falls back to this process and catches up by itself.

        Reads the app from the request, not a closure: FastAPI caches endpoint functions in a
        module-level cache, and a closure over the app would keep every app ever made alive."""
        app = request.app
        checks: dict[str, bool] = {"database": False, "search_index": False}
        try:
            async with app.state.db_engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            checks["database"] = False
        checks["search_index"] = bool(app.state.search_index.ready)
        serving = all(checks.values())
        if app.state.settings.redis_url:
            checks["redis"] = await app.state.chat.hub.healthy()
        status = "ready" if all(checks.values()) else "degraded" if serving else "not_ready"
        return JSONResponse({"status": status, "checks": checks}, status_code=200 if serving else 503)
