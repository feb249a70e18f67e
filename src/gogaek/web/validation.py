"""Pydantic's validation errors in the reader's language, one sentence per field.

Pydantic words its errors in English ("Field required"); a Korean reader gets Korean and an
English one English, like the rest of a problem body. The sentence is chosen by the error's
``type`` and filled with the numbers of its ``ctx``, from the catalogue, in the language of the
request (``gettext`` at the time of the call). A sentence of our own (a validator's
``ValueError`` or a ``PydanticCustomError`` written in Korean from the catalogue) is passed on
in the reader's language. The API's ``errors`` (``gogaek.errors``), the chat socket's error
frames, the command line and the FAQ importer use :func:`field_message`; the HTML forms name
the field in their sentences (``web/forms.py``) and take a validator's own sentence from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic_core import ErrorDetails

from gogaek.web.i18n import DEFAULT_LANGUAGE, N_, current_language, gettext, in_language, ngettext

# Pydantic prefixes a validator's own words ("Value error, 내용을 입력해 주세요.").
_OWN_PREFIX = re.compile(r"^(Value error|Assertion failed), ")
_OWN_TYPES = ("value_error", "assertion_error")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

GENERIC = N_("이 항목의 값을 확인해 주세요.")


def _one_of(ctx: Mapping[str, Any]) -> str:
    """Pydantic's "'a', 'b' or 'c'" as a list, without an English "or" in a Korean sentence."""
    return gettext("다음 중 하나여야 합니다: %(expected)s") % {"expected": str(ctx["expected"]).replace(" or ", ", ")}


def _min_length(ctx: Mapping[str, Any]) -> str:
    count = int(ctx.get("min_length", 1))
    if count <= 1:  # one character short of one is "empty"
        return gettext("내용을 입력해 주세요.")
    return ngettext("최소 %(min_length)d자 이상 입력해 주세요.", "최소 %(min_length)d자 이상 입력해 주세요.", count) % {
        "min_length": count
    }


def _max_length(ctx: Mapping[str, Any]) -> str:
    count = int(ctx.get("max_length", 0))
    return ngettext("%(max_length)d자 이하로 입력해 주세요.", "%(max_length)d자 이하로 입력해 주세요.", count) % {
        "max_length": count
    }


def _min_items(ctx: Mapping[str, Any]) -> str:
    count = int(ctx.get("min_length", 1))
    return ngettext("최소 %(min_length)d개 이상 보내 주세요.", "최소 %(min_length)d개 이상 보내 주세요.", count) % {
        "min_length": count
    }


def _max_items(ctx: Mapping[str, Any]) -> str:
    count = int(ctx.get("max_length", 0))
    return ngettext(
        "최대 %(max_length)d개까지 보낼 수 있습니다.", "최대 %(max_length)d개까지 보낼 수 있습니다.", count
    ) % {"max_length": count}


def _bound(message: str, key: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda ctx: gettext(message) % {key: ctx.get(key, "")}


def _fixed(message: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda ctx: gettext(message)


_NUMBER = _fixed(N_("숫자로 입력해 주세요."))
_WHOLE_NUMBER = _fixed(N_("정수로 입력해 주세요."))
_DATE = _fixed(N_("날짜를 YYYY-MM-DD 형식으로 입력해 주세요."))
_DATETIME = _fixed(N_("날짜와 시각을 2026-09-20T09:00:00+09:00 형식으로 보내 주세요."))
_TIME = _fixed(N_("시각을 HH:MM 형식으로 입력해 주세요."))
_URL = _fixed(N_("올바른 URL을 입력해 주세요."))
_LIST = _fixed(N_("목록(배열)으로 보내 주세요."))
_OBJECT = _fixed(N_("JSON 객체로 보내 주세요."))
_BOOL = _fixed(N_("true 또는 false로 보내 주세요."))

_BY_TYPE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": _fixed(N_("필수 항목입니다.")),
    "string_too_short": _min_length,
    "string_too_long": _max_length,
    "too_short": _min_items,
    "too_long": _max_items,
    "string_type": _fixed(N_("문자열로 보내 주세요.")),
    "string_pattern_mismatch": _fixed(N_("형식이 올바르지 않습니다.")),
    "int_parsing": _WHOLE_NUMBER,
    "int_type": _WHOLE_NUMBER,
    "int_from_float": _WHOLE_NUMBER,
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "bool_parsing": _BOOL,
    "bool_type": _BOOL,
    "greater_than": _bound(N_("%(gt)s보다 커야 합니다."), "gt"),
    "greater_than_equal": _bound(N_("%(ge)s 이상이어야 합니다."), "ge"),
    "less_than": _bound(N_("%(lt)s보다 작아야 합니다."), "lt"),
    "less_than_equal": _bound(N_("%(le)s 이하여야 합니다."), "le"),
    "multiple_of": _bound(N_("%(multiple_of)s의 배수여야 합니다."), "multiple_of"),
    "literal_error": _one_of,
    "enum": _one_of,
    "union_tag_invalid": lambda ctx: (
        gettext("%(discriminator)s 값은 다음 중 하나여야 합니다: %(expected_tags)s")
        % {"discriminator": ctx["discriminator"], "expected_tags": ctx["expected_tags"]}
    ),
    "union_tag_not_found": _bound(N_("%(discriminator)s 항목이 필요합니다."), "discriminator"),
    "json_invalid": _fixed(N_("요청 본문이 올바른 JSON이 아닙니다.")),
    "extra_forbidden": _fixed(N_("알 수 없는 항목입니다.")),
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_parsing": _DATETIME,
    "datetime_type": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "timezone_aware": _fixed(N_("시간대(+09:00 등)가 붙은 시각을 보내 주세요.")),
    "time_parsing": _TIME,
    "time_type": _TIME,
    "url_parsing": _URL,
    "url_type": _URL,
    "url_scheme": _URL,
    "url_syntax_violation": _URL,
    "list_type": _LIST,
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
}


def _own_words(error: ErrorDetails) -> str:
    """What a validator of ours said: a ``ValueError``'s text without pydantic's "Value error, ",
    or a ``PydanticCustomError``'s message; empty for pydantic's own errors."""
    if error["type"] in _BY_TYPE:
        return ""
    if error["type"] in _OWN_TYPES:
        return str((error.get("ctx") or {}).get("error") or _OWN_PREFIX.sub("", error["msg"]))
    return error["msg"]  # a PydanticCustomError of ours ("reason_required") carries its sentence


def own_message(error: ErrorDetails) -> str | None:
    """A validator's own Korean sentence (from the catalogue) in the reader's language; None when
    the error is pydantic's own or its words are not Korean. The HTML forms use it too: it says
    more than their "check this field"."""
    words = _own_words(error)
    return in_language(words) if _HANGUL.search(words) else None


def field_message(error: ErrorDetails) -> str:
    """One field's problem in the reader's language: by pydantic's error type, else the
    validator's own sentence, else a generic one."""
    mapped = _BY_TYPE.get(error["type"])
    if mapped is not None:
        try:
            return mapped(error.get("ctx") or {})
        except (KeyError, TypeError, ValueError):  # a context unlike the one pydantic documents
            return gettext(GENERIC)
    own = own_message(error)
    if own is not None:
        return own
    words = _own_words(error)
    if error["type"] in _OWN_TYPES and words and current_language() != DEFAULT_LANGUAGE:
        return words  # a validator's English sentence (or one raised through gettext), for an English reader
    return gettext(GENERIC)


def field_errors(errors: Iterable[ErrorDetails], prefix: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The ``errors`` of a problem body: each field's place (``loc``) and its message."""
    return [{"loc": [*prefix, *(str(part) for part in err["loc"])], "message": field_message(err)} for err in errors]
