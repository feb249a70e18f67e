"""Article vectors in memory: rows grouped by document slot, scored with one matrix product."""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gogaek.search.semantic import Vector


class VectorIndex:
    """Vectors grouped by document slot; a document scores as its closest vector."""

    def __init__(self, dim: int) -> None:
        self._vectors = np.zeros((64, dim), dtype=np.float32)
        self._row_doc = np.full(64, -1, dtype=np.int64)
        self._doc_rows: dict[int, list[int]] = {}
        self._free: list[int] = []
        self._next_row = 0

    def add(self, doc_slot: int, vectors: Sequence[Vector]) -> None:
        """Store a document's vectors."""
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


class ModelVectors:
    """One model's two views of every article: each phrasing, and the whole article."""

    def __init__(self, dim: int) -> None:
        self.phrasings = VectorIndex(dim)
        self.documents = VectorIndex(dim)

    def add(self, doc_slot: int, phrasings: Sequence[Vector], whole: Vector) -> None:
        self.phrasings.add(doc_slot, phrasings)
        self.documents.add(doc_slot, [whole])

    def remove(self, doc_slot: int) -> None:
        self.phrasings.remove(doc_slot)
        self.documents.remove(doc_slot)
