"""Shared helpers for HTML forms: read typed values back, validate, explain errors in Korean.

Values are kept as the strings the person typed, so a form that fails validation is shown
again exactly as it was sent: nothing typed is lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from gogaek.web.i18n import current_language, gettext
from gogaek.web.validation import own_message

M = TypeVar("M", bound=BaseModel)
FORM_ERROR = "_form"
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3


class FormValues:
    """Base for dataclasses whose fields are the form's inputs, all kept as strings."""

    @classmethod
    def read(cls, form: FormData) -> Self:
        values: dict[str, str] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            raw = form.get(field.name)
            values[field.name] = raw if isinstance(raw, str) else ""
        return cls(**values)


def split_commas(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def split_lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def blank_to_none(value: str) -> str | None:
    return value.strip() or None


def has_final_consonant(word: str) -> bool:
    """Korean particles depend on whether the last syllable ends in a consonant (받침)."""
    last = word.rstrip()[-1:] if word.strip() else ""
    if not last or not _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        return False
    return (ord(last) - _HANGUL_FIRST) % 28 != 0


def josa(word: str, with_consonant: str, without: str) -> str:
    return word + (with_consonant if has_final_consonant(word) else without)


def korean_message(error: ErrorDetails, label: str, pattern_rule: str = "") -> str:
    """One sentence per problem, in the words an admin would use.

    A regular expression cannot be explained generically, so a field checked by one may
    bring its own sentence (``pattern_rule``).
    """
    own = own_message(error)
    if own is not None:  # a validator's own sentence says more than "check the field"
        return own
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    if current_language() != "ko":
        english = english_message(kind, context, label, bool(error.get("input")), pattern_rule)
        if english is not None:
            return english
    if kind == "string_pattern_mismatch":
        if not error.get("input"):
            return f"{josa(label, '을', '를')} 입력해 주세요."
        return pattern_rule or f"{label} 형식을 확인해 주세요."
    if kind == "string_too_short":
        if context.get("min_length", 1) <= 1 or not error.get("input"):
            return f"{josa(label, '을', '를')} 입력해 주세요."
        return f"{josa(label, '은', '는')} {context['min_length']}자 이상 입력해 주세요."
    if kind == "string_too_long":
        return f"{josa(label, '은', '는')} {context['max_length']}자 이하로 입력해 주세요."
    if kind == "too_long":
        return f"{josa(label, '은', '는')} 최대 {context['max_length']}개까지 입력할 수 있어요."
    if kind in ("literal_error", "enum"):
        return f"{label} 값을 목록에서 다시 골라 주세요."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{josa(label, '은', '는')} 숫자로 입력해 주세요."
    if kind in ("greater_than_equal", "greater_than"):
        return f"{josa(label, '은', '는')} {context.get('ge', context.get('gt'))} 이상으로 입력해 주세요."
    if kind in ("less_than_equal", "less_than"):
        return f"{josa(label, '은', '는')} {context.get('le', context.get('lt'))} 이하로 입력해 주세요."
    if kind.startswith("datetime") or kind.startswith("date"):
        return f"{label} 날짜와 시각을 확인해 주세요. (예: 2026-09-20 09:00)"
    if kind == "missing":
        return f"{josa(label, '을', '를')} 입력해 주세요."
    return f"{josa(label, '을', '를')} 확인해 주세요."


def _has_hangul(text: str) -> bool:
    return any(_HANGUL_FIRST <= ord(ch) <= _HANGUL_LAST for ch in text)


def english_message(
    kind: str, context: Mapping[str, Any], korean_label: str, typed: bool, pattern_rule: str = ""
) -> str | None:
    """The same sentences for a page shown in English, with the label from the catalogue; None
    when the label (or a field's own rule) has no translation, so the sentence stays Korean whole."""
    label = gettext(korean_label)
    if _has_hangul(label):
        return None
    if label[1:2].islower():  # "Title" mid-sentence reads "title"; "SMS" stays
        label = label[0].lower() + label[1:]
    if kind == "string_pattern_mismatch" and typed and pattern_rule:
        rule = gettext(pattern_rule)
        return None if _has_hangul(rule) else rule
    if kind in ("missing", "string_too_short") and (context.get("min_length", 1) <= 1 or not typed):
        return f"Please enter {label}."
    if kind == "string_pattern_mismatch":
        return f"Please enter {label}." if not typed else f"Please check the format of {label}."
    if kind == "string_too_short":
        return f"Please enter at least {context['min_length']} characters for {label}."
    if kind == "string_too_long":
        return f"Please keep {label} to {context['max_length']} characters or fewer."
    if kind == "too_long":
        return f"Please enter at most {context['max_length']} items for {label}."
    if kind in ("literal_error", "enum"):
        return f"Please choose {label} from the list again."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"Please enter a number for {label}."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Please enter {context.get('ge', context.get('gt'))} or more for {label}."
    if kind in ("less_than_equal", "less_than"):
        return f"Please enter {context.get('le', context.get('lt'))} or less for {label}."
    if kind.startswith("datetime") or kind.startswith("date"):
        return f"Please check the date and time of {label} (e.g. 2026-09-20 09:00)."
    return f"Please check {label}."


def korean_errors(
    exc: ValidationError,
    labels: Mapping[str, str],
    pattern_rules: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The first problem of each field, keyed by the form field's name."""
    errors: dict[str, str] = {}
    rules = pattern_rules or {}
    for error in exc.errors():
        loc = error.get("loc", ())
        name = str(loc[0]) if loc else FORM_ERROR
        if name not in labels:
            name = FORM_ERROR
        message = korean_message(error, labels.get(name, "입력값"), rules.get(name, ""))
        errors.setdefault(name, message)
    return errors


def validate(
    schema: type[M],
    payload: Mapping[str, object],
    labels: Mapping[str, str],
    pattern_rules: Mapping[str, str] | None = None,
) -> tuple[M | None, dict[str, str]]:
    """The validated model, or ``None`` with Korean messages per field."""
    try:
        return schema.model_validate(dict(payload)), {}
    except ValidationError as exc:
        return None, korean_errors(exc, labels, pattern_rules)
