"""Public search API: full search and autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gogaek.deps import SearchDep, SessionDep, SettingsDep
from gogaek.helpcenter import queries as helpcenter_queries
from gogaek.helpcenter.contact import contact_info
from gogaek.korean.jamo import is_chosung_query
from gogaek.search.documents import SearchDocument
from gogaek.search.queries import clean_query, to_results
from gogaek.search.schemas import NoMatchHelp, SearchResponse, Suggestion, SuggestResponse
from gogaek.search.service import SearchIndex

router = APIRouter(prefix="/api/v1/faq", tags=["search"])

RawQuery = Annotated[str, Query(description="검색어 (1–200자)")]
NO_MATCH_MIN_CHARS = 2  # one syllable is the start of too many questions to judge


@router.get("/search", response_model=SearchResponse)
async def search_faq(
    q: RawQuery,
    index: SearchDep,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResponse:
    query = clean_query(q)
    answer = await index.answer(query, limit, logged_as="api")
    results = to_results(answer.hits)
    response = SearchResponse(query=query, results=results, did_you_mean=answer.did_you_mean)
    if answer.no_match:  # the closest articles stay in ``results``; none looks like the answer
        response.no_match = NoMatchHelp(
            message="찾으시는 답변이 없나요? 딱 맞는 답변을 찾지 못했습니다. "
            "1:1 문의, 채팅 상담이나 전화 상담 예약으로 상담사에게 물어보세요.",
            categories=await helpcenter_queries.list_categories(session),
            contact=contact_info(settings),
        )
    return response


@router.get("/suggest", response_model=SuggestResponse)
async def suggest_faq(q: RawQuery, index: SearchDep, limit: Annotated[int, Query(ge=1, le=20)] = 8) -> SuggestResponse:
    query = clean_query(q, allow_empty=True)
    documents = await index.suggest(query, limit) if query else []
    return SuggestResponse(
        query=query,
        suggestions=[Suggestion(id=d.id, question=d.question, category=d.category) for d in documents],
        no_match=await _typed_no_match(index, query, documents, limit),
    )


async def _typed_no_match(index: SearchIndex, query: str, documents: list[SearchDocument], limit: int) -> bool:
    """Whether autocomplete should say "no good answer" (docs/search.md, "Autocomplete").

    Suggestions that continue the customer's own words (completions) are never doubted. When
    some are only lexical neighbours, or nothing was found, the full search's abstention rule
    decides, as on the search page; it runs only then, so typing a known question stays fast.
    """
    if len(query) < NO_MATCH_MIN_CHARS or is_chosung_query(query):
        return False
    completions = {document.id for document in index.engine.completions(query, limit)}
    if documents and all(document.id in completions for document in documents):
        return False
    return (await index.answer(query, limit)).no_match
