"""Hypothesis on the parsers we own: whatever arrives, a clean error of the parser's own kind.

Host tokens, chat frames, FAQ import files and search queries. PII masking has its own
properties (never raises, idempotent) in test_pii.py. Example counts come from the hypothesis
profile (``GOGAEK_HYPOTHESIS_PROFILE``: ``ci`` by default, ``long`` for many more).
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gogaek.chat.connection import decode_json
from gogaek.chat.schemas import agent_frames, customer_frames
from gogaek.config import Settings
from gogaek.helpcenter.importer import ImportRejectedError, parse_import_file
from gogaek.identity.customer_tokens import CustomerTokenError, issue_customer_token, verify_customer_token
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchEngine

FIXTURES = [HealthCheck.function_scoped_fixture]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def token_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(env="test", data_dir=tmp_path_factory.mktemp("tokens"))


# --- host tokens -----------------------------------------------------------------------------


@given(token=st.text(max_size=3000))
def test_any_text_as_a_token_is_refused_cleanly(token_settings: Settings, token: str) -> None:
    with pytest.raises(CustomerTokenError):
        verify_customer_token(token, token_settings)


@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_a_garbled_real_token_is_refused_cleanly(token_settings: Settings, position: int, replacement: str) -> None:
    token = issue_customer_token(token_settings, sub="host-1", name="김고객")
    index = position % len(token)
    garbled = token[:index] + replacement + token[index + 1 :]
    if garbled == token:
        return
    try:
        verify_customer_token(garbled, token_settings)
    except CustomerTokenError:
        return
    # base64url ignores some low bits of the last character: the same bytes may still verify.


CLAIM_NAMES = ["sub", "exp", "iat", "nbf", "name", "phone", "email", "verified_at", "jti", "iss", "aud"]


@given(
    claims=st.dictionaries(st.sampled_from(CLAIM_NAMES) | st.text(max_size=8), JSON_VALUES, max_size=8),
    lifetime=st.integers(min_value=-(10**6), max_value=10**6) | st.none(),
)
def test_any_claims_signed_with_the_right_key_give_claims_or_a_clean_error(
    token_settings: Settings, claims: dict[str, Any], lifetime: int | None
) -> None:
    if lifetime is not None:
        claims["exp"] = int(time.time()) + lifetime
    # Signed as raw JSON: PyJWT's own encoder would refuse some of these claims before we see them.
    token = jwt.PyJWS().encode(json.dumps(claims).encode(), token_settings.customer_token_key, algorithm="HS256")
    with contextlib.suppress(CustomerTokenError):
        verify_customer_token(token, token_settings)


# --- chat frames -----------------------------------------------------------------------------

FRAME_TYPES = [
    "message",
    "note",
    "typing",
    "read",
    "handoff",
    "end",
    "rate",
    "leave_inquiry",
    "feedback",
    "ping",
    "accept",
    "transfer",
    "watch",
    "availability",
    "bogus",
]


@given(data=JSON_VALUES)
def test_any_json_value_is_a_frame_or_a_validation_error(data: Any) -> None:
    for adapter in (customer_frames, agent_frames):
        with contextlib.suppress(ValidationError):
            adapter.validate_python(data)


@given(fields=st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=6), kind=st.sampled_from(FRAME_TYPES))
def test_frames_of_every_type_with_any_fields_parse_or_fail_validation(fields: dict[str, Any], kind: str) -> None:
    for adapter in (customer_frames, agent_frames):
        with contextlib.suppress(ValidationError):
            adapter.validate_python({**fields, "type": kind})


@given(raw=st.text(max_size=200))
def test_any_text_frame_is_json_or_a_value_error(raw: str) -> None:
    """What the socket does first with a text frame (chat/connection.py answers a ValueError with malformed_frame)."""
    with contextlib.suppress(ValueError):
        decode_json(raw)


@pytest.mark.parametrize("depth", [5000, 8000])
def test_deeply_nested_text_frame_is_a_value_error(depth: int) -> None:
    """Nesting that fits in the 16 KiB frame limit made json raise RecursionError, which escaped the handler."""
    with pytest.raises(ValueError, match="nested"):
        decode_json("[" * depth + "]" * depth)


# --- FAQ import files ------------------------------------------------------------------------

IMPORT_LINES = st.lists(
    st.one_of(
        st.text(max_size=80),
        JSON_VALUES.map(json.dumps),
        st.fixed_dictionaries(
            {"id": JSON_VALUES, "category": JSON_VALUES, "question": JSON_VALUES, "answer": JSON_VALUES},
            optional={"tags": JSON_VALUES, "alternates": JSON_VALUES, "status": JSON_VALUES},
        ).map(json.dumps),
        st.just("[" * 3000),
        st.just("9" * 5000),
    ),
    max_size=6,
)


def parse_cleanly(path: Path) -> None:
    try:
        parse_import_file(path)
    except ImportRejectedError as exc:
        assert exc.errors and all(error.line >= 0 and error.message for error in exc.errors)


@settings(suppress_health_check=FIXTURES)
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".jsonl", ".csv", ".json", ".txt"]))
def test_any_bytes_are_articles_or_a_rejection_with_line_numbers(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"faq{suffix}"
    path.write_bytes(content)
    parse_cleanly(path)


@settings(suppress_health_check=FIXTURES)
@given(lines=IMPORT_LINES)
def test_any_jsonl_lines_are_articles_or_a_rejection(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    parse_cleanly(path)


@settings(suppress_health_check=FIXTURES)
@given(rows=st.lists(st.lists(st.text(max_size=30), max_size=8), max_size=6), nul=st.booleans())
def test_any_csv_is_articles_or_a_rejection(tmp_path: Path, rows: list[list[str]], nul: bool) -> None:
    header = "id,category,question,answer,tags,alternates,status"
    body = "\n".join(",".join(json.dumps(cell) for cell in row) for row in rows)
    path = tmp_path / "faq.csv"
    path.write_text(header + "\n" + body + ("\x00" if nul else ""), encoding="utf-8")
    parse_cleanly(path)


# --- search queries --------------------------------------------------------------------------

QUERY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x3131, max_codepoint=0x318E),  # compatibility jamo: ㄱ ㅏ …
        st.characters(min_codepoint=0x1100, max_codepoint=0x11FF),  # conjoining jamo
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),  # syllables
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
        st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]),  # control, format, spaces
        st.characters(),
    ),
    max_size=300,
)


@pytest.fixture(scope="module")
def engine() -> SearchEngine:
    search = SearchEngine()
    search.rebuild(
        [
            SearchDocument(1, "faq-1", "결제 비밀번호를 잊어버렸어요", ("재설정",), (), "재설정하세요.", "계정"),
            SearchDocument(2, "faq-2", "송금 한도는 얼마인가요?", (), ("한도",), "1일 500만원까지입니다.", "송금"),
        ]
    )
    return search


@given(query=QUERY_TEXT)
def test_any_query_is_answered_without_error(engine: SearchEngine, query: str) -> None:
    engine.answer(query, 5)
    engine.suggest(query, 5)


def test_a_very_long_query_is_answered_without_error(engine: SearchEngine) -> None:
    engine.answer("송금 ㅂㅁㅂㅎ 😀\x00\u200b" * 2000, 5)
    engine.suggest("ㅂ" * 10000, 5)


def test_import_errors_found_by_fuzzing_name_their_lines(tmp_path: Path) -> None:
    """Regressions: each of these used to escape as a raw exception instead of a rejection."""
    cases = {
        "deep.jsonl": ('{"id": "a"}\n' + "[" * 3000 + "\n" + "9" * 5000 + "\n").encode(),
        "latin1.jsonl": b'{"id": "a"}\n\n' + '{"question": "caf\u00e9"}'.encode("latin-1"),
        "huge.csv": ("id,category,question,answer\n" + '"' + "x" * 200_000 + '",a,b,c\n').encode(),
    }
    lines = {}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImportRejectedError) as rejected:
            parse_import_file(tmp_path / name)
        lines[name] = [error.line for error in rejected.value.errors]
    assert lines == {"deep.jsonl": [1, 2, 3], "latin1.jsonl": [3], "huge.csv": [2]}
