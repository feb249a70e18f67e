"""A body that fails validation is explained field by field in the caller's language, like the
rest of the problem: Korean by default, English for the browser's ``Accept-Language``, the
language cookie or the host token's ``locale`` claim."""

from __future__ import annotations

import re

import httpx

from gogaek.config import Settings
from gogaek.web.i18n import COOKIE
from tests.conftest import customer_headers

HANGUL = re.compile(r"[\uac00-\ud7a3]")
BAD_FEEDBACK = {"score": 9, "comment": "x" * 1001}
FEEDBACK = "/api/v1/inquiries/1/feedback"


def field_messages(problem: dict[str, object]) -> dict[str, str]:
    errors = problem["errors"]
    assert isinstance(errors, list)
    return {".".join(error["loc"]): error["message"] for error in errors}


async def test_field_messages_are_korean_by_default(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.post(FEEDBACK, json=BAD_FEEDBACK, headers=customer_headers(settings))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error" and problem["detail"] == "입력값을 확인해 주세요."
    assert field_messages(problem) == {
        "body.score": "5 이하여야 합니다.",
        "body.comment": "1000자 이하로 입력해 주세요.",
    }
    missing = await client.post(FEEDBACK, json={}, headers=customer_headers(settings))
    assert field_messages(missing.json()) == {"body.score": "필수 항목입니다."}


async def test_field_messages_follow_an_english_reader(client: httpx.AsyncClient, settings: Settings) -> None:
    english = {"body.score": "Must be 5 or less.", "body.comment": "Please enter at most 1000 characters."}
    by_browser = {**customer_headers(settings), "Accept-Language": "en-US,en;q=0.9"}
    by_claim = {**customer_headers(settings, locale="en"), "Accept-Language": "ko"}  # the claim comes first
    by_cookie = {**customer_headers(settings), "Cookie": f"{COOKIE}=en"}
    for headers in (by_browser, by_claim, by_cookie):
        problem = (await client.post(FEEDBACK, json=BAD_FEEDBACK, headers=headers)).json()
        assert field_messages(problem) == english, headers
        assert problem["detail"] == "Invalid input"
    broken = await client.post(
        FEEDBACK, content=b'{"score": ', headers={**by_browser, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert [error["message"] for error in broken.json()["errors"]] == ["Body is not valid JSON"]


async def test_a_validators_own_sentence_is_translated_not_wrapped(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    body = {"url": "https://hooks.example.com/gogaek", "events": ["inquiry.exploded"]}
    korean = (await client.post("/api/v1/admin/webhooks", json=body, headers=admin_headers)).json()
    english_headers = {**admin_headers, "Accept-Language": "en"}
    english = (await client.post("/api/v1/admin/webhooks", json=body, headers=english_headers)).json()
    assert field_messages(korean) == {"body.events": "알 수 없는 이벤트입니다: inquiry.exploded"}
    assert field_messages(english) == {"body.events": "Unknown events: inquiry.exploded"}
    for problem in (korean, english):
        assert not any(message.startswith("Value error") for message in field_messages(problem).values())
    assert not HANGUL.search(str(english))
