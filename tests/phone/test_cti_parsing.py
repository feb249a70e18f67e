"""The push parser and the signature check on their own: whatever a PBX sends is a push or a 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gogaek.errors import ProblemError
from gogaek.phone.cti import (
    FIELD_LIMITS,
    CtiEventKind,
    caller_phone,
    check_signature,
    decode_body,
    fields_from_form,
    parse_push,
    sign,
)

KEYS = st.sampled_from([*FIELD_LIMITS, "event", "user", "user[]", "other"])
LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=150))
VALUES = st.recursive(
    LEAF, lambda inner: st.lists(inner, max_size=25) | st.dictionaries(st.text(), inner), max_leaves=30
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES | st.sampled_from(["newCall", "answer", "hangup", "in", "out"])))
def test_any_json_object_is_a_push_or_a_4xx(fields: dict[str, Any]) -> None:
    try:
        push = parse_push(fields)
    except ProblemError as refused:
        assert 400 <= refused.status < 500 and refused.code
        return
    assert push.call_id and len(push.call_id) <= FIELD_LIMITS["callId"]
    assert push.direction in (None, "in", "out")
    assert push.event is not CtiEventKind.NEW_CALL or push.direction is not None
    assert all(name and len(name) <= FIELD_LIMITS["user"] for name in push.users)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["application/json", "application/problem+json", "text/plain", ""]))
def test_any_body_decodes_to_an_object_or_a_4xx(raw: bytes, content_type: str) -> None:
    try:
        decoded = decode_body(content_type, raw)
    except ProblemError as refused:
        assert refused.status in (400, 415)
        return
    assert isinstance(decoded, dict)


def test_form_users_become_a_list_whichever_way_they_are_written() -> None:
    items = [("event", "newCall"), ("user[]", "가"), ("user", "나"), ("event", "hangup")]
    assert fields_from_form(items) == {"event": "newCall", "user": ["가", "나"]}  # the first value counts
    push = parse_push({"event": "newCall", "callId": "c", "direction": "in", "user": " 한 명 "})
    assert push.users == ("한 명",)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("821012345678", "01012345678"),
        ("+82 10-1234-5678", "01012345678"),
        ("010-1234-5678", "01012345678"),
        ("0215773754", None),  # not a mobile: nobody proved it with a code
        ("anonymous", None),
        ("", None),
    ],
)
def test_caller_numbers_are_normalised_like_sign_in_numbers(raw: str, phone: str | None) -> None:
    assert caller_phone(raw) == phone


def test_a_signature_binds_the_time_and_the_body() -> None:
    body = json.dumps({"event": "newCall"}).encode()
    header = sign("secret", 1_700_000_000, body)
    assert check_signature(header, "secret", body, 1_700_000_100, 300)[1] == 1_700_000_000
    forged = header.replace("t=1700000000", "t=1700000100")  # a fresher time with the old digest
    with pytest.raises(ProblemError) as refused:
        check_signature(forged, "secret", body, 1_700_000_100, 300)
    assert refused.value.code == "invalid_signature"
