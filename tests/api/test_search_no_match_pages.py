"""Pages that show customers "the" answer follow the search's abstention rule (issue 15, rough
edges): autocomplete says plainly that nothing fits instead of offering a confident first row,
and the search page's appeal shortcut is not triggered by the closest articles of such a query."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("demo_content")
OFF_TOPIC = ["주식 투자 수익률", "오늘 날씨 어때", "비트코인 시세 전망 알려줘"]
ON_TOPIC = ["송금", "송금 취소", "비밀번호", "ㅂㅁㅂㅎ"]


async def _suggest(client: httpx.AsyncClient, query: str) -> dict[str, object]:
    response = await client.get("/api/v1/faq/suggest", params={"q": query})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("query", OFF_TOPIC)
async def test_autocomplete_says_no_match_for_off_topic_text(client: httpx.AsyncClient, query: str) -> None:
    body = await _suggest(client, query)
    assert body["no_match"] is True
    search = (await client.get("/api/v1/faq/search", params={"q": query})).json()
    assert search["no_match"] is not None  # the same rule as the search itself


@pytest.mark.parametrize("query", ON_TOPIC)
async def test_autocomplete_keeps_its_suggestions_for_real_questions(client: httpx.AsyncClient, query: str) -> None:
    body = await _suggest(client, query)
    assert body["no_match"] is False
    assert body["suggestions"]


async def test_search_page_offers_no_appeal_for_a_query_nothing_answers(client: httpx.AsyncClient) -> None:
    page = (await client.get("/search", params={"q": "주식 투자 수익률"})).text
    assert 'id="no-match"' in page and "가장 가까운 도움말" in page
    assert 'id="appeal-link-panel"' not in page
    for link in ('href="/inquiries/new"', 'href="/chat"', 'href="/callbacks/new"'):
        assert link in page.split('id="no-match"', 1)[1].split("</section>", 1)[0]
    restricted = (await client.get("/search", params={"q": "계정이 정지됐어요"})).text
    assert 'id="appeal-link-panel"' in restricted  # the words still count
