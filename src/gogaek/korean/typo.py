"""Spelling correction against a known vocabulary, one keystroke away.

Words are compared as 두벌식 keystroke sequences, so "비밀번허" is one edit from "비밀번호"
and "안되요" one edit from "안돼요". Lookup uses symmetric deletion (SymSpell): every known
word is stored under itself and each of its one-key deletions, so a query needs only its own
deletions looked up, not a scan of the vocabulary.
"""

import functools
import threading
from collections import Counter
from collections.abc import Iterable

from gogaek.korean.jamo import keystrokes

MIN_KEYSTROKES = 4


def _deletions(keys: str) -> set[str]:
    """The key sequence itself and every sequence with one key removed."""
    return {keys} | {keys[:i] + keys[i + 1 :] for i in range(len(keys))}


@functools.lru_cache(maxsize=65536)
def _spelled(word: str) -> tuple[str, tuple[str, ...]]:
    """A word's keystrokes and the bucket keys it is filed under (none when too short to
    correct). Kept per process: every rebuild files the same words again."""
    keys = keystrokes(word)
    return keys, tuple(_deletions(keys)) if len(keys) >= MIN_KEYSTROKES else ()


def within_one_edit(left: str, right: str) -> bool:
    """True when one insertion, deletion, substitution or swap turns ``left`` into ``right``."""
    if left == right:
        return True
    if abs(len(left) - len(right)) > 1:
        return False
    prefix = 0
    while prefix < min(len(left), len(right)) and left[prefix] == right[prefix]:
        prefix += 1
    a, b = left[prefix:], right[prefix:]
    if len(a) == len(b):
        swapped = len(a) >= 2 and a[0] == b[1] and a[1] == b[0] and a[2:] == b[2:]
        return a[1:] == b[1:] or swapped
    return a[1:] == b if len(a) > len(b) else a == b[1:]


class _Filing:
    """Words filed under their bucket keys, shared by the typo indexes of a process.

    An index rebuilt over the same articles files the same words again: the search engine
    rebuilds on every refresh that finds the FAQ changed (an edit in another process, a new
    synonym dictionary), and the test suite builds an index for every test's app. Shared, a
    word is filed once; each index keeps only its own counts and looks up candidates here,
    keeping those it knows. Words are never unfiled (a word an index forgets is just not one
    of its candidates any more), so a filing that grows past ``MAX_FILED_WORDS`` is left to the
    indexes that use it and new indexes start a fresh one.
    """

    def __init__(self) -> None:
        self.buckets: dict[str, set[str]] = {}
        self.words: set[str] = set()
        self.lock = threading.Lock()  # indexes of several engines (threads) file into it

    def file(self, words: Iterable[str]) -> None:
        with self.lock:
            for word in words:
                if word in self.words:
                    continue
                self.words.add(word)
                for deletion in _spelled(word)[1]:
                    self.buckets.setdefault(deletion, set()).add(word)

    def candidates(self, keys: str) -> set[str]:
        """Filed words that share a bucket key with ``keys``."""
        found: set[str] = set()
        with self.lock:
            for deletion in _deletions(keys):
                found |= self.buckets.get(deletion, set())
        return found


MAX_FILED_WORDS = 200_000
_filings: list[_Filing] = [_Filing()]


def _current_filing() -> _Filing:
    if len(_filings[0].words) > MAX_FILED_WORDS:
        _filings[0] = _Filing()
    return _filings[0]


class TypoIndex:
    """Known words with their frequencies, searchable by one-keystroke edits.

    Callers serialise access, as the search engine's lock does.
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._filing = _current_filing()

    def __contains__(self, word: object) -> bool:
        return word in self._counts

    def __len__(self) -> int:
        return len(self._counts)

    def add_all(self, words: list[str]) -> None:
        """Count one more use of each word (a word may come more than once)."""
        counts = self._counts
        new = [word for word in dict.fromkeys(words) if word not in counts]
        counts.update(words)
        self._filing.file(new)

    def discard(self, word: str) -> None:
        """Count one use fewer; forget the word when no use is left."""
        if word not in self._counts:
            return
        self._counts[word] -= 1
        if self._counts[word] <= 0:
            del self._counts[word]

    def count(self, word: str) -> int:
        """How often ``word`` was added."""
        return self._counts.get(word, 0)

    def correct(self, word: str) -> str | None:
        """The most frequent known word one keystroke away, or None if the word is known."""
        if word in self._counts:
            return None
        keys = keystrokes(word)
        if len(keys) < MIN_KEYSTROKES:
            return None
        counts = self._counts
        matches = [c for c in self._filing.candidates(keys) if c in counts and within_one_edit(keys, _spelled(c)[0])]
        if not matches:
            return None
        return max(matches, key=lambda c: (counts[c], c))
