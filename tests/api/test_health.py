"""Liveness and readiness as an operator's load balancer sees them."""

from __future__ import annotations

import httpx


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
