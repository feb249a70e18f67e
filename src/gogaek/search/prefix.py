"""Sorted prefix index for autocomplete and 초성 search.

Keys are spellings (keystrokes or 초성) of a phrasing from each word or morpheme start, so
"ㅂㅁ" finds "계좌 비밀번호" and "빔" (half-typed "비밀") finds "비밀번호 변경". A sorted list
with binary search keeps lookups logarithmic and edits cheap without extra packages.
"""

import bisect
from collections.abc import Iterable

MAX_KEY_LENGTH = 40
MAX_SCANNED = 4000


class PrefixIndex:
    """Keys with a rank (lower is better) pointing at document ids."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, int, int]] = []
        self._by_doc: dict[int, list[tuple[str, int, int]]] = {}

    def add(self, doc_id: int, keys: Iterable[tuple[str, int]]) -> None:
        """Index ``(key, rank)`` pairs for one document."""
        entries = sorted({(key[:MAX_KEY_LENGTH], rank, doc_id) for key, rank in keys if key})
        self._by_doc[doc_id] = entries
        for entry in entries:
            bisect.insort(self._entries, entry)

    def bulk_load(self, docs: Iterable[tuple[int, Iterable[tuple[str, int]]]]) -> None:
        """Replace the whole index at once (one sort instead of many inserts)."""
        self._by_doc = {
            doc_id: sorted({(key[:MAX_KEY_LENGTH], rank, doc_id) for key, rank in keys if key}) for doc_id, keys in docs
        }
        self._entries = sorted(e for entries in self._by_doc.values() for e in entries)

    def remove(self, doc_id: int) -> None:
        """Drop every key of one document."""
        for entry in self._by_doc.pop(doc_id, []):
            position = bisect.bisect_left(self._entries, entry)
            if position < len(self._entries) and self._entries[position] == entry:
                del self._entries[position]

    def lookup(self, prefix: str, limit: int) -> list[tuple[int, float]]:
        """Up to ``limit`` ``(doc_id, score)`` pairs whose key starts with ``prefix``, best first.

        A match at the start of a question outranks one inside it, and a shorter key
        (a closer completion) outranks a longer one.
        """
        if not prefix:
            return []
        start = bisect.bisect_left(self._entries, (prefix, -1, -1))
        best: dict[int, tuple[int, int]] = {}
        for key, rank, doc_id in self._entries[start : start + MAX_SCANNED]:
            if not key.startswith(prefix):
                break
            order = (rank, len(key))
            if doc_id not in best or order < best[doc_id]:
                best[doc_id] = order
        ranked = sorted(best.items(), key=lambda item: (item[1], item[0]))[:limit]
        return [(doc_id, 1.0 / (1 + rank + length / 100)) for doc_id, (rank, length) in ranked]
