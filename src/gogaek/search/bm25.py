"""Incremental BM25 over short text rows that belong to documents.

A document owns several rows (its question and each alternate phrasing); it scores as its
best row, so an article with ten phrasings is not penalised for length nor rewarded for
repetition. Each row can carry several channels of terms (morphemes, character bigrams),
scored with their own statistics and summed per row. Postings are compact ``array`` buffers
updated in place, so an edit is visible to the next query without a rebuild.
"""

import math
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class _Channel:
    """Postings and row lengths of one kind of term."""

    def __init__(self, k1: float, b: float) -> None:
        self.k1 = k1
        self.b = b
        self.term_ids: dict[str, int] = {}
        self.rows: list[array[int]] = []
        self.freqs: list[array[float]] = []
        self.row_terms: dict[int, list[int]] = {}
        self.lengths = np.zeros(64)
        self.total_length = 0.0

    def add(self, row: int, terms: Counter[str]) -> None:
        """Index one row's term frequencies."""
        if row >= len(self.lengths):
            self.lengths = np.concatenate([self.lengths, np.zeros(len(self.lengths))])
        term_ids, rows, freqs = self.term_ids, self.rows, self.freqs
        ids: list[int] = []
        for term, count in terms.items():
            term_id = term_ids.get(term)
            if term_id is None:
                term_id = term_ids[term] = len(rows)
                rows.append(array("q"))
                freqs.append(array("d"))
            rows[term_id].append(row)
            freqs[term_id].append(count)
            ids.append(term_id)
        self.row_terms[row] = ids
        length = sum(terms.values())
        self.lengths[row] = length
        self.total_length += length

    def remove(self, row: int) -> None:
        """Drop one row from every posting it appears in."""
        for term_id in self.row_terms.pop(row, []):
            postings = self.rows[term_id]
            position = postings.index(row)
            del postings[position]
            del self.freqs[term_id][position]
        self.total_length -= self.lengths[row]
        self.lengths[row] = 0.0

    def document_frequency(self, term: str) -> int:
        """Number of rows containing ``term``."""
        term_id = self.term_ids.get(term)
        return 0 if term_id is None else len(self.rows[term_id])

    def score_into(self, query: Mapping[str, float], n_rows: int, out: FloatArray) -> None:
        """Add the BM25 score of every row matching ``query`` (term -> weight) to ``out``."""
        if n_rows == 0:
            return
        average = max(self.total_length / n_rows, 1.0)
        for term, weight in query.items():
            term_id = self.term_ids.get(term)
            if term_id is None or not self.rows[term_id]:
                continue
            rows = np.frombuffer(self.rows[term_id], dtype=np.int64)
            freqs = np.frombuffer(self.freqs[term_id], dtype=np.float64)
            df = len(rows)
            idf = math.log(1.0 + (n_rows - df + 0.5) / (df + 0.5))
            norm = self.k1 * (1.0 - self.b + self.b * self.lengths[rows] / average)
            out[rows] += weight * idf * freqs * (self.k1 + 1.0) / (freqs + norm)


class RowIndex:
    """Rows grouped by document slot, with one BM25 channel per term kind."""

    def __init__(self, channels: int, k1: float = 1.2, b: float = 0.75) -> None:
        self._channels = [_Channel(k1, b) for _ in range(channels)]
        self._row_doc = np.full(64, -1, dtype=np.int64)
        self._doc_rows: dict[int, list[int]] = {}
        self._free: list[int] = []
        self._next_row = 0

    @property
    def row_count(self) -> int:
        """Number of live rows."""
        return self._next_row - len(self._free)

    def add(self, doc_slot: int, rows: Sequence[Sequence[Counter[str]]]) -> None:
        """Index a document's rows; each row gives one term counter per channel."""
        slots = [self._allocate(doc_slot) for _ in rows]
        for row, channel_terms in zip(slots, rows, strict=True):
            for channel, terms in zip(self._channels, channel_terms, strict=True):
                channel.add(row, terms)
        self._doc_rows[doc_slot] = slots

    def remove(self, doc_slot: int) -> None:
        """Forget every row of a document."""
        for row in self._doc_rows.pop(doc_slot, []):
            for channel in self._channels:
                channel.remove(row)
            self._row_doc[row] = -1
            self._free.append(row)

    def document_frequency(self, channel: int, term: str) -> int:
        """Rows containing ``term`` in the given channel."""
        return self._channels[channel].document_frequency(term)

    def score(self, queries: Sequence[Mapping[str, float]], doc_capacity: int) -> FloatArray:
        """Per-document best-row score for one weighted query per channel."""
        row_scores = np.zeros(len(self._row_doc))
        for channel, query in zip(self._channels, queries, strict=True):
            channel.score_into(query, self.row_count, row_scores)
        matched = np.flatnonzero(row_scores)
        doc_scores = np.zeros(doc_capacity)
        np.maximum.at(doc_scores, self._row_doc[matched], row_scores[matched])
        return doc_scores

    def _allocate(self, doc_slot: int) -> int:
        """Reuse a free row slot or append one, growing the arrays geometrically."""
        if self._free:
            row = self._free.pop()
        else:
            row = self._next_row
            self._next_row += 1
            if row >= len(self._row_doc):
                grown = np.full(len(self._row_doc), -1, dtype=np.int64)
                self._row_doc = np.concatenate([self._row_doc, grown])
        self._row_doc[row] = doc_slot
        return row
