"""One shared Kiwi morphological analyser per process.

Kiwi takes over a second and a few hundred megabytes to load, so every part of the app shares
one instance per model type, created lazily on first use behind a lock.

Kiwi's multi-word dictionary (proper nouns such as "자연어 처리", "간사이 공항" as one token) is
not loaded: it cost 1.3 s of every process start and 190 MB of every process, and search
ranked exactly the same without it on all five evaluation sets (demo pay app, three FAQ sets,
paraKQC: R@1 and MRR@10 equal to four decimals; docs/search.md). Both parts of a split proper
noun are still indexed and matched.
"""

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kiwipiepy import Kiwi

# Morpheme tags that carry meaning for search: nouns, numerals, pronouns, verb and adjective
# stems, adverbs, determiners, roots, foreign words and numbers. Particles, endings,
# suffixes and punctuation are left out.
CONTENT_TAGS = frozenset(
    {
        "NNG",
        "NNP",
        "NNB",
        "NR",
        "NP",
        "VV",
        "VA",
        "VX",
        "VCN",
        "MM",
        "MAG",
        "MAJ",
        "XR",
        "SL",
        "SH",
        "SN",
        "W_URL",
        "W_EMAIL",
        "W_HASHTAG",
        "W_MENTION",
        "W_SERIAL",
    }
)
NOUN_TAGS = frozenset({"NNG", "NNP", "XR", "SL", "SH"})
# Kiwi gives words missing from its dictionary a per-tag placeholder id below this one.
_FIRST_DICTIONARY_ID = 48

_lock = threading.Lock()
_instances: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Morpheme:
    """A content morpheme: base form, simplified tag, span in the text, and whether Kiwi's
    dictionary knows it (an unknown noun is often a typo: "비밀번허")."""

    form: str
    tag: str
    start: int
    end: int
    known: bool = True


def get_kiwi(model_type: str | None = None) -> Any:
    """Return the process-wide Kiwi for ``model_type`` (None = Kiwi's default), loading it once."""
    key = model_type or "default"
    instance = _instances.get(key)
    if instance is not None:
        return instance
    with _lock:
        if key not in _instances:
            options: dict[str, Any] = {"model_type": model_type} if model_type else {}
            _instances[key] = Kiwi(load_multi_dict=False, **options)
        return _instances[key]


def _content(tokens: Iterable[Any]) -> list[Morpheme]:
    """Keep the content morphemes of one Kiwi token list, dropping irregular-verb tag marks."""
    out: list[Morpheme] = []
    for token in tokens:
        tag = str(token.tag).split("-", 1)[0]
        if tag in CONTENT_TAGS:
            start = int(token.start)
            end = start + int(token.len)
            known = int(token.id) >= _FIRST_DICTIONARY_ID
            out.append(Morpheme(str(token.form).lower(), tag, start, end, known))
    return out


def analyze(text: str, model_type: str | None = None) -> list[Morpheme]:
    """Content morphemes of one text."""
    if not text.strip():
        return []
    return _content(get_kiwi(model_type).tokenize(text))


def analyze_many(texts: Iterable[str], model_type: str | None = None) -> Iterator[list[Morpheme]]:
    """Content morphemes of many texts, analysed in parallel by Kiwi's worker threads."""
    for tokens in get_kiwi(model_type).tokenize(list(texts)):
        yield _content(tokens)
