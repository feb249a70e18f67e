"""The search insight loop: searches are logged (masked, no customer), the admin page counts
them, and a query turned into an alternate phrasing is found by the next search."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.helpcenter.models import Article
from gogaek.search.models import SearchQueryLog
from tests.api.test_pages import admin_user, browser, csrf_of, sign_in

__all__ = ["admin_user", "browser"]  # fixtures shared with test_pages.py
pytestmark = pytest.mark.usefixtures("demo_content")

INSIGHTS = "/admin/search-insights"
SLANG = "꿀머니 채우는 법"  # words no demo article uses together
OFF_TOPIC = "오늘 저녁 뭐 먹지"  # the engine says no match


async def logged(app: FastAPI) -> list[SearchQueryLog]:
    await app.state.search_index.query_log.flush()
    async with app.state.sessionmaker() as db:
        return list((await db.scalars(select(SearchQueryLog).order_by(SearchQueryLog.id))).all())


async def test_customer_searches_are_logged_masked_and_the_app_s_own_are_not(
    app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    assert (await client.get("/api/v1/faq/search", params={"q": "송금 취소 010-1234-5678"})).status_code == 200
    assert (await browser.get("/search", params={"q": OFF_TOPIC})).status_code == 200
    assert (await client.get("/api/v1/faq/suggest", params={"q": "송금"})).status_code == 200  # typing, not searching
    api, page = await logged(app)
    assert (api.source, page.source) == ("api", "search_page")
    assert "010-1234-5678" not in api.query and api.query.startswith("송금 취소 ")
    assert api.result_count > 0 and api.top_article_id is not None and not api.no_match
    assert (page.query, page.normalized, page.no_match) == (OFF_TOPIC, "오늘저녁뭐먹지", True)
    assert {column.name for column in SearchQueryLog.__table__.columns}.isdisjoint({"customer_id", "ip"})


@pytest.mark.usefixtures("admin_user")
async def test_the_insight_page_counts_queries_that_differ_only_in_spacing(
    app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    for query in ("카드 등록", "카드등록", "카드 등록?", OFF_TOPIC, OFF_TOPIC, "오늘 저녁 뭐 먹지!"):
        assert (await client.get("/api/v1/faq/search", params={"q": query})).status_code == 200
    await logged(app)
    await sign_in(browser)
    assert f'href="{INSIGHTS}"' in (await browser.get("/admin")).text
    page = await browser.get(INSIGHTS, params={"days": 7})
    assert page.status_code == 200
    unanswered, top = page.text.split("많이 찾는 검색어</h2>")
    assert "<td>오늘 저녁 뭐 먹지!</td>\n      <td>3</td>\n      <td>3 (100%)</td>" in unanswered  # latest wording
    assert "카드 등록" not in unanswered
    assert "<td>카드 등록?</td>\n      <td>3</td>\n      <td>0 (0%)</td>" in top
    assert (await browser.get(INSIGHTS, params={"days": 12345})).status_code == 200  # falls back to 30 days


async def test_insight_pages_are_for_signed_in_admins_only(browser: httpx.AsyncClient) -> None:
    for url in (INSIGHTS, f"{INSIGHTS}/query?q=x"):
        response = await browser.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")
    response = await browser.post(f"{INSIGHTS}/alternates", data={"q": SLANG, "article_id": "1"})
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")


async def article_about(session: AsyncSession, words: str) -> Article:
    article = await session.scalar(select(Article).where(Article.question.contains(words)).order_by(Article.id))
    assert article is not None, words
    return article


@pytest.mark.usefixtures("admin_user")
async def test_a_query_added_as_an_alternate_phrasing_is_found_by_the_next_search(
    app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    target = await article_about(session, "어떻게 충전하나요")
    before = (await client.get("/api/v1/faq/search", params={"q": SLANG})).json()
    assert not before["results"] or before["results"][0]["id"] != target.id or before["no_match"]

    await sign_in(browser)
    query_page = await browser.get(f"{INSIGHTS}/query", params={"q": SLANG})
    assert query_page.status_code == 200
    assert f"/admin/articles/new?question={quote(SLANG)}" in query_page.text
    new_form = await browser.get("/admin/articles/new", params={"question": SLANG})
    assert f'value="{SLANG}"' in new_form.text  # the new-FAQ form starts from the query

    data = {"csrf_token": csrf_of(query_page.text), "q": SLANG, "article_id": str(target.id)}
    response = await browser.post(f"{INSIGHTS}/alternates", data=data)
    assert response.status_code == 303
    after = (await client.get("/api/v1/faq/search", params={"q": SLANG})).json()
    assert after["results"][0]["id"] == target.id and not after.get("no_match")
    follow = await browser.get(response.headers["location"])
    assert "다른 표현으로 추가했습니다" in follow.text

    again = await browser.post(f"{INSIGHTS}/alternates", data={**data, "q": "꿀머니채우는 법"})  # the same, spaced
    assert "이미 이 글의 질문이나 다른 표현에 있습니다" in (await browser.get(again.headers["location"])).text
    async with app.state.sessionmaker() as db:
        stored = await db.get(Article, target.id)
        assert stored is not None and stored.alternates.count(SLANG) == 1
        audit = (await db.scalars(select(AuditEntry).where(AuditEntry.action == "faq.alternate_added"))).all()
    assert [(entry.target_id, entry.detail) for entry in audit] == [(str(target.id), {"phrasing": SLANG})]


@pytest.mark.usefixtures("admin_user")
async def test_adding_without_the_csrf_token_changes_nothing(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    target = await article_about(session, "어떻게 충전하나요")
    await sign_in(browser)
    response = await browser.post(f"{INSIGHTS}/alternates", data={"q": SLANG, "article_id": str(target.id)})
    assert response.status_code == 403
    await session.refresh(target)
    assert SLANG not in (target.alternates or [])
