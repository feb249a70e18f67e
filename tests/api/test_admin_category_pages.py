"""Admin pages for FAQ categories (카테고리 관리): list, create, edit, delete, on both backends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from gogaek.config import Settings
from gogaek.helpcenter import admin_category_pages
from gogaek.web.csrf import verified_form
from tests.api.test_pages import _depends_on, admin_user, browser, post_form, sign_in
from tests.conftest import customer_headers
from tests.phone.booking_helpers import book, open_slot, verified_headers

__all__ = ["admin_user", "browser"]  # fixtures shared with test_pages.py

LIST = "/admin/categories"
NEW = "/admin/categories/new"
CARD = {"name": "카드 결제", "slug": "card-payment", "description": "카드 결제 안내", "position": "7"}


async def api_categories(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/faq/categories")
    assert response.status_code == 200, response.text
    return {c["slug"]: c for c in response.json()}


async def create(browser: httpx.AsyncClient, data: dict[str, str] = CARD) -> int:
    response = await post_form(browser, NEW, NEW, data)
    assert response.status_code == 303, response.text
    return int((await api_categories(browser))[data["slug"]]["id"])


def field_error(html: str, name: str) -> str:
    start = html.index(f'id="{name}-error">') + len(f'id="{name}-error">')
    return html[start : html.index("</p>", start)]


async def test_category_pages_send_anonymous_visitors_to_sign_in(browser: httpx.AsyncClient) -> None:
    for url in (LIST, NEW, "/admin/categories/1/edit"):
        response = await browser.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"] == f"/admin/login?next={url}"
    for url in (NEW, "/admin/categories/1/edit", "/admin/categories/1/delete"):
        response = await browser.post(url, data={"name": "x"})
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/admin/login")


def test_every_category_post_checks_the_csrf_token() -> None:
    routes = [
        r for r in admin_category_pages.router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or set())
    ]
    assert len(routes) == 3
    for route in routes:
        assert _depends_on(route.dependant, verified_form), route.path


@pytest.mark.usefixtures("admin_user")
async def test_dashboard_links_to_the_category_list(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    assert 'href="/admin/categories"' in (await browser.get("/admin")).text
    page = await browser.get(LIST)
    assert page.status_code == 200
    assert "카테고리 관리" in page.text
    assert 'href="/admin/categories/new"' in page.text
    assert "아직 카테고리가 없습니다." in page.text


@pytest.mark.usefixtures("admin_user")
async def test_created_category_is_listed_and_public(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    form = await browser.get(NEW)
    assert "영문 소문자·숫자·하이픈" in form.text
    response = await post_form(browser, NEW, NEW, {**CARD, "name": "  카드 결제  "})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == LIST
    listed = await browser.get(LIST)
    assert "카테고리를 저장했습니다" in listed.text
    assert "카드 결제 안내" in listed.text
    created = (await api_categories(browser))["card-payment"]
    assert created == {
        "id": created["id"],
        "slug": "card-payment",
        "name": "카드 결제",
        "description": "카드 결제 안내",
        "position": 7,
        "article_count": 0,
        "requires_verification": False,
    }
    assert f'href="/admin/categories/{created["id"]}/edit"' in listed.text
    blank_position = await post_form(browser, NEW, NEW, {"name": "기타", "slug": "etc", "position": ""})
    assert blank_position.status_code == 303
    assert (await api_categories(browser))["etc"]["position"] == 0


@pytest.mark.usefixtures("admin_user")
async def test_edit_changes_every_field(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    category_id = await create(browser)
    edit = f"/admin/categories/{category_id}/edit"
    page = await browser.get(edit)
    assert page.status_code == 200
    for text in ('value="카드 결제"', 'value="card-payment"', "카드 결제 안내</textarea>", 'value="7"'):
        assert text in page.text
    changed = {"name": "신용카드", "slug": "credit-card", "description": "", "position": "2"}
    response = await post_form(browser, edit, edit, changed)
    assert response.status_code == 303, response.text
    categories = await api_categories(browser)
    assert "card-payment" not in categories
    assert categories["credit-card"]["id"] == category_id
    assert categories["credit-card"]["name"] == "신용카드"
    assert categories["credit-card"]["description"] == ""
    assert categories["credit-card"]["position"] == 2
    same = await post_form(browser, edit, edit, changed)  # its own slug and name are no duplicate
    assert same.status_code == 303
    for missing in ("/admin/categories/99999/edit", "/admin/categories/abc/edit"):
        assert (await browser.get(missing)).status_code == 404


@pytest.mark.usefixtures("demo_content", "admin_user")
async def test_duplicate_slug_or_name_is_explained_next_to_the_field(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    response = await post_form(browser, NEW, NEW, {**CARD, "slug": "transfer"})
    assert response.status_code == 409
    assert "같은 slug의 카테고리가 이미 있습니다" in field_error(response.text, "slug")
    assert 'value="카드 결제"' in response.text
    assert 'value="transfer"' in response.text
    response = await post_form(browser, NEW, NEW, {**CARD, "name": "송금"})
    assert response.status_code == 409
    assert "같은 이름의 카테고리가 이미 있습니다" in field_error(response.text, "name")
    assert "card-payment" not in await api_categories(browser)
    payment_id = (await api_categories(browser))["payment"]["id"]
    edit = f"/admin/categories/{payment_id}/edit"
    response = await post_form(browser, edit, edit, {"name": "결제", "slug": "transfer", "position": "0"})
    assert response.status_code == 409
    assert "같은 slug의 카테고리가 이미 있습니다" in field_error(response.text, "slug")
    assert "카테고리 삭제" in response.text  # still the edit page of that category
    assert (await api_categories(browser))["payment"]["name"] == "결제"


@pytest.mark.usefixtures("admin_user")
async def test_invalid_form_keeps_everything_typed(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    typed = {"name": "   ", "slug": "Card Payment!", "description": "<설명> 그대로", "position": "첫째"}
    response = await post_form(browser, NEW, NEW, typed)
    assert response.status_code == 422
    assert "영문 소문자·숫자·하이픈(-)으로 80자까지" in field_error(response.text, "slug")
    assert field_error(response.text, "name") == "이름을 입력해 주세요."
    assert field_error(response.text, "position") == "순서는 숫자로 입력해 주세요."
    assert 'value="Card Payment!"' in response.text
    assert "&lt;설명&gt; 그대로</textarea>" in response.text
    assert 'value="첫째"' in response.text
    assert await api_categories(browser) == {}
    empty_slug = await post_form(browser, NEW, NEW, {**CARD, "slug": "", "position": "10001"})
    assert empty_slug.status_code == 422
    assert field_error(empty_slug.text, "slug") == "slug를 입력해 주세요."
    assert field_error(empty_slug.text, "position") == "순서는 10000 이하로 입력해 주세요."
    category_id = await create(browser)
    edit = f"/admin/categories/{category_id}/edit"
    response = await post_form(browser, edit, edit, {**CARD, "slug": "-card"})
    assert response.status_code == 422
    assert 'value="-card"' in response.text
    assert "card-payment" in await api_categories(browser)


@pytest.mark.usefixtures("admin_user")
async def test_empty_category_is_deleted(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    category_id = await create(browser)
    edit = f"/admin/categories/{category_id}/edit"
    response = await post_form(browser, edit, f"/admin/categories/{category_id}/delete", {})
    assert response.status_code == 303
    assert response.headers["location"] == LIST
    assert "카테고리를 삭제했습니다" in (await browser.get(LIST)).text
    assert await api_categories(browser) == {}
    assert (await browser.get(edit)).status_code == 404
    gone = await post_form(browser, LIST, f"/admin/categories/{category_id}/delete", {})
    assert gone.status_code == 404


@pytest.mark.usefixtures("demo_content", "admin_user")
async def test_category_with_articles_is_not_deleted(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    before = await api_categories(browser)
    transfer_id = before["transfer"]["id"]
    edit = f"/admin/categories/{transfer_id}/edit"
    response = await post_form(browser, edit, f"/admin/categories/{transfer_id}/delete", {})
    assert response.status_code == 303
    assert response.headers["location"] == LIST
    listed = await browser.get(LIST)
    assert 'class="flash flash-error"' in listed.text
    assert "글이 있는 카테고리는 삭제할 수 없습니다" in listed.text
    assert await api_categories(browser) == before


@pytest.mark.usefixtures("admin_user")
async def test_category_posts_without_token_change_nothing(browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    category_id = await create(browser)
    for url, data in (
        (NEW, {**CARD, "slug": "other", "name": "다른 것"}),
        (f"/admin/categories/{category_id}/edit", {**CARD, "name": "바뀐 이름"}),
        (f"/admin/categories/{category_id}/delete", {}),
    ):
        for token in ({}, {"csrf_token": "forged"}):
            response = await browser.post(url, data={**data, **token})
            assert response.status_code == 403, url
            assert "보안 확인에 실패했습니다" in response.text
    categories = await api_categories(browser)
    assert list(categories) == ["card-payment"]
    assert categories["card-payment"]["name"] == "카드 결제"


@pytest.mark.usefixtures("admin_user")
async def test_marking_a_category_sensitive_makes_callbacks_there_need_an_identity_check(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_in(browser)
    category_id = await create(browser)
    edit = f"/admin/categories/{category_id}/edit"
    assert 'name="requires_verification" value="1">' in (await browser.get(edit)).text  # unticked
    slot = await open_slot(browser)
    plain = customer_headers(settings, sub="plain")
    assert (await book(browser, plain, slot["start"], category="card-payment")).status_code == 201

    ticked = await post_form(browser, edit, edit, {**CARD, "requires_verification": "1"})
    assert ticked.status_code == 303, ticked.text
    assert (await api_categories(browser))["card-payment"]["requires_verification"] is True
    assert 'data-sensitive="true"' in (await browser.get(LIST)).text
    assert 'value="1" checked>' in (await browser.get(edit)).text
    refused = await book(browser, customer_headers(settings, sub="other"), slot["start"], category="card-payment")
    assert refused.status_code == 403 and refused.json()["code"] == "verification_required"
    verified = verified_headers(settings, "checked", minutes_ago=1)
    assert (await book(browser, verified, slot["start"], category="card-payment")).status_code == 201

    unticked = await post_form(browser, edit, edit, CARD)  # an unticked box sends nothing: not sensitive
    assert unticked.status_code == 303
    assert (await api_categories(browser))["card-payment"]["requires_verification"] is False
