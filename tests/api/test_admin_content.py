"""The admin API: sign-in, then create, edit, publish, unpublish and delete content."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import commit_unique
from gogaek.errors import ProblemError
from gogaek.helpcenter.service import external_id_taken
from tests.conftest import ADMIN_EMAIL

ARTICLE = {
    "category": "송금",
    "question": "송금을 취소하고 싶어요",
    "answer": "받는 분이 **받기 전**에는 `전체 > 송금 내역`에서 취소할 수 있어요.",
    "tags": ["송금", "취소"],
    "alternates": ["이체 취소", "돈 보낸 거 취소"],
}


@pytest.fixture
async def category(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, object]:
    response = await client.post(
        "/api/v1/admin/categories",
        json={"slug": "transfer", "name": "송금", "description": "보내기와 받기"},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_admin_api_refuses_anonymous_and_bad_tokens(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        response = await client.post("/api/v1/admin/articles", json=ARTICLE, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthorized"


async def test_wrong_password_is_refused_and_five_failures_lock(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for _ in range(5):
        response = await client.post("/api/v1/admin/login", json={"email": ADMIN_EMAIL, "password": "wrong-password"})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    response = await client.post("/api/v1/admin/login", json={"email": ADMIN_EMAIL, "password": "wrong-password"})
    assert response.json()["code"] == "account_locked"


async def test_article_lifecycle_draft_publish_edit_unpublish_delete(
    client: httpx.AsyncClient, admin_headers: dict[str, str], category: dict[str, object]
) -> None:
    created = await client.post("/api/v1/admin/articles", json=ARTICLE, headers=admin_headers)
    assert created.status_code == 201, created.text
    article = created.json()
    assert article["status"] == "draft"
    assert article["category"]["slug"] == "transfer"
    assert "<strong>받기 전</strong>" in article["answer_html"]
    article_id = article["id"]

    assert (await client.get(f"/api/v1/faq/articles/{article_id}")).status_code == 404

    published = await client.post(f"/api/v1/admin/articles/{article_id}/publish", headers=admin_headers)
    assert published.json()["status"] == "published"
    public = await client.get(f"/api/v1/faq/articles/{article_id}")
    assert public.status_code == 200
    categories = (await client.get("/api/v1/faq/categories")).json()
    assert categories == [
        {
            "id": category["id"],
            "slug": "transfer",
            "name": "송금",
            "description": "보내기와 받기",
            "position": 0,
            "article_count": 1,
            "requires_verification": False,
        }
    ]

    edited = await client.patch(
        f"/api/v1/admin/articles/{article_id}",
        json={"question": "보낸 돈을 취소할 수 있나요?", "tags": ["송금취소"]},
        headers=admin_headers,
    )
    assert edited.json()["question"] == "보낸 돈을 취소할 수 있나요?"
    assert edited.json()["tags"] == ["송금취소"]

    await client.post(f"/api/v1/admin/articles/{article_id}/unpublish", headers=admin_headers)
    assert (await client.get(f"/api/v1/faq/articles/{article_id}")).status_code == 404

    deleted = await client.delete(f"/api/v1/admin/articles/{article_id}", headers=admin_headers)
    assert deleted.status_code == 204
    missing = await client.get(f"/api/v1/admin/articles/{article_id}", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_unknown_category_is_a_clear_422_and_nothing_is_written(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/admin/articles",
        json={**ARTICLE, "category": "없는카테고리"},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_category"
    assert (await client.get("/api/v1/admin/articles", headers=admin_headers)).json() == []


async def test_missing_fields_and_oversized_text_are_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str], category: dict[str, object]
) -> None:
    bad_bodies = [
        {"category": "송금", "answer": "답"},
        {**ARTICLE, "question": "질" * 301},
        {**ARTICLE, "tags": ["t"] * 21},
        {**ARTICLE, "status": "secret"},
    ]
    for body in bad_bodies:
        response = await client.post("/api/v1/admin/articles", json=body, headers=admin_headers)
        assert response.status_code == 422, body
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"]
    not_json = await client.post(
        "/api/v1/admin/articles",
        content=b"{oops",
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 422


async def test_markdown_is_sanitised_no_script_no_javascript_links(
    client: httpx.AsyncClient, admin_headers: dict[str, str], category: dict[str, object]
) -> None:
    hostile = (
        "<script>alert(1)</script> [클릭](javascript:alert(1)) <img src=x onerror=alert(1)> [안내](https://example.com)"
    )
    response = await client.post("/api/v1/admin/articles", json={**ARTICLE, "answer": hostile}, headers=admin_headers)
    html = response.json()["answer_html"]
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html  # shown escaped, not dropped silently
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


async def test_category_in_use_cannot_be_deleted(
    client: httpx.AsyncClient, admin_headers: dict[str, str], category: dict[str, object]
) -> None:
    await client.post("/api/v1/admin/articles", json=ARTICLE, headers=admin_headers)
    response = await client.delete(f"/api/v1/admin/categories/{category['id']}", headers=admin_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "category_in_use"


async def test_duplicate_category_slug_is_a_conflict(
    client: httpx.AsyncClient, admin_headers: dict[str, str], category: dict[str, object]
) -> None:
    response = await client.post(
        "/api/v1/admin/categories",
        json={"slug": "transfer", "name": "다른 이름"},
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "category_exists"


async def test_renaming_a_category_shows_in_search_results(
    client: httpx.AsyncClient, admin_headers: dict[str, str], category: dict[str, object]
) -> None:
    await client.post("/api/v1/admin/articles", json={**ARTICLE, "status": "published"}, headers=admin_headers)
    renamed = await client.patch(
        f"/api/v1/admin/categories/{category['id']}", json={"name": "보내기"}, headers=admin_headers
    )
    assert renamed.json()["name"] == "보내기"
    results = (await client.get("/api/v1/faq/search", params={"q": "송금 취소"})).json()["results"]
    assert results[0]["category"] == "보내기"


async def test_a_lost_race_on_a_unique_value_is_a_409_not_a_500(
    client: httpx.AsyncClient, admin_headers: dict[str, str], category: dict[str, object], session: AsyncSession
) -> None:
    """Both requests passed the lookup; the database's unique constraint decides."""
    from gogaek.helpcenter.models import Article

    first = await client.post("/api/v1/admin/articles", json={**ARTICLE, "external_id": "dup-1"}, headers=admin_headers)
    assert first.status_code == 201
    session.add(Article(external_id="dup-1", category_id=category["id"], question="q?", answer_md="a"))
    with pytest.raises(ProblemError) as raised:
        await commit_unique(session, external_id_taken)
    assert raised.value.status == 409
    assert raised.value.code == "external_id_exists"
    listed = (await client.get("/api/v1/admin/articles", headers=admin_headers)).json()
    assert [a["external_id"] for a in listed] == ["dup-1"]


async def test_html_is_rendered_and_sanitised_on_read_even_for_rows_written_elsewhere(
    client: httpx.AsyncClient, category: dict[str, object], session: AsyncSession
) -> None:
    """A row written around the service (an old version, a manual fix) is still made safe."""
    from gogaek.helpcenter.models import Article

    row = Article(
        category_id=category["id"],
        question="직접 넣은 글",
        answer_md="<script>alert(1)</script> [x](javascript:alert(1)) **굵게**",
        status="published",
    )
    session.add(row)
    await session.commit()
    html = (await client.get(f"/api/v1/faq/articles/{row.id}")).json()["answer_html"]
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<strong>굵게</strong>" in html
