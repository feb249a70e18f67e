"""Webhook and job-queue admin API, and webhooks delivered end to end to a real local HTTP server.

The background worker is switched off here so each test drives the real ``JobWorker`` by hand
and can move its clock forward to retry times.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.config import Settings
from gogaek.events import INQUIRY_ANSWERED, INQUIRY_CREATED, emit
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.jobs import routes as job_routes
from gogaek.jobs.handlers import WEBHOOK_DELIVER, build_handlers
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.worker import JobWorker
from gogaek.notify import routes as notify_routes
from gogaek.notify.webhooks import verify_signature
from tests.conftest import ADMIN_EMAIL

EVENT_DATA: dict[str, Any] = {
    "inquiry_id": 41,
    "number": "Q-20250101-0041",
    "status": "received",
    "priority": "normal",
    "customer_id": 1,
    "assignee_id": None,
    "team_id": None,
    "title": "송금이 안 돼요",
}
PUBLIC_URL = "https://93.184.216.34/hooks/gogaek-token-abc"  # a global address: no DNS, passes the SSRF check


def with_job_routes(app: FastAPI) -> FastAPI:
    """Mounts the routers until app.py does; once it does, this adds nothing."""
    mounted = {getattr(route, "path", "") for route in app.routes}
    for router in (*notify_routes.routers, job_routes.router):
        if router.prefix not in mounted:
            app.include_router(router)
    return app


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"jobs_enabled": False})


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    return with_job_routes(app)


@pytest.fixture
async def admin_headers(app: FastAPI, session: AsyncSession) -> dict[str, str]:
    """A bearer token straight from the signer: sign-in (password, TOTP) is tested elsewhere."""
    return await staff_headers(app, session, StaffRole.ADMIN, ADMIN_EMAIL)


def make_worker(app: FastAPI, settings: Settings | None = None) -> JobWorker:
    return JobWorker(app.state.sessionmaker, settings or app.state.settings, build_handlers(), "api-test-worker")


async def drain(worker: JobWorker, now: datetime | None = None) -> int:
    """Runs everything due (and what that enqueues) until the queue is quiet."""
    total = 0
    for _ in range(50):
        ran = await worker.run_once(now)
        if ran == 0:
            return total
        total += ran
    raise AssertionError("the queue never drained")


async def jobs_of(app: FastAPI, kind: str) -> list[Job]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id))).all())


async def audit_actions(app: FastAPI) -> list[tuple[str, str, str]]:
    """Entries about webhooks and jobs (creating the test's staff accounts is audited too)."""
    query = select(AuditEntry).where(AuditEntry.target_type.in_(("webhook", "job"))).order_by(AuditEntry.id)
    async with app.state.sessionmaker() as session:
        entries = (await session.scalars(query)).all()
    return [(entry.action, entry.target_type, entry.target_id) for entry in entries]


async def staff_headers(app: FastAPI, session: AsyncSession, role: StaffRole, email: str) -> dict[str, str]:
    user = await create_staff_user(
        session, StaffCreate(email=email, password="a-long-password", display_name=role.value, role=role)
    )
    return {"Authorization": f"Bearer {app.state.token_signer.issue(user.id)}"}


@dataclass
class Receiver:
    """What a real HTTP server on 127.0.0.1 received; ``status`` is what it answers."""

    status: int = 200
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def receiving(status: int = 200) -> Iterator[tuple[str, Receiver]]:
    receiver = Receiver(status)

    class Handle(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, format: str, *args: Any) -> None:  # keeps test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def create_endpoint(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/admin/webhooks", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def emit_committed(app: FastAPI, event: str, data: dict[str, Any]) -> None:
    async with app.state.sessionmaker() as session:
        await emit(session, event, data)
        await session.commit()


# --- admin API ------------------------------------------------------------------------------


async def test_webhook_admin_needs_a_signed_in_admin_or_supervisor(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    agent = await staff_headers(app, session, StaffRole.AGENT, "agent@example.com")
    for method, path in (
        ("GET", "/api/v1/admin/webhooks"),
        ("POST", "/api/v1/admin/webhooks"),
        ("GET", "/api/v1/admin/webhooks/1"),
        ("PATCH", "/api/v1/admin/webhooks/1"),
        ("DELETE", "/api/v1/admin/webhooks/1"),
        ("POST", "/api/v1/admin/webhooks/1/test"),
        ("GET", "/api/v1/admin/jobs"),
        ("POST", "/api/v1/admin/jobs/1/retry"),
        ("DELETE", "/api/v1/admin/jobs/1"),
    ):
        anonymous = await client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path)
        forbidden = await client.request(method, path, json={}, headers=agent)
        assert forbidden.status_code == 403, (method, path)
        assert forbidden.json()["code"] == "forbidden"


async def test_webhook_lifecycle_shows_the_secret_once_and_is_audited(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await create_endpoint(
        client, admin_headers, url=PUBLIC_URL, events=[INQUIRY_ANSWERED, INQUIRY_ANSWERED], description="CRM 연동"
    )
    assert created["secret"].startswith("whsec_")
    assert created["events"] == [INQUIRY_ANSWERED]
    assert created["allow_private"] is False
    endpoint_id = created["id"]

    listed = (await client.get("/api/v1/admin/webhooks", headers=admin_headers)).json()
    assert [item["id"] for item in listed] == [endpoint_id]
    assert "secret" not in listed[0]
    fetched = (await client.get(f"/api/v1/admin/webhooks/{endpoint_id}", headers=admin_headers)).json()
    assert "secret" not in fetched and fetched["description"] == "CRM 연동"

    patched = await client.patch(
        f"/api/v1/admin/webhooks/{endpoint_id}", json={"events": [], "is_active": False}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["events"], patched.json()["is_active"], patched.json()["url"]) == ([], False, PUBLIC_URL)

    assert (await client.delete(f"/api/v1/admin/webhooks/{endpoint_id}", headers=admin_headers)).status_code == 204
    assert (await client.get(f"/api/v1/admin/webhooks/{endpoint_id}", headers=admin_headers)).status_code == 404

    target = str(endpoint_id)
    assert await audit_actions(app) == [
        ("webhook.create", "webhook", target),
        ("webhook.update", "webhook", target),
        ("webhook.delete", "webhook", target),
    ]
    async with app.state.sessionmaker() as db:
        entries = await db.scalars(select(AuditEntry).where(AuditEntry.target_type == "webhook"))
        details = json.dumps([entry.detail for entry in entries])
    assert "gogaek-token-abc" not in details  # the URL path may hold a token: only the host is logged
    assert "93.184.216.34" in details


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:8080/hook", "webhook_target_private"),
        ("http://10.1.2.3/hook", "webhook_target_private"),
        ("http://169.254.169.254/latest/meta-data", "webhook_target_private"),
        ("http://[::ffff:192.168.0.1]/hook", "webhook_target_private"),
        ("ftp://93.184.216.34/hook", "webhook_url_invalid"),
        ("https://user:pw@93.184.216.34/hook", "webhook_url_invalid"),
    ],
)
async def test_private_or_malformed_targets_are_refused_without_a_trace(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], url: str, code: str
) -> None:
    response = await client.post("/api/v1/admin/webhooks", json={"url": url}, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert (await client.get("/api/v1/admin/webhooks", headers=admin_headers)).json() == []
    assert await audit_actions(app) == []


async def test_bad_fields_are_validation_errors(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    for body in (
        {"url": PUBLIC_URL, "events": ["inquiry.exploded"]},
        {"url": ""},
        {"url": PUBLIC_URL, "secret": "mine"},
        {"url": PUBLIC_URL, "description": "x" * 201},
    ):
        response = await client.post("/api/v1/admin/webhooks", json=body, headers=admin_headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_error"


async def test_only_role_admin_may_allow_private_targets(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    supervisor = await staff_headers(app, session, StaffRole.SUPERVISOR, "lead@example.com")
    private = {"url": "http://127.0.0.1:9/hook", "allow_private": True}
    refused = await client.post("/api/v1/admin/webhooks", json=private, headers=supervisor)
    assert refused.status_code == 403
    assert refused.json()["code"] == "allow_private_admin_only"

    internal = await create_endpoint(client, admin_headers, **private)
    path = f"/api/v1/admin/webhooks/{internal['id']}"
    moved = await client.patch(path, json={"url": "http://127.0.0.1:22/other"}, headers=supervisor)
    assert moved.status_code == 403  # would point an allowed-private endpoint somewhere else inside
    assert (await client.patch(path, json={"is_active": False}, headers=supervisor)).status_code == 200

    public = await create_endpoint(client, supervisor, url=PUBLIC_URL)
    public_path = f"/api/v1/admin/webhooks/{public['id']}"
    opened = await client.patch(public_path, json={"allow_private": True}, headers=supervisor)
    assert opened.status_code == 403

    closing = await client.patch(path, json={"allow_private": False}, headers=admin_headers)
    assert closing.status_code == 422  # its URL is private, so it cannot stay without the permission
    assert closing.json()["code"] == "webhook_target_private"
    actions = [action for action, _, _ in await audit_actions(app)]
    assert actions == ["webhook.create", "webhook.update", "webhook.create"]


async def test_private_targets_allowed_for_everyone_by_the_operator(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    app.state.settings = settings.model_copy(update={"webhook_allow_private_targets": True})
    created = await create_endpoint(client, admin_headers, url="http://127.0.0.1:9/hook")
    assert created["allow_private"] is False


async def test_missing_webhooks_and_jobs_are_404(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    for method, path in (
        ("GET", "/api/v1/admin/webhooks/999"),
        ("PATCH", "/api/v1/admin/webhooks/999"),
        ("DELETE", "/api/v1/admin/webhooks/999"),
        ("POST", "/api/v1/admin/webhooks/999/test"),
        ("GET", "/api/v1/admin/jobs/999"),
        ("POST", "/api/v1/admin/jobs/999/retry"),
        ("DELETE", "/api/v1/admin/jobs/999"),
    ):
        response = await client.request(method, path, json={}, headers=admin_headers)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"


# --- delivery end to end --------------------------------------------------------------------


async def test_event_is_delivered_once_with_a_valid_signature(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    with receiving() as (base, receiver):
        endpoint = await create_endpoint(
            client, admin_headers, url=f"{base}/created", events=[INQUIRY_CREATED], allow_private=True
        )
        answered = {"events": [INQUIRY_ANSWERED], "allow_private": True}
        await create_endpoint(client, admin_headers, url=f"{base}/answered", **answered)
        await create_endpoint(client, admin_headers, url=f"{base}/off", is_active=False, allow_private=True)
        await emit_committed(app, INQUIRY_CREATED, EVENT_DATA)
        worker = make_worker(app)
        assert await drain(worker) == 2  # the event, then its one delivery

        [(path, headers, body)] = receiver.requests
        assert path == "/created"
        assert verify_signature(endpoint["secret"], headers["x-gogaek-signature"], body, now=int(time.time()))
        assert not verify_signature("whsec_wrong", headers["x-gogaek-signature"], body, now=int(time.time()))
        envelope = json.loads(body)
        assert envelope["event"] == headers["x-gogaek-event"] == INQUIRY_CREATED
        assert envelope["id"] == headers["x-gogaek-delivery"]
        assert envelope["data"] == EVENT_DATA

        # The worker died after the fan-out committed but before it marked the event job done.
        [event_job] = await jobs_of(app, "event")
        async with app.state.sessionmaker() as db:
            await db.execute(update(Job).where(Job.id == event_job.id).values(status=JobStatus.PENDING.value))
            await db.commit()
        assert await drain(worker) == 1
        assert len(receiver.requests) == 1
        [delivery] = await jobs_of(app, WEBHOOK_DELIVER)
        assert delivery.status == JobStatus.DONE.value


async def test_failing_receiver_is_retried_with_the_same_body_then_parked_and_retried_by_an_admin(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    worker = make_worker(app, settings.model_copy(update={"jobs_max_attempts": 3}))
    with receiving(status=500) as (base, receiver):
        await create_endpoint(client, admin_headers, url=f"{base}/hook", allow_private=True)
        await emit_committed(app, INQUIRY_CREATED, EVENT_DATA)
        await drain(worker)
        [delivery] = await jobs_of(app, WEBHOOK_DELIVER)
        while delivery.status == JobStatus.PENDING.value:
            assert await worker.run_once(now=delivery.run_at) == 1
            [delivery] = await jobs_of(app, WEBHOOK_DELIVER)
        assert (delivery.status, delivery.attempts) == (JobStatus.PARKED.value, 3)
        assert delivery.last_error is not None and "HTTP 500" in delivery.last_error
        assert len(receiver.requests) == 3
        assert len({body for _, _, body in receiver.requests}) == 1  # identical bodies, one delivery id

        parked = (await client.get("/api/v1/admin/jobs", params={"status": "parked"}, headers=admin_headers)).json()
        assert [job["id"] for job in parked] == [delivery.id]
        receiver.status = 204
        retried = await client.post(f"/api/v1/admin/jobs/{delivery.id}/retry", headers=admin_headers)
        assert retried.status_code == 200, retried.text
        assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
        assert await drain(worker) == 1
        assert len(receiver.requests) == 4
    [delivery] = await jobs_of(app, WEBHOOK_DELIVER)
    assert delivery.status == JobStatus.DONE.value
    assert ("job.retry", "job", str(delivery.id)) in await audit_actions(app)


async def test_a_redirecting_receiver_parks_at_once(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    with receiving(status=302) as (base, receiver):
        await create_endpoint(client, admin_headers, url=f"{base}/hook", allow_private=True)
        await emit_committed(app, INQUIRY_CREATED, EVENT_DATA)
        await drain(make_worker(app))
    [delivery] = await jobs_of(app, WEBHOOK_DELIVER)
    assert (delivery.status, delivery.attempts) == (JobStatus.PARKED.value, 1)
    assert len(receiver.requests) == 1


async def test_deliveries_for_a_deleted_endpoint_are_dropped_quietly(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    with receiving() as (base, receiver):
        endpoint = await create_endpoint(client, admin_headers, url=f"{base}/hook", allow_private=True)
        await emit_committed(app, INQUIRY_CREATED, EVENT_DATA)
        worker = make_worker(app)
        assert await worker.run_once() == 1  # fan-out only: the delivery is queued
        deleted = await client.delete(f"/api/v1/admin/webhooks/{endpoint['id']}", headers=admin_headers)
        assert deleted.status_code == 204
        assert await drain(worker) == 1
    assert receiver.requests == []
    [delivery] = await jobs_of(app, WEBHOOK_DELIVER)
    assert delivery.status == JobStatus.DONE.value


async def test_ping_is_one_signed_attempt_and_inactive_endpoints_refuse_it(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    with receiving() as (base, receiver):
        endpoint = await create_endpoint(client, admin_headers, url=f"{base}/hook", allow_private=True)
        queued = await client.post(f"/api/v1/admin/webhooks/{endpoint['id']}/test", headers=admin_headers)
        assert queued.status_code == 202, queued.text
        assert await drain(make_worker(app)) == 1
        [(_, headers, body)] = receiver.requests
    assert headers["x-gogaek-event"] == "ping"
    assert headers["x-gogaek-delivery"] == queued.json()["delivery_id"]
    assert verify_signature(endpoint["secret"], headers["x-gogaek-signature"], body, now=int(time.time()))
    job = (await client.get(f"/api/v1/admin/jobs/{queued.json()['job_id']}", headers=admin_headers)).json()
    assert (job["status"], job["max_attempts"]) == ("done", 1)
    assert ("webhook.test", "webhook", str(endpoint["id"])) in await audit_actions(app)

    path = f"/api/v1/admin/webhooks/{endpoint['id']}"
    await client.patch(path, json={"is_active": False}, headers=admin_headers)
    refused = await client.post(f"{path}/test", headers=admin_headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "webhook_inactive"


# --- jobs admin -----------------------------------------------------------------------------


async def test_only_parked_jobs_can_be_retried_or_dropped(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    async with app.state.sessionmaker() as db:
        pending = Job(kind="test.pending", payload={})
        parked = Job(kind="test.parked", payload={}, status=JobStatus.PARKED.value, attempts=8, last_error="boom")
        db.add_all([pending, parked])
        await db.commit()

    listed = (await client.get("/api/v1/admin/jobs", headers=admin_headers)).json()
    assert [job["id"] for job in listed] == [parked.id, pending.id]  # newest first
    only_pending = await client.get("/api/v1/admin/jobs", params={"status": "pending"}, headers=admin_headers)
    assert [job["id"] for job in only_pending.json()] == [pending.id]
    bad_status = await client.get("/api/v1/admin/jobs", params={"status": "exploded"}, headers=admin_headers)
    assert bad_status.status_code == 422
    by_kind = await client.get("/api/v1/admin/jobs", params={"kind": "test.parked"}, headers=admin_headers)
    assert [job["last_error"] for job in by_kind.json()] == ["boom"]

    for method, path in (
        ("POST", f"/api/v1/admin/jobs/{pending.id}/retry"),
        ("DELETE", f"/api/v1/admin/jobs/{pending.id}"),
    ):
        response = await client.request(method, path, headers=admin_headers)
        assert response.status_code == 409
        assert response.json()["code"] == "job_not_parked"

    assert (await client.delete(f"/api/v1/admin/jobs/{parked.id}", headers=admin_headers)).status_code == 204
    assert (await client.get(f"/api/v1/admin/jobs/{parked.id}", headers=admin_headers)).status_code == 404
    assert (await client.delete(f"/api/v1/admin/jobs/{parked.id}", headers=admin_headers)).status_code == 404
    assert await audit_actions(app) == [("job.drop", "job", str(parked.id))]
