"""Search reads shared by the API, the pages and the CLI."""

from __future__ import annotations

from gogaek.errors import ProblemError
from gogaek.rendering import strip_control_characters
from gogaek.search.documents import SearchHit
from gogaek.search.schemas import SearchResult
from gogaek.web.i18n import N_, gettext

MAX_QUERY_LENGTH = 200


def clean_query(raw: str, *, allow_empty: bool = False) -> str:
    """Validates a customer's query: no control characters, 1–200 characters."""
    query = " ".join(strip_control_characters(raw).split())
    if not query and not allow_empty:
        raise ProblemError(
            422,
            "empty_query",
            N_("검색어를 입력해 주세요."),
            errors=[{"loc": ["query", "q"], "message": "empty"}],
        )
    if len(query) > MAX_QUERY_LENGTH:
        raise ProblemError(
            422,
            "query_too_long",
            gettext("검색어는 %(max)s자 이하로 입력해 주세요.") % {"max": MAX_QUERY_LENGTH},
            errors=[{"loc": ["query", "q"], "message": "too long"}],
        )
    return query


def to_results(hits: list[SearchHit]) -> list[SearchResult]:
    return [
        SearchResult(
            id=hit.document.id,
            external_id=hit.document.external_id,
            question=hit.document.question,
            category=hit.document.category,
            score=round(hit.score, 6),
            snippet=hit.snippet,
        )
        for hit in hits
    ]
