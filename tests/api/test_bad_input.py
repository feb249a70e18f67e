"""Bad input over HTTP: impossible ids, the safety net behind the id type, oversized bodies; HSTS.

The id table is generated from the app's own route table, so a new route with an id in its path
is covered without editing this file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.app import create_app
from gogaek.config import Settings
from gogaek.deps import SessionDep
from gogaek.helpcenter.models import Notice
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import StaffRole
from gogaek.web.ids import MAX_ID
from gogaek.web.limits import DEFAULT_LIMIT, body_limit
from tests.api.test_agent_auth import PASSWORD, make_staff, sign_in
from tests.api.test_pages import csrf_of
from tests.conftest import customer_headers
from tests.live_app import LiveServer, serve_live

BAD_IDS = [2**31, 2**63, 2**64, -1, 0]
REFUSED = {401, 403, 303, 302, 307}


@dataclass(frozen=True)
class IdRoute:
    method: str
    path: str
    id_names: tuple[str, ...]


def id_routes(app: FastAPI) -> Iterator[IdRoute]:
    """Every (method, path) of the app whose path carries an id, pages included."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        names = tuple(p.name for p in route.dependant.path_params if p.name.endswith("_id") or p.name == "seq")
        for method in sorted(route.methods or ()) if names else ():
            yield IdRoute(method, context.path, names)


def filled(route: IdRoute, value: int) -> str:
    path = route.path
    for name in route.id_names:
        path = path.replace("{" + name + "}", str(value))
    return path


def raw_client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """Unhandled errors come back as the 500 a user would see instead of being raised here."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


@pytest.fixture
async def roles(app: FastAPI, session: AsyncSession, settings: Settings) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Anonymous, customer, agent and admin over bearer tokens, plus signed-in page sessions."""
    await make_staff(session, "agent@example.com")
    await make_staff(session, "admin@example.com", role=StaffRole.ADMIN)
    clients = {"anonymous": raw_client(app), "customer": raw_client(app, **customer_headers(settings))}
    for name, email in (("agent", "agent@example.com"), ("admin", "admin@example.com")):
        clients[name] = raw_client(app, **await sign_in(clients["anonymous"], email))
    clients["customer page"] = raw_client(app, Accept="text/html")
    await clients["customer page"].get("/auth/customer", params={"token": issue_customer_token(settings, sub="page-1")})
    clients["admin page"] = raw_client(app, Accept="text/html")
    form = csrf_of((await clients["admin page"].get("/admin/login")).text)
    login = {"csrf_token": form, "email": "admin@example.com", "password": PASSWORD, "next": "/console"}
    assert (await clients["admin page"].post("/admin/login", data=login)).status_code == 303
    yield clients
    for client in clients.values():
        await client.aclose()


async def call(client: httpx.AsyncClient, route: IdRoute, value: int) -> httpx.Response:
    body: dict[str, object] | None = {} if route.method in ("POST", "PUT", "PATCH") else None
    return await client.request(route.method, filled(route, value), json=body)


async def test_every_route_with_an_id_in_its_path_refuses_impossible_ids(
    app: FastAPI, roles: dict[str, httpx.AsyncClient]
) -> None:
    """2^31 overflows PostgreSQL's integer, 2^63 SQLite's: 404 (the id names nothing), never 5xx."""
    routes = list(id_routes(app))
    assert len(routes) > 80, "the route table walk found too few routes"
    failures = []
    for route in routes:
        allowed = [
            client for client in roles.values() if (await call(client, route, BAD_IDS[0])).status_code not in REFUSED
        ] or list(roles.values())
        for value in BAD_IDS:
            for client in allowed:
                response = await call(client, route, value)
                if response.status_code >= 500 or (
                    route.path.startswith("/api/") and response.status_code not in (404, 422)
                ):
                    failures.append(f"{route.method} {filled(route, value)} → {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_a_path_id_out_of_range_is_a_problem_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/notices/{MAX_ID + 1}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert (await client.get("/api/v1/notices/abc")).json()["code"] == "not_found"


@pytest.mark.parametrize("value", [2**31, 2**63, 0])
async def test_query_and_body_ids_out_of_range_are_validation_errors(
    client: httpx.AsyncClient, session: AsyncSession, value: int
) -> None:
    await make_staff(session, "admin@example.com", role=StaffRole.ADMIN)
    headers = await sign_in(client, "admin@example.com")
    hours = {"first_response_hours": 1, "resolution_hours": 2}
    calls = [
        ("GET", "/api/v1/admin/audit", {"actor_id": value}, None),
        ("GET", "/api/v1/agent/inquiries", {"category": value}, None),
        ("GET", "/api/v1/agent/macros", {"category": value}, None),
        ("POST", "/api/v1/admin/macros", None, {"title": "t", "body": "b", "category_id": value}),
        ("POST", "/api/v1/admin/sla-policies", None, {"category_id": value, **hours}),
        ("PUT", "/api/v1/admin/staff/1/skills", None, {"category_ids": [value]}),
        ("POST", "/api/v1/admin/teams/1/members", None, {"staff_id": value}),
    ]
    for method, url, params, body in calls:
        response = await client.request(method, url, params=params, json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_error"), (url, response.text)


@pytest.fixture
def unchecked_route(app: FastAPI) -> str:
    """A route written without the id type, as a future one might be: only the safety net stands."""

    async def notice_by_raw_id(raw: int, session: SessionDep) -> dict[str, bool]:
        return {"found": await session.scalar(select(Notice.id).where(Notice.id == raw)) is not None}

    app.add_api_route("/api/v1/test-unchecked/{raw}", notice_by_raw_id)
    app.add_api_route("/api/v1/test-unchecked", notice_by_raw_id)
    return "/api/v1/test-unchecked"


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64])
async def test_database_overflow_is_a_clean_problem_not_a_500(
    app: FastAPI, settings: Settings, unchecked_route: str, value: int
) -> None:
    async with raw_client(app) as client:
        in_path = await client.get(f"{unchecked_route}/{value}")
        in_query = await client.get(unchecked_route, params={"raw": value})
    # SQLite holds up to 2^63 - 1 (2^31 is simply not found); PostgreSQL's integer stops at 2^31 - 1.
    if value < 2**63 and settings.database_url is None:
        assert (in_path.json(), in_query.json()) == ({"found": False}, {"found": False})
        return
    assert (in_path.status_code, in_path.json()["code"]) == (404, "not_found")
    assert (in_query.status_code, in_query.json()["code"]) == (422, "invalid_id")
    assert in_query.headers["content-type"] == "application/problem+json"


# --- request size limits, against a real uvicorn server --------------------------------------


@pytest.fixture
async def live(app: FastAPI) -> AsyncIterator[LiveServer]:
    async with serve_live(app) as server:
        yield server


async def raw_request(port: int, head: str, body: bytes) -> tuple[str, bytes]:
    """Sends exactly these bytes and reads the answer: a client that lies about its length."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), timeout=30)  # a bound against a hang, not a timing
    finally:
        writer.close()
        await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n")
    return status_line.decode(), rest


@pytest.mark.parametrize("path", ["/api/v1/agent/login", "/api/v1/inquiries"])
async def test_a_declared_length_over_the_limit_is_refused_unread(live: LiveServer, path: str) -> None:
    head = f"POST {path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: {10**12}\n"
    status, rest = await raw_request(live.port, head, b'{"email": "')
    assert status.startswith("HTTP/1.1 413 ")
    assert b"application/problem+json" in rest and b'"code":"payload_too_large"' in rest
    assert live.received == [0]


FILE_PART = b'--x\r\nContent-Disposition: form-data; name="attachments"; filename="a.png"\r\n\r\n'


@pytest.mark.parametrize(
    ("path", "content_type", "start"),
    [
        ("/api/v1/agent/login", "application/json", b'{"email": "'),
        ("/api/v1/inquiries", "multipart/form-data; boundary=x", FILE_PART),  # one endless file
    ],
    ids=["json", "upload"],
)
async def test_a_chunked_body_is_stopped_at_the_limit(
    live: LiveServer, settings: Settings, path: str, content_type: str, start: bytes
) -> None:
    """No Content-Length: the bytes are counted as they come (uvicorn may discard the rest itself)."""
    limit = body_limit(settings, "POST", path)

    async def body() -> AsyncIterator[bytes]:
        yield start
        for _ in range(limit // 65536 + 128):  # 8 MiB past the limit
            yield b"x" * 65536

    async with httpx.AsyncClient(base_url=live.url) as client:
        headers = {"Content-Type": content_type, **customer_headers(settings)}  # uploads need a sign-in
        response = await client.post(path, content=body(), headers=headers)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.headers["content-type"] == "application/problem+json"
    assert live.received[0] < limit + DEFAULT_LIMIT  # the limit and what uvicorn had buffered


async def test_upload_routes_take_the_files_they_allow(settings: Settings) -> None:
    """Uploads get room for every allowed file plus the form around them; the rest 1 MiB."""
    files = settings.attachment_max_bytes * settings.attachment_max_count
    assert body_limit(settings, "POST", "/api/v1/inquiries") > files
    assert body_limit(settings, "POST", "/api/v1/inquiries/7/messages") > files
    assert body_limit(settings, "POST", "/inquiries/7/messages") > files
    assert settings.attachment_max_bytes < body_limit(settings, "POST", "/api/v1/agent/chats/3/images") < files
    assert body_limit(settings, "POST", "/api/v1/agent/login") == DEFAULT_LIMIT
    assert body_limit(settings, "PATCH", "/api/v1/inquiries") == DEFAULT_LIMIT


async def test_an_upload_under_its_limit_but_over_the_default_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    evidence = b"%PDF-1.4\n" + b"0" * (2 * DEFAULT_LIMIT)
    response = await client.post(
        "/api/v1/inquiries",
        data={"category": "payment", "title": "결제 오류", "body": "결제가 두 번 됐어요"},
        files={"attachments": ("evidence.pdf", evidence, "application/pdf")},
        headers=customer_headers(settings),
    )
    assert response.json()["code"] != "payload_too_large", response.text


# --- HSTS ------------------------------------------------------------------------------------


async def test_hsts_over_tls_only_outside_production(app: FastAPI) -> None:
    async with raw_client(app) as plain:
        assert "strict-transport-security" not in (await plain.get("/healthz")).headers
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        response = await tls.get("/api/v1/notices/1")  # errors carry it too
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_hsts_when_a_trusted_proxy_says_https(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url) as client:
        behind_proxy = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        direct = await client.get("/healthz")
    assert behind_proxy.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "strict-transport-security" not in direct.headers


async def test_hsts_on_every_response_in_production(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production", "secret_key": "s" * 40, "admin_totp_required": True})
    transport = httpx.ASGITransport(app=create_app(production))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_a_nul_character_is_refused_not_a_500(app: FastAPI, settings: Settings, session: AsyncSession) -> None:
    """PostgreSQL text cannot hold NUL (SQLite can): found by schemathesis as a 500 on PostgreSQL."""
    await make_staff(session, "admin@example.com", role=StaffRole.ADMIN)
    async with raw_client(app) as client:
        client.headers.update(await sign_in(client, "admin@example.com"))
        team = await client.post("/api/v1/admin/teams", json={"slug": "nul", "name": "결제\x00팀"})
        audit = await client.get("/api/v1/admin/audit", params={"action": "a\x00b"})
    for response in (team, audit):
        assert response.status_code < 500, response.text
        if settings.database_url is not None:
            assert (response.status_code, response.json()["code"]) == (422, "invalid_text")
