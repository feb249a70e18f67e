"""Notices follow their publish window; helpful votes count once per visitor."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx


async def test_notice_publish_window_and_pinning(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    now = datetime.now(UTC)
    notices = [
        {
            "title": "지난 공지",
            "body": "끝남",
            "status": "published",
            "publish_from": (now - timedelta(days=10)).isoformat(),
            "publish_until": (now - timedelta(days=1)).isoformat(),
        },
        {
            "title": "예정 공지",
            "body": "곧",
            "status": "published",
            "publish_from": (now + timedelta(days=1)).isoformat(),
        },
        {"title": "보이스피싱 주의", "body": "**주의**", "status": "published", "pinned": True},
        {
            "title": "점검 안내",
            "body": "점검",
            "status": "published",
            "publish_from": (now - timedelta(hours=1)).isoformat(),
        },
        {"title": "초안", "body": "아직", "status": "draft"},
    ]
    ids = []
    for notice in notices:
        response = await client.post("/api/v1/admin/notices", json=notice, headers=admin_headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    visible = (await client.get("/api/v1/notices")).json()
    assert [n["title"] for n in visible] == ["보이스피싱 주의", "점검 안내"]
    assert (await client.get(f"/api/v1/notices/{ids[1]}")).status_code == 404
    assert (await client.get(f"/api/v1/notices/{ids[4]}")).status_code == 404
    all_notices = (await client.get("/api/v1/admin/notices", headers=admin_headers)).json()
    assert len(all_notices) == 5


async def test_local_times_without_offset_mean_korean_time(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/admin/notices",
        json={"title": "연휴 안내", "body": "휴무", "publish_from": "2026-09-20T09:00:00"},
        headers=admin_headers,
    )
    assert response.status_code == 201
    published_from = datetime.fromisoformat(response.json()["publish_from"])
    assert published_from == datetime(2026, 9, 20, 0, 0, tzinfo=UTC)


async def test_publish_window_must_end_after_it_starts(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/admin/notices",
        json={
            "title": "잘못된 기간",
            "body": "x",
            "publish_from": "2026-10-02T00:00:00+09:00",
            "publish_until": "2026-10-01T00:00:00+09:00",
        },
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_publish_window"
    assert (await client.get("/api/v1/admin/notices", headers=admin_headers)).json() == []


async def test_helpful_votes_count_once_per_visitor_and_can_change(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await client.post("/api/v1/admin/categories", json={"slug": "points", "name": "포인트"}, headers=admin_headers)
    article = (
        await client.post(
            "/api/v1/admin/articles",
            json={
                "category": "points",
                "question": "포인트 유효기간은?",
                "answer": "5년",
                "status": "published",
            },
            headers=admin_headers,
        )
    ).json()
    url = f"/api/v1/faq/articles/{article['id']}/votes"
    client.cookies.set("gogaek_visitor", "visitor-a")
    assert (await client.post(url, json={"helpful": True})).json() == {
        "helpful_yes": 1,
        "helpful_no": 0,
    }
    assert (await client.post(url, json={"helpful": True})).json() == {
        "helpful_yes": 1,
        "helpful_no": 0,
    }
    assert (await client.post(url, json={"helpful": False})).json() == {
        "helpful_yes": 0,
        "helpful_no": 1,
    }
    client.cookies.set("gogaek_visitor", "visitor-b")
    assert (await client.post(url, json={"helpful": True})).json() == {
        "helpful_yes": 1,
        "helpful_no": 1,
    }
    assert (await client.post("/api/v1/faq/articles/999999/votes", json={"helpful": True})).status_code == 404
    assert (await client.post(url, json={"helpful": "maybe"})).status_code == 422


async def test_simultaneous_first_votes_of_one_visitor_count_once(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """A double tap sends two requests at once; both must succeed and leave one vote."""
    await client.post("/api/v1/admin/categories", json={"slug": "points", "name": "포인트"}, headers=admin_headers)
    article = (
        await client.post(
            "/api/v1/admin/articles",
            json={"category": "points", "question": "포인트 적립은?", "answer": "결제 시", "status": "published"},
            headers=admin_headers,
        )
    ).json()
    client.cookies.set("gogaek_visitor", "double-tapper")
    url = f"/api/v1/faq/articles/{article['id']}/votes"
    responses = await asyncio.gather(*(client.post(url, json={"helpful": True}) for _ in range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    final = (await client.get(f"/api/v1/faq/articles/{article['id']}")).json()
    assert (final["helpful_yes"], final["helpful_no"]) == (1, 0)
