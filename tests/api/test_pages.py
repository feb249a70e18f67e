"""Server-rendered pages as a browser without JavaScript sees them: customer help center
and the cookie-session admin area with CSRF-protected forms."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.helpcenter import admin_pages
from gogaek.helpcenter import pages as helpcenter_pages
from gogaek.identity import pages as identity_pages
from gogaek.identity.models import StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.search.engine import SearchAnswer
from gogaek.web.csrf import verified_form
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

HTML = {"Accept": "text/html,application/xhtml+xml"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that asks for HTML (so errors come back as pages) and keeps cookies."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=HTML) as http:
        yield http


@pytest.fixture
async def admin_user(session: AsyncSession) -> None:
    await create_staff_user(
        session,
        StaffCreate(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, display_name="관리자", role=StaffRole.ADMIN),
    )


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def post_form(browser: httpx.AsyncClient, page: str, action: str, data: dict[str, Any]) -> httpx.Response:
    """Like a person would: open the page, then submit its form with the page's token."""
    token = csrf_of((await browser.get(page)).text)
    return await browser.post(action, data={"csrf_token": token, **data})


async def sign_in(browser: httpx.AsyncClient, password: str = ADMIN_PASSWORD) -> httpx.Response:
    return await post_form(browser, "/admin/login", "/admin/login", {"email": ADMIN_EMAIL, "password": password})


async def first_result_id(client: httpx.AsyncClient, query: str) -> int:
    response = await client.get("/api/v1/faq/search", params={"q": query})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results, f"no search result for {query!r}"
    return int(results[0]["id"])


async def found_questions(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get("/api/v1/faq/search", params={"q": query})
    return [result["question"] for result in response.json()["results"]]


# --- customer pages -------------------------------------------------------------------------


@pytest.mark.usefixtures("demo_content")
async def test_every_public_page_renders_with_its_korean_text(browser: httpx.AsyncClient) -> None:
    article_id = await first_result_id(browser, "송금 지연")
    notice_id = (await browser.get("/api/v1/notices")).json()[0]["id"]
    expectations = {
        "/": ["무엇을 도와드릴까요?", "카테고리", "자주 묻는 질문", "중요 공지", 'href="tel:', "운영 시간"],
        "/categories/transfer": ["송금", 'href="/articles/'],
        f"/articles/{article_id}": ["도움이 되었나요?", "관련 질문", "최종 수정", 'name="csrf_token"'],
        "/search?q=송금": ["검색 결과", 'class="result-snippet"'],
        "/notices": ["공지사항", "중요"],
        f"/notices/{notice_id}": ["목록으로"],
        "/contact": ["상담 안내", "1:1 문의"],
    }
    for url, texts in expectations.items():
        response = await browser.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
        assert '<meta name="viewport"' in response.text
        for text in texts:
            assert text in response.text, f"{text!r} missing on {url}"


@pytest.mark.usefixtures("demo_content")
async def test_article_answer_is_the_sanitised_html_and_views_are_counted(
    browser: httpx.AsyncClient,
) -> None:
    article_id = await first_result_id(browser, "송금 지연")
    before = (await browser.get(f"/api/v1/faq/articles/{article_id}")).json()
    page = await browser.get(f"/articles/{article_id}")
    assert before["answer_html"] in page.text
    after = (await browser.get(f"/api/v1/faq/articles/{article_id}")).json()
    assert after["view_count"] == before["view_count"] + 1


@pytest.mark.usefixtures("demo_content")
async def test_unknown_or_hidden_things_answer_a_404_page(
    browser: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    draft = await browser.post(
        "/api/v1/admin/articles",
        json={"category": "송금", "question": "초안 질문입니다", "answer": "아직"},
        headers=admin_headers,
    )
    hidden = await browser.post(
        "/api/v1/admin/notices", json={"title": "초안 공지", "body": "x"}, headers=admin_headers
    )
    for url in (
        "/categories/no-such-category",
        "/articles/99999999",
        "/articles/abc",
        "/articles/99999999999999999999",
        f"/articles/{draft.json()['id']}",
        f"/notices/{hidden.json()['id']}",
        "/no/such/page",
    ):
        response = await browser.get(url)
        assert response.status_code == 404, url
        assert "찾을 수 없" in response.text
        assert "고객센터 홈으로" in response.text


@pytest.mark.usefixtures("demo_content")
async def test_hostile_queries_are_shown_escaped(
    browser: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = '<script>alert("x")</script>'
    real_answer = app.state.search_index.answer

    async def answer_with_hostile_correction(query: str, limit: int, **options: str | None) -> SearchAnswer:
        return SearchAnswer((await real_answer(query, limit, **options)).hits, hostile + " 송금")

    monkeypatch.setattr(app.state.search_index, "answer", answer_with_hostile_correction)
    response = await browser.get("/search", params={"q": hostile})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert "이것을 찾으셨나요?" in response.text
    assert "/search?q=%3Cscript%3E" in response.text


@pytest.mark.usefixtures("demo_content")
async def test_bad_queries_explain_themselves_on_the_page(browser: httpx.AsyncClient) -> None:
    too_long = await browser.get("/search", params={"q": "송금" * 150})
    assert too_long.status_code == 422
    assert "검색어는 200자 이하로 입력해 주세요" in too_long.text
    assert "송금송금" in too_long.text  # what was typed stays in the box
    for params in ({"q": "   "}, {}):
        empty = await browser.get("/search", params=params)
        assert empty.status_code == 422
        assert "검색어를 입력해 주세요" in empty.text


@pytest.mark.usefixtures("demo_content")
async def test_no_match_offers_categories_and_people(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/search", params={"q": "비트코인 시세 전망 알려줘"})
    assert response.status_code == 200
    offers = ("찾으시는 답변이 없나요?", "1:1 문의하기", 'href="/chat"', 'href="/callbacks/new"')
    for text in (*offers, 'href="/categories/transfer"', 'href="tel:'):
        assert text in response.text
    assert 'id="no-match"' in response.text


@pytest.mark.usefixtures("demo_content")
async def test_an_answered_query_shows_no_no_match_panel(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/search", params={"q": "송금 취소"})
    assert 'class="result-title"' in response.text and 'id="no-match"' not in response.text


@pytest.mark.usefixtures("demo_content")
async def test_helpful_vote_works_without_javascript(browser: httpx.AsyncClient) -> None:
    article_id = await first_result_id(browser, "송금 지연")
    page = f"/articles/{article_id}"
    response = await post_form(browser, page, f"{page}/vote", {"helpful": "yes"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?voted=yes#feedback"
    thanks = await browser.get(response.headers["location"])
    assert "소중한 의견 감사합니다" in thanks.text
    assert (await browser.get(f"/api/v1/faq/articles/{article_id}")).json()["helpful_yes"] == 1


@pytest.mark.usefixtures("demo_content")
async def test_vote_without_a_valid_token_is_refused(browser: httpx.AsyncClient) -> None:
    article_id = await first_result_id(browser, "송금 지연")
    await browser.get(f"/articles/{article_id}")
    for data in ({"helpful": "yes"}, {"helpful": "yes", "csrf_token": "forged"}):
        response = await browser.post(f"/articles/{article_id}/vote", data=data)
        assert response.status_code == 403
        assert "보안 확인에 실패했습니다" in response.text
    assert (await browser.get(f"/api/v1/faq/articles/{article_id}")).json()["helpful_yes"] == 0


# --- admin sign-in --------------------------------------------------------------------------


async def test_admin_pages_send_anonymous_visitors_to_sign_in(browser: httpx.AsyncClient) -> None:
    for url in ("/admin", "/admin/articles/new", "/admin/articles/1/edit", "/admin/notices/new"):
        response = await browser.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/admin/login?next=/admin")
    response = await browser.post("/admin/articles/new", data={"question": "x"})
    assert response.status_code == 303


@pytest.mark.usefixtures("admin_user")
async def test_sign_in_failure_is_explained_and_keeps_the_email(browser: httpx.AsyncClient) -> None:
    response = await sign_in(browser, password="wrong-password")
    assert response.status_code == 401
    assert "이메일 또는 비밀번호가 올바르지 않습니다" in response.text
    assert f'value="{ADMIN_EMAIL}"' in response.text
    assert "wrong-password" not in response.text
    assert (await browser.get("/admin")).status_code == 303


@pytest.mark.usefixtures("admin_user")
async def test_sign_in_rotates_the_token_and_sign_out_ends_the_session(
    browser: httpx.AsyncClient,
) -> None:
    before = csrf_of((await browser.get("/admin/login")).text)
    response = await sign_in(browser)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    dashboard = await browser.get("/admin")
    assert dashboard.status_code == 200
    assert "FAQ 관리" in dashboard.text
    assert csrf_of(dashboard.text) != before
    stale = await browser.post("/admin/logout", data={"csrf_token": before})
    assert stale.status_code == 403
    response = await post_form(browser, "/admin", "/admin/logout", {})
    assert response.status_code == 303
    assert (await browser.get("/admin")).status_code == 303


@pytest.mark.usefixtures("admin_user")
async def test_sign_in_never_redirects_off_site(browser: httpx.AsyncClient) -> None:
    token = csrf_of((await browser.get("/admin/login")).text)
    data = {"csrf_token": token, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    response = await browser.post("/admin/login", data={**data, "next": "https://evil.example/"})
    assert response.headers["location"] == "/admin"


async def test_agents_cannot_use_the_admin_pages(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    await create_staff_user(
        session,
        StaffCreate(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, display_name="상담사"),
    )
    response = await sign_in(browser)
    assert response.status_code == 403
    assert "관리자 또는 슈퍼바이저 계정만" in response.text


async def test_sign_in_form_without_token_is_refused(browser: httpx.AsyncClient) -> None:
    response = await browser.post("/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 403
    assert "보안 확인에 실패했습니다" in response.text


def _depends_on(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def test_every_html_post_checks_the_csrf_token() -> None:
    routes = [
        route
        for router in (helpcenter_pages.router, admin_pages.router, identity_pages.router)
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or set())
    ]
    assert len(routes) >= 10
    for route in routes:
        assert _depends_on(route.dependant, verified_form), route.path


# --- admin content --------------------------------------------------------------------------

NEW_ARTICLE = {
    "question": "고객머니 선물하기는 어떻게 하나요 꿀벌선물",
    "category": "transfer",
    "answer": "`송금 > 선물하기`에서 **받는 분**을 고르세요.",
    "tags": "선물, 고객머니",
    "alternates": "머니 선물\n선물 보내기",
    "status": "published",
}


@pytest.mark.usefixtures("demo_content", "admin_user")
async def test_article_created_with_the_form_is_searchable_at_once(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    response = await post_form(browser, "/admin/articles/new", "/admin/articles/new", NEW_ARTICLE)
    assert response.status_code == 303, response.text
    edit_url = response.headers["location"]
    edit_page = await browser.get(edit_url)
    assert "저장했습니다" in edit_page.text
    assert "선물, 고객머니" in edit_page.text
    found = (await browser.get("/api/v1/faq/search", params={"q": "꿀벌선물"})).json()
    assert [r["question"] for r in found["results"]][:1] == [NEW_ARTICLE["question"]]
    article = (await browser.get(f"/api/v1/faq/articles/{found['results'][0]['id']}")).json()
    assert article["tags"] == ["선물", "고객머니"]
    assert article["alternates"] == ["머니 선물", "선물 보내기"]
    assert "<strong>받는 분</strong>" in article["answer_html"]


@pytest.mark.usefixtures("demo_content", "admin_user")
async def test_invalid_article_form_keeps_everything_typed(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    typed = {**NEW_ARTICLE, "question": "x", "category": "", "answer": "길게 쓴 <답변> 내용"}
    response = await post_form(browser, "/admin/articles/new", "/admin/articles/new", typed)
    assert response.status_code == 422
    assert "질문은 2자 이상 입력해 주세요." in response.text
    assert "카테고리를 입력해 주세요." in response.text
    assert "길게 쓴 &lt;답변&gt; 내용</textarea>" in response.text
    assert "머니 선물\n선물 보내기</textarea>" in response.text
    assert 'value="선물, 고객머니"' in response.text
    assert NEW_ARTICLE["question"] not in await found_questions(browser, "꿀벌선물")


@pytest.mark.usefixtures("demo_content", "admin_user")
async def test_edit_unpublish_publish_and_delete_follow_into_search(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser)
    article_id = await first_result_id(browser, "송금 지연")
    edit = f"/admin/articles/{article_id}/edit"
    page = (await browser.get(edit)).text
    assert "송금했는데 받는 사람 계좌에" in page
    values = {**NEW_ARTICLE, "question": "송금했는데 아직 입금 안 됐어요 펭귄송금"}
    response = await post_form(browser, edit, edit, values)
    assert response.status_code == 303
    assert await first_result_id(browser, "펭귄송금") == article_id

    async def searchable() -> bool:
        found = (await browser.get("/api/v1/faq/search", params={"q": "펭귄송금"})).json()
        return any(r["id"] == article_id for r in found["results"])

    assert (await post_form(browser, edit, f"/admin/articles/{article_id}/unpublish", {})).status_code == 303
    assert not await searchable()
    assert (await browser.get(f"/articles/{article_id}")).status_code == 404
    assert (await post_form(browser, edit, f"/admin/articles/{article_id}/publish", {})).status_code == 303
    assert await searchable()
    response = await post_form(browser, edit, f"/admin/articles/{article_id}/delete", {})
    assert response.headers["location"] == "/admin"
    assert not await searchable()
    assert (await browser.get(edit)).status_code == 404


@pytest.mark.usefixtures("demo_content", "admin_user")
async def test_admin_form_post_without_token_changes_nothing(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    response = await browser.post("/admin/articles/new", data=NEW_ARTICLE)
    assert response.status_code == 403
    assert NEW_ARTICLE["question"] not in await found_questions(browser, "꿀벌선물")


@pytest.mark.usefixtures("admin_user")
async def test_notice_forms_create_edit_and_delete(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    notice = {
        "title": "점검 안내",
        "body": "**새벽** 점검",
        "kind": "notice",
        "pinned": "on",
        "status": "published",
        "publish_from": "",
        "publish_until": "",
    }
    response = await post_form(browser, "/admin/notices/new", "/admin/notices/new", notice)
    assert response.status_code == 303, response.text
    edit = response.headers["location"]
    listed = (await browser.get("/notices")).text
    assert "점검 안내" in listed and "중요" in listed
    bad = {**notice, "publish_from": "2026-10-02T00:00", "publish_until": "2026-10-01T00:00"}
    response = await post_form(browser, edit, edit, bad)
    assert response.status_code == 422
    assert "게시 종료 시각은 시작 시각보다 뒤여야 합니다" in response.text
    assert 'value="2026-10-02T00:00"' in response.text
    response = await post_form(browser, edit, edit, {**notice, "title": "점검 안내 (변경)"})
    assert response.status_code == 303
    assert "점검 안내 (변경)" in (await browser.get("/notices")).text
    notice_id = edit.split("/")[-2]
    response = await post_form(browser, edit, f"/admin/notices/{notice_id}/delete", {})
    assert response.status_code == 303
    assert "점검 안내" not in (await browser.get("/notices")).text
