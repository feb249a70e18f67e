"""Normalisation of customer-typed text before it reaches the analyser or an index."""

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_SPACE = re.compile(r"\s+")


def normalize_query(text: str) -> str:
    """NFC-compose, drop control and zero-width characters, collapse whitespace.

    Phones send decomposed jamo (NFD) and invisible characters pasted from chats; without
    this, "비밀번호" typed on two devices would not be the same string.
    """
    composed = unicodedata.normalize("NFC", text)
    visible = _CONTROL.sub(" ", composed)
    return _SPACE.sub(" ", visible).strip()


def compact(text: str) -> str:
    """Lower-case and remove all whitespace, so spacing mistakes do not matter."""
    return _SPACE.sub("", text).lower()
