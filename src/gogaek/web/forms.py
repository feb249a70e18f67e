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
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
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
