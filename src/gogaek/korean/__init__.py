"""Korean text tools shared by search, chat and masking: Kiwi, jamo and normalisation."""

from gogaek.korean.analyzer import Morpheme, analyze, analyze_many, get_kiwi
from gogaek.korean.jamo import chosung, decompose, has_hangul, is_chosung_query, keystrokes
from gogaek.korean.text import compact, normalize_query

__all__ = [
    "Morpheme",
    "analyze",
    "analyze_many",
    "chosung",
    "compact",
    "decompose",
    "get_kiwi",
    "has_hangul",
    "is_chosung_query",
    "keystrokes",
    "normalize_query",
]
