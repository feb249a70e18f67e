"""Query spelling fixes against the words of the indexed articles.

Only suspicious words are touched: a word Kiwi does not know ("비밀번허"), a word of three or
more characters built from morphemes no article uses ("결재가" for "결제가"), or a short word
that falls apart into pieces no article uses ("환뷸" -> 환+뷰). A short real word is left
alone: "메인" is one key from "메일" but no typo.
"""

import re
from collections.abc import Callable

from gogaek.korean import Morpheme, analyze
from gogaek.korean.analyzer import NOUN_TAGS
from gogaek.korean.keyboard import latin_to_hangul, looks_mistyped_latin
from gogaek.search.index import FaqIndex

MIN_CHARS_TO_CORRECT_KNOWN = 3
_WORD = re.compile(r"\S+")
_NON_WORD = re.compile(r"[^\w]")
CorrectFn = Callable[[str], str | None]


def correct(index: FaqIndex, text: str, morphemes: list[Morpheme]) -> str:
    """The text with suspicious words replaced by known words one keystroke away."""
    replacements: list[tuple[int, int, str]] = []
    for match in _WORD.finditer(text):
        inside = [m for m in morphemes if match.start() <= m.start and m.end <= match.end()]
        if not _suspicious(index, match.group(), inside):
            continue
        word = _NON_WORD.sub("", match.group().lower())
        fixed = index.vocabulary.correct(word) if word else None
        if fixed:
            replacements.append((match.start(), match.end(), fixed))
        elif any(not m.known for m in inside):
            replacements += _noun_corrections(text, inside, index.vocabulary.correct)
    for start, end, word in sorted(replacements, reverse=True):
        text = text[:start] + word + text[end:]
    return text


def keyboard_fix(index: FaqIndex, text: str, model_type: str | None) -> str | None:
    """The Hangul meant by a query typed in English mode, if articles use its words."""
    if not looks_mistyped_latin(text):
        return None
    if any(index.known(word.lower()) for word in text.split()):
        return None
    converted = latin_to_hangul(text)
    morphemes = [m for m in analyze(converted, model_type) if m.tag != "SL"]
    return converted if any(index.known(m.form) for m in morphemes) else None


def _suspicious(index: FaqIndex, word: str, morphemes: list[Morpheme]) -> bool:
    if any(not m.known for m in morphemes):
        return True
    in_index = [index.known(m.form) for m in morphemes]
    if len(word) < MIN_CHARS_TO_CORRECT_KNOWN:
        return len(morphemes) > 1 and not any(in_index)
    return not all(in_index)


def _noun_corrections(text: str, morphemes: list[Morpheme], fix: CorrectFn) -> list[tuple[int, int, str]]:
    """Corrections for a run of nouns as a whole, or else for each noun in it."""
    nouns = [m for m in morphemes if m.tag in NOUN_TAGS]
    if not nouns:
        return []
    whole = fix(text[nouns[0].start : nouns[-1].end].lower())
    if whole and len(nouns) > 1:
        return [(nouns[0].start, nouns[-1].end, whole)]
    out = []
    for noun in nouns:
        fixed = fix(text[noun.start : noun.end].lower())
        if fixed:
            out.append((noun.start, noun.end, fixed))
    return out
