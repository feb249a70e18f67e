"""Turning FAQ text and queries into index terms.

Three kinds of term feed the index: content morphemes from Kiwi (plus compounds of adjacent
nouns, so "비밀 번호" and "비밀번호" meet), synonym concepts, and character bigrams of the
text with spaces removed, which survive spacing mistakes and many typos.
"""

import re
from collections import Counter
from collections.abc import Sequence

from gogaek.korean import Morpheme, chosung, compact, has_hangul, keystrokes
from gogaek.korean.analyzer import NOUN_TAGS
from gogaek.search.synonyms import Synonyms

_NON_WORD = re.compile(r"[^\w]")
PREFIX_SPAN = 30
CHOSUNG_SPAN = 16


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of the text without spaces and punctuation (a lone character as is)."""
    flat = _NON_WORD.sub("", compact(text))
    if len(flat) < 2:
        return Counter([flat] if flat else [])
    return Counter(flat[i : i + 2] for i in range(len(flat) - 1))


def compounds(morphemes: Sequence[Morpheme]) -> list[str]:
    """Runs of adjacent nouns joined into one word ("비밀"+"번호" -> "비밀번호")."""
    out: list[str] = []
    run: list[Morpheme] = []
    for morpheme in morphemes:
        if morpheme.tag in NOUN_TAGS and run and run[-1].end == morpheme.start:
            run.append(morpheme)
            continue
        _flush(run, out)
        run = [morpheme] if morpheme.tag in NOUN_TAGS else []
    _flush(run, out)
    return out


def _flush(run: list[Morpheme], out: list[str]) -> None:
    if len(run) >= 2:
        out.append("".join(m.form for m in run))


def morpheme_terms(text: str, morphemes: Sequence[Morpheme], synonyms: Synonyms) -> Counter[str]:
    """Morphemes, noun compounds and synonym concepts of one text."""
    forms = [m.form for m in morphemes]
    terms = Counter(forms)
    terms.update(compounds(morphemes))
    terms.update(synonyms.concepts(text, forms))
    return terms


def vocabulary(text: str, morphemes: Sequence[Morpheme]) -> list[str]:
    """Words a query may misspell: nouns, noun compounds and whole words of the text."""
    words = [m.form for m in morphemes if m.tag in NOUN_TAGS]
    words += compounds(morphemes)
    words += [w for w in (_NON_WORD.sub("", token) for token in text.lower().split()) if w]
    return words


def _starts(text: str, morphemes: Sequence[Morpheme]) -> list[int]:
    """Offsets where a word or a morpheme begins."""
    starts = {0} | {m.start for m in morphemes}
    starts |= {i + 1 for i, char in enumerate(text) if char.isspace()}
    return sorted(s for s in starts if s < len(text) and not text[s].isspace())


def prefix_keys(text: str, morphemes: Sequence[Morpheme], first_rank: int) -> list[tuple[str, int]]:
    """Keystroke spellings of the text from each word/morpheme start, for autocomplete."""
    return [
        (keystrokes(compact(text[start : start + PREFIX_SPAN])), first_rank if start == 0 else 2)
        for start in _starts(text, morphemes)
    ]


def chosung_keys(text: str, morphemes: Sequence[Morpheme], first_rank: int) -> list[tuple[str, int]]:
    """초성 spellings from each Hangul word/morpheme start, both of the text as written and
    of its content morphemes alone, so "ㅅㄱㅊㅅ" finds "송금을 취소" despite the particle."""
    keys = [
        (_NON_WORD.sub("", chosung(compact(text[start : start + CHOSUNG_SPAN]))), start)
        for start in _starts(text, morphemes)
        if has_hangul(text[start])
    ]
    surfaces = [text[m.start : m.end] for m in morphemes]
    keys += [
        (_NON_WORD.sub("", chosung(compact("".join(surfaces[i : i + CHOSUNG_SPAN])))), m.start)
        for i, m in enumerate(morphemes)
        if has_hangul(surfaces[i])
    ]
    return [(key, first_rank if start == 0 else 2) for key, start in keys]
