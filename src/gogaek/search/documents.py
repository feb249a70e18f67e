"""What the search engine indexes and returns; plain values, independent of the database."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One FAQ article as the engine sees it."""

    id: int
    external_id: str | None
    question: str
    alternates: tuple[str, ...]
    tags: tuple[str, ...]
    answer: str
    category: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A ranked result: ``score`` is comparable only within one query."""

    document: SearchDocument
    score: float
    snippet: str
