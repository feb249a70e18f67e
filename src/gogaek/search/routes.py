"""Public search API: full search and autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gogaek.deps import SearchDep, SessionDep, SettingsDep
from gogaek.helpcenter import queries as helpcenter_queries
from gogaek.helpcenter.contact import contact_info
from gogaek.search.queries import clean_query, to_results
from gogaek.search.schemas import NoMatchHelp, SearchResponse, Suggestion, SuggestResponse

router = APIRouter(prefix="/api/v1/faq", tags=["search"])

RawQuery = Annotated[str, Query(description="검색어 (1–200자)")]


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
async def suggest_faq(
    q: RawQuery, index: SearchDep, limit: Annotated[int, Query(ge=1, le=20)] = 8
) -> SuggestResponse:
    query = clean_query(q, allow_empty=True)
    documents = await index.suggest(query, limit) if query else []
    return SuggestResponse(
        query=query,
        suggestions=[
            Suggestion(id=d.id, question=d.question, category=d.category) for d in documents
        ],
    )
