"""The synonym dictionary page: edit, check, reset, and the next search (in this process and
in another) uses the new groups without a restart."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from gogaek.audit.models import AuditEntry
from gogaek.config import Settings
from gogaek.search.models import SynonymDictionary
from gogaek.search.service import build_search_index
from tests.api.test_pages import admin_user, browser, csrf_of, sign_in

__all__ = ["admin_user", "browser"]  # fixtures shared with test_pages.py
pytestmark = [pytest.mark.usefixtures("demo_content"), pytest.mark.usefixtures("admin_user")]

PAGE = "/admin/synonyms"
NEW_GROUP = "쿠루룽, 고객머니"
QUERY = "쿠루룽"  # a word only the new group knows


async def top_questions(client: httpx.AsyncClient, query: str) -> list[str]:
    body = (await client.get("/api/v1/faq/search", params={"q": query, "limit": 3})).json()
    return [result["question"] for result in body["results"]]


async def save(browser: httpx.AsyncClient, text: str) -> httpx.Response:
    token = csrf_of((await browser.get(PAGE)).text)
    return await browser.post(PAGE, data={"csrf_token": token, "text": text})


async def test_an_added_group_is_used_by_the_next_search_and_reset_undoes_it(
    app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    assert not any("고객머니" in question for question in await top_questions(client, QUERY))
    await sign_in(browser)
    page = await browser.get(PAGE)
    assert page.status_code == 200 and "기본 사전을 쓰고 있습니다" in page.text and "송금, 이체" in page.text
    shipped = page.text.split('spellcheck="false">', 1)[1].split("</textarea>", 1)[0]

    response = await save(browser, f"{NEW_GROUP}  # 고객이 부르는 이름\n송금, 이체\n")
    assert response.status_code == 303
    assert "유의어 사전을 저장했습니다 (2개 묶음)" in (await browser.get(PAGE)).text
    await app.state.search_index.wait_until_loaded()
    assert "고객머니" in (await top_questions(client, QUERY))[0]

    token = csrf_of((await browser.get(PAGE)).text)
    assert (await browser.post(f"{PAGE}/reset", data={"csrf_token": token})).status_code == 303
    page = await browser.get(PAGE)
    assert "기본 유의어 사전으로 되돌렸습니다" in page.text and "기본 사전을 쓰고 있습니다" in page.text
    assert page.text.split('spellcheck="false">', 1)[1].split("</textarea>", 1)[0] == shipped
    assert not any("고객머니" in question for question in await top_questions(client, QUERY))
    async with app.state.sessionmaker() as db:
        actions = (await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert [a for a in actions if a.startswith("search.")] == ["search.synonyms_saved", "search.synonyms_reset"]


async def test_lines_that_are_not_groups_are_named_and_nothing_is_saved(
    app: FastAPI, browser: httpx.AsyncClient
) -> None:
    await sign_in(browser)
    response = await save(browser, "송금, 이체\n쿠루룽\n\n# 설명만 있는 줄\n환불,\n")
    assert response.status_code == 422
    assert "2, 5번째 줄에 쉼표로 나눈 단어가 둘 이상 있어야 합니다" in response.text
    assert "쿠루룽" in response.text  # the admin's text is kept in the form
    async with app.state.sessionmaker() as db:
        assert await db.get(SynonymDictionary, 1) is None


async def test_saving_without_the_csrf_token_is_refused(app: FastAPI, browser: httpx.AsyncClient) -> None:
    await sign_in(browser)
    assert (await browser.post(PAGE, data={"text": NEW_GROUP})).status_code == 403
    async with app.state.sessionmaker() as db:
        assert await db.get(SynonymDictionary, 1) is None


async def test_another_process_picks_up_the_edit_on_its_refresh(
    app: FastAPI, settings: Settings, browser: httpx.AsyncClient
) -> None:
    other = build_search_index(settings.model_copy(update={"search_semantic": False}), app.state.sessionmaker)
    try:
        await other.load()
        before = await other.answer(QUERY, 3)
        assert not any("고객머니" in hit.document.question for hit in before.hits)
        await sign_in(browser)
        assert (await save(browser, f"{NEW_GROUP}\n")).status_code == 303
        after = await other.answer(QUERY, 3)  # search_refresh_seconds is 0 in tests: it checks now
        assert after.hits and "고객머니" in after.hits[0].document.question
    finally:
        other.close()
