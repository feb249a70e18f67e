"""Help-center HTML pages for customers: home, categories, articles, search, notices.

Everything here works without JavaScript; the scripts only add live suggestions and an
in-place helpful vote.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.appeals.queries import offers_appeal
from gogaek.deps import SearchDep, SessionDep, SettingsDep
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter import admin_category_pages, admin_pages, queries, service
from gogaek.helpcenter.models import Article
from gogaek.phone.contact import phone_contact
from gogaek.search.queries import MAX_QUERY_LENGTH, clean_query, to_results
from gogaek.search.service import SearchIndex
from gogaek.web.csrf import CsrfForm
from gogaek.web.i18n import N_, in_language
from gogaek.web.ratelimit import RateLimited
from gogaek.web.security import voter_key
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)
router.include_router(admin_category_pages.router)

SEARCH_LIMIT = 20
RELATED_LIMIT = 5


@dataclass(frozen=True, slots=True)
class ArticleLink:
    """What a list of questions needs, whether it came from the database or the engine."""

    id: int
    question: str
    category: str


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "helpcenter/home.html",
        {
            "categories": await queries.list_categories(session),
            "popular": await queries.popular_articles(session, limit=8),
            "pinned": await queries.list_visible_notices(session, limit=5, pinned_only=True),
        },
    )


@router.get("/categories/{slug}", response_class=HTMLResponse)
async def category_page(slug: str, request: Request, session: SessionDep) -> HTMLResponse:
    category = await queries.get_category_by_slug(session, slug)
    if category is None:
        raise not_found("카테고리")
    articles = await queries.list_published_articles(session, category_id=category.id, limit=200)
    return render(
        request,
        "helpcenter/category.html",
        {
            "category": category,
            "articles": articles,
            "categories": await queries.list_categories(session),
        },
    )


async def _published_article(session: AsyncSession, raw_id: str) -> Article:
    article = await queries.get_published_article(session, id_or_404(raw_id, "글"))
    if article is None:
        raise not_found("글")
    return article


async def related_links(session: AsyncSession, index: SearchIndex, article: Article) -> list[ArticleLink]:
    """Meaning-based neighbours from the engine, else the most-read siblings in the category."""
    hits = await index.search(article.question, RELATED_LIMIT + 1)
    links = [
        ArticleLink(hit.document.id, hit.document.question, hit.document.category)
        for hit in hits
        if hit.document.id != article.id
    ]
    if links:
        return links[:RELATED_LIMIT]
    siblings = await queries.related_articles(session, article, limit=RELATED_LIMIT)
    return [ArticleLink(a.id, a.question, a.category.name) for a in siblings]


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article_page(
    article_id: str, request: Request, session: SessionDep, index: SearchDep, voted: str = ""
) -> HTMLResponse:
    article = await _published_article(session, article_id)
    if not voted:  # the page shown right after voting is the same visit, not a new view
        await service.record_article_view(session, article.id)
    return render(
        request,
        "helpcenter/article.html",
        {
            "article": article,
            "related": await related_links(session, index, article),
            "voted": voted if voted in ("yes", "no") else "",
        },
    )


@router.post("/articles/{article_id}/vote", dependencies=[RateLimited])
async def vote_page(article_id: str, request: Request, session: SessionDep, form: CsrfForm) -> RedirectResponse:
    """The no-JavaScript helpful vote; the script uses the JSON API for the same thing."""
    answer = form.get("helpful")
    if answer not in ("yes", "no"):
        raise ProblemError(422, "invalid_vote", N_("'예' 또는 '아니요'를 골라 주세요."))
    article = await _published_article(session, article_id)
    await service.record_vote(session, article.id, voter_key(request), answer == "yes")
    return redirect(f"/articles/{article.id}?voted={answer}#feedback")


@router.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request, session: SessionDep, settings: SettingsDep, index: SearchDep, q: str = ""
) -> HTMLResponse:
    typed = q[: MAX_QUERY_LENGTH * 5]  # echoed back into the box, within reason
    try:
        query = clean_query(q)
    except ProblemError as problem:
        context = {"q": typed, "error": in_language(problem.message), "results": []}
        return render(request, "helpcenter/search.html", context, status=problem.status)
    answer = await index.answer(query, SEARCH_LIMIT, logged_as="search_page")
    results = to_results(answer.hits)
    suggestion = answer.did_you_mean
    return render(
        request,
        "helpcenter/search.html",
        {
            "q": query,
            "results": results,
            "did_you_mean": suggestion if suggestion and suggestion != query else None,
            "no_match": answer.no_match,
            "categories": await queries.list_categories(session) if answer.no_match else [],
            # The closest articles of a query nothing answers say nothing about restrictions.
            "offer_appeal": await offers_appeal(
                session, settings, query, [] if answer.no_match else [result.category for result in results]
            ),
        },
    )


@router.get("/notices", response_class=HTMLResponse)
async def notices_page(request: Request, session: SessionDep) -> HTMLResponse:
    notices = await queries.list_visible_notices(session, limit=100)
    return render(request, "helpcenter/notices.html", {"notices": notices})


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice_page(notice_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    notice = await queries.get_visible_notice(session, id_or_404(notice_id, "공지"))
    if notice is None:
        raise not_found("공지")
    return render(request, "helpcenter/notice.html", {"notice": notice})


@router.get("/contact", response_class=HTMLResponse)
async def contact_page(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    context = {
        "categories": await queries.list_categories(session),
        "phone": await phone_contact(session, settings),
    }
    return render(request, "helpcenter/contact.html", context)
