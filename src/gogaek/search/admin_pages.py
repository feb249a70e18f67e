"""Admin pages for search: the insight loop (top and unanswered queries, turned into an FAQ
article or an alternate phrasing the very next search finds) and the synonym dictionary."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SearchDep, SessionDep
from gogaek.errors import ProblemError
from gogaek.search import dictionary, insight
from gogaek.search.queries import clean_query, to_results
from gogaek.search.service import SearchIndex
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.i18n import gettext as _
from gogaek.web.i18n import in_language
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
        flash(request, in_language(problem.message), "error")
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
        flash(request, in_language(problem.message), "error")
        return redirect(_query_page(query))
    await index.article_changed(article)
    added = _("'%(query)s'을(를) 「%(question)s」의 다른 표현으로 추가했습니다. 다음 검색부터 찾습니다.")
    flash(request, added % {"query": query, "question": article.question})
    return redirect(_query_page(query))


synonym_router = APIRouter(prefix="/admin/synonyms", include_in_schema=False)


async def _dictionary_page(
    request: Request, session: AsyncSession, index: SearchIndex, *, text: str | None = None, error: str = ""
) -> HTMLResponse:
    view = await dictionary.current_dictionary(session, index.engine)
    context = {"dictionary": view, "text": view.text if text is None else text, "error": error}
    return render(request, "admin/synonyms.html", context, status=422 if error else 200)


@synonym_router.get("", response_class=HTMLResponse)
async def synonyms_page(request: Request, session: SessionDep, index: SearchDep, _: PageAdmin) -> HTMLResponse:
    return await _dictionary_page(request, session, index)


@synonym_router.post("")
async def save_synonyms(
    request: Request, session: SessionDep, index: SearchDep, admin: PageAdmin, form: CsrfForm
) -> Response:
    text = str(form.get("text", ""))
    try:
        groups = await dictionary.save_dictionary(session, admin, text)
    except ProblemError as problem:
        return await _dictionary_page(request, session, index, text=text, error=in_language(problem.message))
    await index.synonyms_changed()
    flash(request, _("유의어 사전을 저장했습니다 (%(num)s개 묶음). 검색에 바로 반영됩니다.") % {"num": groups})
    return redirect("/admin/synonyms")


@synonym_router.post("/reset")
async def reset_synonyms(
    request: Request, session: SessionDep, index: SearchDep, admin: PageAdmin, _csrf: CsrfForm
) -> Response:
    await dictionary.reset_dictionary(session, admin)
    await index.synonyms_changed()
    flash(request, _("기본 유의어 사전으로 되돌렸습니다. 검색에 바로 반영됩니다."))
    return redirect("/admin/synonyms")
