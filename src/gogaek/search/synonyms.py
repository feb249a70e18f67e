"""Synonym groups from an editable text file, matched as concepts.

Each group becomes one concept token (``~3``) that is added to every text and query that
mentions any member, so "이체" finds an article that only says "송금". A member matches when
its morphemes appear in a row in the text, or, for members of two or more characters, when it
appears in the text with spaces removed ("계좌이체" contains "이체"; the longest member wins
where two overlap).
"""

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gogaek.korean import analyze, compact, normalize_query

DEFAULT_PATH = Path(__file__).with_name("synonyms.txt")
_PUNCTUATION = re.compile(r"[^\w]")


def lines_without_a_group(text: str) -> list[int]:
    """Numbers (from 1) of the lines that hold something but not two terms: a typo an admin
    should hear about, since such a line is otherwise silently ignored."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.split("#", 1)[0].strip() and not parse_groups([line])
    ]


def parse_groups(lines: Iterable[str]) -> list[tuple[str, ...]]:
    """Groups of two or more terms from ``a, b, c`` lines; ``#`` starts a comment."""
    groups: list[tuple[str, ...]] = []
    for line in lines:
        content = line.split("#", 1)[0]
        cleaned = (normalize_query(part) for part in content.split(","))
        terms = tuple(dict.fromkeys(term for term in cleaned if term))
        if len(terms) >= 2:
            groups.append(terms)
    return groups


@dataclass(frozen=True, slots=True)
class _Member:
    group: int
    surface: str
    morphemes: tuple[str, ...]


class Synonyms:
    """Concept matcher for a list of synonym groups."""

    def __init__(self, groups: Sequence[tuple[str, ...]], kiwi_model_type: str | None = None) -> None:
        self.groups = list(groups)
        self._members: list[_Member] = []
        for number, group in enumerate(self.groups):
            for term in group:
                forms = tuple(m.form for m in analyze(term, kiwi_model_type))
                surface = _PUNCTUATION.sub("", compact(term))
                self._members.append(_Member(number, surface, forms))
        self._by_first: dict[str, list[_Member]] = {}
        self._by_surface: dict[str, set[int]] = {}
        for member in self._members:
            if member.morphemes:
                self._by_first.setdefault(member.morphemes[0], []).append(member)
            if len(member.surface) >= 2:
                self._by_surface.setdefault(member.surface, set()).add(member.group)
        surfaces = sorted(self._by_surface, key=len, reverse=True)
        self._surface_pattern = re.compile("|".join(map(re.escape, surfaces))) if surfaces else None

    @classmethod
    def from_file(cls, path: Path, kiwi_model_type: str | None = None) -> "Synonyms":
        """Load groups from a UTF-8 synonym file; an edited file is read and analysed again."""
        return _from_text(path.read_text(encoding="utf-8"), kiwi_model_type)

    @classmethod
    def from_text(cls, text: str, kiwi_model_type: str | None = None) -> "Synonyms":
        """Groups from the dictionary as admins edit it (``/admin/synonyms``), same format as the file."""
        return _from_text(text, kiwi_model_type)

    def concepts(self, text: str, morphemes: Sequence[str]) -> set[str]:
        """Concept tokens of the groups mentioned in ``text`` (analysed as ``morphemes``)."""
        found: set[int] = set()
        if self._surface_pattern:
            flat = _PUNCTUATION.sub("", compact(text))
            for match in self._surface_pattern.finditer(flat):
                found |= self._by_surface[match.group()]
        for start, form in enumerate(morphemes):
            for member in self._by_first.get(form, ()):
                end = start + len(member.morphemes)
                if tuple(morphemes[start:end]) == member.morphemes:
                    found.add(member.group)
        return {f"~{group}" for group in found}

    def members(self, concept: str) -> tuple[str, ...]:
        """The terms of the group behind a concept token."""
        return self.groups[int(concept[1:])]


@functools.lru_cache(maxsize=8)
def _from_text(text: str, kiwi_model_type: str | None) -> Synonyms:
    """One analysis per file content and process: every search engine (each app, each rebuild
    after an edit) used to analyse all of its terms with Kiwi again. A ``Synonyms`` is never
    changed after it is built, so engines can share it."""
    return Synonyms(parse_groups(text.splitlines()), kiwi_model_type)
