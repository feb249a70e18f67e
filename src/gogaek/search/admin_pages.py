"""Admin pages of the search insight loop: top and unanswered queries, and turning one into an
FAQ article or an alternate phrasing that the very next search finds."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gogaek.deps import SearchDep, SessionDep
from gogaek.errors import ProblemError
from gogaek.search import insight
from gogaek.search.queries import clean_query, to_results
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/search-insights", include_in_schema=False)

PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
LISTED = 30
CANDIDATES = 5


def _query_page(query: str) -> str:
    return f"/admin/search-insights/query?q={quote(query)}"


@router.get("", response_class=HTMLResponse)
async def insights_page(request: Request, session: SessionDep, _: PageAdmin, days: int = DEFAULT_DAYS) -> HTMLResponse:
    days = days if days in PERIODS else DEFAULT_DAYS
    return render(
        request,
        "admin/search_insights.html",
        {
            "days": days,
            "periods": PERIODS,
            "top": await insight.query_stats(session, days=days, limit=LISTED),
            "unanswered": await insight.query_stats(session, days=days, limit=LISTED, only_unanswered=True),
        },
    )


@router.get("/query", response_class=HTMLResponse)
async def query_page(request: Request, index: SearchDep, _: PageAdmin, q: str = "") -> HTMLResponse:
    """What a customer asking this gets now (not logged: it is the admin searching)."""
    try:
        query = clean_query(q)
    except ProblemError as problem:
        flash(request, problem.message, "error")
        return render(request, "admin/search_query.html", {"q": "", "results": []}, status=problem.status)
    answer = await index.answer(query, CANDIDATES)
    context = {"q": query, "results": to_results(answer.hits), "no_match": answer.no_match or not answer.hits}
    return render(request, "admin/search_query.html", context)


@router.post("/alternates")
async def add_alternate(
    request: Request, session: SessionDep, index: SearchDep, admin: PageAdmin, form: CsrfForm
) -> Response:
    query = clean_query(str(form.get("q", "")))
    article_id = id_or_404(str(form.get("article_id", "")), "글")
    try:
        article = await insight.add_alternate_phrasing(session, admin, article_id, query)
    except ProblemError as problem:
        flash(request, problem.message, "error")
        return redirect(_query_page(query))
    await index.article_changed(article)
    flash(request, f"'{query}'을(를) 「{article.question}」의 다른 표현으로 추가했습니다. 다음 검색부터 찾습니다.")
    return redirect(_query_page(query))
