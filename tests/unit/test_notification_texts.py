"""알림 문구 (``notify.texts``): placeholder checks with Korean messages, and safe rendering."""

from __future__ import annotations

import pytest

from gogaek.notify.texts import INQUIRY_ANSWERED, KINDS, NoticeTexts, check_template, check_texts, render

ANSWERED = KINDS[INQUIRY_ANSWERED]
VALUES = {"number": "Q-1", "link": "https://help.example.com/inquiries/1"}


def test_the_built_in_texts_pass_their_own_checks_and_match_what_was_always_sent() -> None:
    for texts in ANSWERED.defaults.values():
        fields = {"title": texts.title, "email_subject": texts.email_subject, "email_body": texts.email_body}
        assert check_texts(ANSWERED, {**fields, "sms": texts.sms}) == {}
    korean = ANSWERED.defaults["ko"].rendered(VALUES)
    assert korean.sms == "[고객센터] 문의(문의번호 Q-1)에 답변이 등록되었습니다. https://help.example.com/inquiries/1"
    assert korean.title == "문의하신 내용에 답변이 등록되었습니다 (문의번호 Q-1)"
    assert "아래 주소에서 답변을 확인해 주세요.\nhttps://help.example.com/inquiries/1\n" in korean.email_body


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("sms", "답변 {numbr} {link}", "{numbr}는 쓸 수 없는 자리표시자입니다. 쓸 수 있는 것: {number}, {link}"),
        ("sms", "{number.__class__} {link}", "{number.__class__}는 쓸 수 없는 자리표시자입니다."),
        ("title", "답변 {number", "중괄호 { }의 짝이 맞지 않습니다."),
        ("email_body", "답변 }{link}", "중괄호 { }의 짝이 맞지 않습니다."),
        (
            "email_body",
            "답변이 등록되었습니다 {number}",
            "메일 본문에 {link}(답변을 확인하는 주소가 들어갈 자리)를 넣어 주세요.",
        ),
        ("sms", "   ", "문자 내용을 입력해 주세요."),
        ("email_subject", "제목\nBcc: x@example.com", "메일 제목에는 줄바꿈을 넣을 수 없습니다."),
        ("title", "가" * 201, "알림 제목은 200자 이하로 입력해 주세요."),
    ],
)
def test_bad_templates_are_explained_in_korean(field: str, text: str, message: str) -> None:
    problem = check_template(ANSWERED, field, text)
    assert problem is not None and problem.startswith(message), problem


def test_good_templates_pass() -> None:
    assert check_template(ANSWERED, "sms", "{link} 에서 {number} 답변 확인") is None
    assert check_template(ANSWERED, "title", "답변 완료") is None  # {link} is needed only where people click


def test_rendering_replaces_only_known_names_and_never_formats() -> None:
    assert render("{number} / {link} / {other} / {number.__class__}", VALUES) == (
        "Q-1 / https://help.example.com/inquiries/1 / {other} / {number.__class__}"
    )
    assert render("{", VALUES) == "{"
    texts = NoticeTexts(title="{number}", email_subject="s", email_body="{link}", sms="{number}{link}")
    assert texts.rendered({"number": "{link}", "link": "L"}).title == "{link}"  # values are not rendered again
