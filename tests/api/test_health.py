"""Liveness and readiness as an operator's load balancer sees them."""

from __future__ import annotations

import asyncio
import gc
import socket
import weakref

import httpx
import pytest

from gogaek.app import create_app
from gogaek.config import Settings


async def test_healthz_answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_reports_database_and_search_index(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": True, "search_index": True},
    }


async def test_security_headers_and_visitor_cookie_on_every_response(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "gogaek_visitor=" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]


async def test_an_app_is_freed_after_its_lifespan(settings: Settings) -> None:
    """Nothing module-level may keep an app alive (FastAPI caches endpoint functions process-wide,
    so a route closing over ``app`` did): each test app used to stay in memory, ~18 MB apiece."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await application.state.search_index.wait_until_loaded()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/readyz")).status_code == 200
    ref = weakref.ref(application)
    del application, transport, http
    gc.collect()
    assert ref() is None


async def test_a_start_that_fails_half_way_stops_what_it_had_started(settings: Settings) -> None:
    """The SMTP listener starts last; when its port is taken the worker, chat runtime and
    database engine started before it must stop too, not run on in the background."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    application = create_app(
        settings.model_copy(update={"inbound_smtp_host": "127.0.0.1", "inbound_smtp_port": port, "jobs_enabled": True})
    )
    try:
        with pytest.raises(OSError):
            async with application.router.lifespan_context(application):
                pass
    finally:
        taken.close()
    assert not application.state.jobs.running
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert not {name for name in names if name.startswith("job-worker-")}
    assert "chat-idle-sweep" not in names
