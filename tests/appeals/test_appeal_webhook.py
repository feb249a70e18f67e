"""The host app hears of every decision: ``appeal.decided`` delivered, signed, to a real HTTP server."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi import FastAPI

from gogaek.config import Settings
from gogaek.events import APPEAL_DECIDED
from gogaek.notify.webhooks import verify_signature
from tests.api.test_webhooks_api import create_endpoint, drain, make_worker, receiving
from tests.appeals.conftest import file_appeal, host_headers


@pytest.mark.usefixtures("restrictions")
async def test_appeal_decided_reaches_the_host_app(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    admin_headers: dict[str, str],
    agent_headers: dict[str, str],
) -> None:
    with receiving() as (base, receiver):
        endpoint = await create_endpoint(
            client, admin_headers, url=f"{base}/appeals", events=[APPEAL_DECIDED], allow_private=True
        )
        filed = await file_appeal(client, host_headers(settings, "pay-user-42"), restriction_ref="RS-1")
        assert filed.status_code == 201, filed.text
        appeal = filed.json()
        worker = make_worker(app)
        await drain(worker)
        assert receiver.requests == []  # filing is an inquiry event; this endpoint only wants decisions

        decided = await client.post(
            f"/api/v1/agent/appeals/{appeal['inquiry_id']}/decision",
            json={"outcome": "kept", "reason": "반복된 이상 거래"},
            headers=agent_headers,
        )
        assert decided.status_code == 200, decided.text
        await drain(worker)

    [(path, headers, body)] = receiver.requests
    assert path == "/appeals"
    assert verify_signature(endpoint["secret"], headers["x-gogaek-signature"], body, now=int(time.time()))
    envelope = json.loads(body)
    assert envelope["event"] == headers["x-gogaek-event"] == APPEAL_DECIDED
    data = envelope["data"]
    assert data == {
        "appeal_id": appeal["id"],
        "inquiry_id": appeal["inquiry_id"],
        "number": appeal["number"],
        "customer_id": data["customer_id"],
        "customer_external_id": "pay-user-42",
        "outcome": "kept",
        "reason": "반복된 이상 거래",
        "restricted_on": appeal["restricted_on"],
        "restriction_ref": "RS-1",
    }
    assert isinstance(data["customer_id"], int)
