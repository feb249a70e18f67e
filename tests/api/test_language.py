"""English pages, as visitors meet them: the browser's language, the switch on every page
(remembered), and the host app's ``locale`` claim kept at sign-in."""

from __future__ import annotations

import re

import httpx
import pytest

from gogaek.config import Settings
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.web.i18n import COOKIE

pytestmark = pytest.mark.usefixtures("demo_content")

KOREAN_CHROME = ('<html lang="ko">', ">공지사항<", "상담이 필요하신가요?")
ENGLISH_CHROME = ('<html lang="en">', ">Notices<", "Need help?", "© Gogaek Help Center")


def assert_speaks(html: str, chrome: tuple[str, ...]) -> None:
    for text in chrome:
        assert text in html, text


async def test_pages_are_korean_unless_the_browser_asks_for_english(client: httpx.AsyncClient) -> None:
    assert_speaks((await client.get("/")).text, KOREAN_CHROME)
    assert_speaks((await client.get("/", headers={"Accept-Language": "fr-FR,ko;q=0.5"})).text, KOREAN_CHROME)
    english = (await client.get("/notices", headers={"Accept-Language": "en-US,en;q=0.9"})).text
    assert_speaks(english, ENGLISH_CHROME)
    assert 'placeholder="Type your question"' in english  # the header's search box
    assert 'href="/language/ko?next=/notices"' in english and 'aria-current="true" lang="en">English' in english


async def test_the_switch_is_remembered_and_returns_to_the_same_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/language/en", params={"next": "/search?q=송금"})
    assert response.status_code == 303
    assert response.headers["location"] == "/search?q=%EC%86%A1%EA%B8%88"  # /search?q=송금
    assert f"{COOKIE}=en" in response.headers["set-cookie"] and "Max-Age=31536000" in response.headers["set-cookie"]
    assert_speaks((await client.get("/search", params={"q": "송금"})).text, ENGLISH_CHROME)
    korean_browser = {"Accept-Language": "ko-KR"}
    assert_speaks((await client.get("/", headers=korean_browser)).text, ENGLISH_CHROME)  # the choice wins
    await client.get("/language/ko")
    assert_speaks((await client.get("/")).text, KOREAN_CHROME)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/language/xx"])
async def test_the_switch_never_leaves_the_site_nor_takes_unknown_languages(
    client: httpx.AsyncClient, target: str
) -> None:
    if target.startswith("/language/"):
        assert (await client.get(target)).status_code == 404
        return
    response = await client.get("/language/en", params={"next": target})
    assert response.headers["location"] == "/"


async def test_the_host_app_s_locale_claim_is_kept_for_the_pages_after_sign_in(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token = issue_customer_token(settings, sub="host-user-9", name="Kim", locale="en-US")
    signed_in = await client.get("/auth/customer", params={"token": token, "next": "/inquiries"})
    assert signed_in.status_code == 303
    assert_speaks((await client.get("/inquiries", headers={"Accept-Language": "ko"})).text, ENGLISH_CHROME)
    await client.get("/language/ko")  # a deliberate choice outranks the claim for this session
    assert_speaks((await client.get("/inquiries")).text, KOREAN_CHROME)


async def test_the_help_center_pages_are_english_from_search_to_article(client: httpx.AsyncClient) -> None:
    english = {"Accept-Language": "en"}
    home = (await client.get("/", headers=english)).text
    assert "How can we help?" in home and "Frequently asked questions" in home and "How can we help?</span>" not in home
    assert " articles</span>" in home or " article</span>" in home
    search = (await client.get("/search", params={"q": "송금 취소"}, headers=english)).text
    assert "Results for ‘송금 취소’" in search and " results</span>" in search
    off_topic = (await client.get("/search", params={"q": "오늘 저녁 뭐 먹지"}, headers=english)).text
    assert "no matching answer" in off_topic and "Book a callback" in off_topic and "Chat with us" in off_topic
    article_id = search.split('href="/articles/', 1)[1].split('"', 1)[0]
    article = (await client.get(f"/articles/{article_id}", headers=english)).text
    assert "Was this helpful?" in article and ">Yes</button>" in article
    hostile = (await client.get("/search", params={"q": "<b>x</b> 송금"}, headers=english)).text
    assert "Results for ‘&lt;b&gt;x&lt;/b&gt; 송금’" in hostile  # the query stays escaped inside the sentence


async def test_the_contact_page_is_english_apart_from_content(client: httpx.AsyncClient) -> None:
    english = (await client.get("/contact", headers={"Accept-Language": "en"})).text
    assert_speaks(english, ENGLISH_CHROME)
    for text in (">Ways to reach us</h1>", "See other times · Book", "Appeal a restriction", "Start a chat"):
        assert text in english, text
    main = english[english.index('<h1 class="page-title">') : english.index('id="browse-title"')]
    assert not re.search(r"[\uac00-\ud7a3]", main), main  # the demo's category names come after this
    korean = (await client.get("/contact")).text
    assert ">상담 안내</h1>" in korean and "Book a callback" not in korean  # no English gloss on a Korean page


async def test_api_problems_speak_the_callers_language_without_a_gloss(client: httpx.AsyncClient) -> None:
    korean = (await client.get("/api/v1/faq/articles/999999")).json()
    english = (await client.get("/api/v1/faq/articles/999999", headers={"Accept-Language": "en"})).json()
    assert korean["code"] == english["code"] == "not_found"
    assert re.search(r"[\uac00-\ud7a3]", korean["detail"]) and not re.search(r"[A-Za-z]", korean["detail"])
    assert not re.search(r"[\uac00-\ud7a3]", english["detail"]) and english["detail"] == english["title"]
