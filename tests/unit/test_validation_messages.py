"""Pydantic's validation errors in the reader's language (``gogaek.web.validation``): by error
type with the numbers of its context, a validator's own Korean sentence translated, and a
generic sentence for a type without one of its own."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from gogaek.appeals.schemas import APPEAL_LABELS, AppealCreate, AppealDecision
from gogaek.web.forms import korean_errors
from gogaek.web.i18n import N_, speaking
from gogaek.web.validation import field_errors, field_message

HANGUL = re.compile(r"[\uac00-\ud7a3]")


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=3)
    kind: Literal["a", "b", "c"] = "a"
    score: int = Field(default=1, ge=1, le=5)
    tags: list[str] = Field(default_factory=list, max_length=1)
    day: date | None = None
    key: UUID | None = None
    note: str = ""
    title: str = Field(default="untitled", min_length=1)

    @field_validator("note")
    @classmethod
    def _no_shouting(cls, value: str) -> str:
        if value.isupper():
            raise ValueError(N_("내용을 입력해 주세요."))  # a Korean sentence from the catalogue
        if value == "dev":
            raise ValueError("note must not be dev")  # a developer's English sentence
        return value


def errors_of(data: dict[str, object]) -> dict[str, ErrorDetails]:
    with pytest.raises(ValidationError) as raised:
        Sample.model_validate(data)
    return {str(error["loc"][0]) if error["loc"] else "": error for error in raised.value.errors()}


def messages(data: dict[str, object], language: str) -> dict[str, str]:
    with speaking(language):
        return {field: field_message(error) for field, error in errors_of(data).items()}


BAD = {"name": "abcd", "kind": "z", "score": 9, "tags": ["x", "y"], "day": "tomorrow", "extra": 1}


def test_each_type_has_its_sentence_with_the_numbers_of_its_context() -> None:
    assert messages(BAD, "ko") == {
        "name": "3자 이하로 입력해 주세요.",
        "kind": "다음 중 하나여야 합니다: 'a', 'b', 'c'",
        "score": "5 이하여야 합니다.",
        "tags": "최대 1개까지 보낼 수 있습니다.",
        "day": "날짜를 YYYY-MM-DD 형식으로 입력해 주세요.",
        "extra": "알 수 없는 항목입니다.",
    }
    assert messages(BAD, "en") == {
        "name": "Please enter at most 3 characters.",
        "kind": "Must be one of: 'a', 'b', 'c'",
        "score": "Must be 5 or less.",
        "tags": "Please send at most 1 item.",  # ngettext: the count picks the English form
        "day": "Please enter a date as YYYY-MM-DD.",
        "extra": "This field is not accepted.",
    }


def test_missing_empty_and_too_short() -> None:
    assert messages({"score": 0}, "ko") == {"name": "필수 항목입니다.", "score": "1 이상이어야 합니다."}
    assert messages({"score": "x"}, "en") == {
        "name": "This field is required.",
        "score": "Please enter a whole number.",
    }
    assert messages({"name": "a"}, "ko") == {"name": "최소 2자 이상 입력해 주세요."}
    assert messages({"name": "a"}, "en") == {"name": "Please enter at least 2 characters."}
    assert messages({"name": "", "title": ""}, "ko") == {
        "name": "최소 2자 이상 입력해 주세요.",
        "title": "내용을 입력해 주세요.",
    }
    assert messages({"name": "ab", "title": ""}, "en") == {"title": "Must not be blank"}  # one character short of one


def test_an_unmapped_type_gets_a_generic_sentence() -> None:
    error = errors_of({"name": "ab", "key": "not-a-uuid"})["key"]
    assert error["type"] == "uuid_parsing"
    with speaking("ko"):
        assert field_message(error) == "이 항목의 값을 확인해 주세요."
    with speaking("en"):
        assert field_message(error) == "Please check this value."
    made_up: ErrorDetails = {"type": "never_heard_of", "loc": ("x",), "msg": "Something odd", "input": 1}
    with speaking("ko"):
        assert field_message(made_up) == "이 항목의 값을 확인해 주세요."


def test_a_validators_own_sentence_comes_through_translated_without_value_error() -> None:
    korean = errors_of({"name": "ab", "note": "LOUD"})["note"]
    assert korean["msg"].startswith("Value error, ")
    with speaking("ko"):
        assert field_message(korean) == "내용을 입력해 주세요."
    with speaking("en"):
        assert field_message(korean) == "Must not be blank"
    english = errors_of({"name": "ab", "note": "dev"})["note"]
    with speaking("en"):
        assert field_message(english) == "note must not be dev"
    with speaking("ko"):  # no Korean for it: a Korean reader is not shown English
        assert field_message(english) == "이 항목의 값을 확인해 주세요."


def test_custom_errors_and_the_appeal_validators() -> None:
    with pytest.raises(ValidationError) as decision:
        AppealDecision.model_validate({"outcome": "kept"})
    with pytest.raises(ValidationError) as appeal:
        AppealCreate.model_validate({"description": "   ", "restricted_on": "2999-01-01"})
    with speaking("ko"):
        assert [field_message(e) for e in decision.value.errors()] == [
            "유지 사유나 필요한 자료를 적어 주세요. 고객에게 그대로 전달됩니다."
        ]
        assert korean_errors(appeal.value, APPEAL_LABELS)["restricted_on"] == (
            "이용 제한일은 오늘이나 그 이전 날짜여야 합니다."  # the form page shows the validator's own words
        )
    with speaking("en"):
        assert [field_message(e) for e in decision.value.errors()] == ["A reason is required"]
        shown = [field_message(e) for e in appeal.value.errors()]
        assert shown == ["Must not be blank", "Must not be in the future"]
        assert not any(HANGUL.search(text) for text in korean_errors(appeal.value, APPEAL_LABELS).values())


def test_field_errors_keep_loc_and_add_the_prefix() -> None:
    with speaking("ko"):
        assert field_errors(errors_of({"name": "ab", "tags": [1]}).values(), ("body",)) == [
            {"loc": ["body", "tags", "0"], "message": "문자열로 보내 주세요."}
        ]
