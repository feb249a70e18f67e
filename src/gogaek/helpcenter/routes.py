"""Help-center JSON API: public reads and the authenticated admin API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from gogaek.deps import CurrentAdmin, SearchDep, SessionDep
from gogaek.errors import not_found
from gogaek.helpcenter import queries, service
from gogaek.helpcenter.models import PublishStatus
from gogaek.helpcenter.schemas import (
    ArticleCreate,
    ArticlePublic,
    ArticleSummary,
    ArticleUpdate,
    CategoryCreate,
    CategoryPublic,
    CategoryUpdate,
    NoticeCreate,
    NoticePublic,
    NoticeUpdate,
    VoteCreate,
    VoteResult,
)
from gogaek.web.ids import Id
from gogaek.web.ratelimit import RateLimited
from gogaek.web.security import voter_key

public = APIRouter(prefix="/api/v1", tags=["help center"])
admin = APIRouter(prefix="/api/v1/admin", tags=["help center admin"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
PublishAction = Literal["publish", "unpublish"]
STATUS_FOR_ACTION = {"publish": PublishStatus.PUBLISHED, "unpublish": PublishStatus.DRAFT}


@public.get("/faq/categories", response_model=list[CategoryPublic])
async def list_categories(session: SessionDep) -> list[CategoryPublic]:
    return await queries.list_categories(session)


@public.get("/faq/articles", response_model=list[ArticleSummary])
async def list_articles(
    session: SessionDep, category: str | None = None, limit: Limit = 50, offset: Offset = 0
) -> list[ArticleSummary]:
    category_id = None
    if category is not None:
        found = await queries.get_category_by_slug(session, category)
        if found is None:
            raise not_found("카테고리")
        category_id = found.id
    articles = await queries.list_published_articles(session, category_id=category_id, limit=limit, offset=offset)
    return [ArticleSummary.model_validate(a) for a in articles]


@public.get("/faq/articles/{article_id}", response_model=ArticlePublic)
async def get_article(article_id: Id, session: SessionDep) -> ArticlePublic:
    article = await queries.get_published_article(session, article_id)
    if article is None:
        raise not_found("글")
    return ArticlePublic.model_validate(article)


@public.post("/faq/articles/{article_id}/votes", response_model=VoteResult, dependencies=[RateLimited])
async def vote_article(article_id: Id, vote: VoteCreate, request: Request, session: SessionDep) -> VoteResult:
    return await service.record_vote(session, article_id, voter_key(request), vote.helpful)


@public.get("/notices", response_model=list[NoticePublic])
async def list_notices(session: SessionDep, limit: Limit = 50) -> list[NoticePublic]:
    return [NoticePublic.model_validate(n) for n in await queries.list_visible_notices(session, limit=limit)]


@public.get("/notices/{notice_id}", response_model=NoticePublic)
async def get_notice(notice_id: Id, session: SessionDep) -> NoticePublic:
    notice = await queries.get_visible_notice(session, notice_id)
    if notice is None:
        raise not_found("공지")
    return NoticePublic.model_validate(notice)


@admin.post("/categories", response_model=CategoryPublic, status_code=201)
async def create_category(data: CategoryCreate, session: SessionDep, _: CurrentAdmin) -> CategoryPublic:
    category = await service.create_category(session, data)
    return CategoryPublic(
        id=category.id,
        slug=category.slug,
        name=category.name,
        description=category.description,
        position=category.position,
        article_count=0,
        requires_verification=category.requires_verification,
    )


@admin.patch("/categories/{category_id}", response_model=CategoryPublic)
async def update_category(
    category_id: Id, data: CategoryUpdate, session: SessionDep, index: SearchDep, _: CurrentAdmin
) -> CategoryPublic:
    await service.update_category(session, category_id, data)
    await index.categories_changed()
    return next(c for c in await queries.list_categories(session) if c.id == category_id)


@admin.delete("/categories/{category_id}", status_code=204)
async def delete_category(category_id: Id, session: SessionDep, _: CurrentAdmin) -> Response:
    await service.delete_category(session, category_id)
    return Response(status_code=204)


@admin.get("/articles", response_model=list[ArticlePublic])
async def list_all_articles(
    session: SessionDep,
    _: CurrentAdmin,
    status: PublishStatus | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[ArticlePublic]:
    articles = await queries.list_articles_for_admin(
        session, status=status.value if status else None, limit=limit, offset=offset
    )
    return [ArticlePublic.model_validate(a) for a in articles]


@admin.post("/articles", response_model=ArticlePublic, status_code=201)
async def create_article(data: ArticleCreate, session: SessionDep, index: SearchDep, _: CurrentAdmin) -> ArticlePublic:
    article = await service.create_article(session, data)
    await index.article_changed(article)
    return ArticlePublic.model_validate(article)


@admin.get("/articles/{article_id}", response_model=ArticlePublic)
async def get_any_article(article_id: Id, session: SessionDep, _: CurrentAdmin) -> ArticlePublic:
    return ArticlePublic.model_validate(await service.get_article_for_edit(session, article_id))


@admin.patch("/articles/{article_id}", response_model=ArticlePublic)
async def update_article(
    article_id: Id, data: ArticleUpdate, session: SessionDep, index: SearchDep, _: CurrentAdmin
) -> ArticlePublic:
    article = await service.update_article(session, article_id, data)
    await index.article_changed(article)
    return ArticlePublic.model_validate(article)


@admin.post("/articles/{article_id}/{action}", response_model=ArticlePublic)
async def change_article_status(
    article_id: Id, action: PublishAction, session: SessionDep, index: SearchDep, _: CurrentAdmin
) -> ArticlePublic:
    """`publish` or `unpublish`; the search index follows at once."""
    article = await service.set_article_status(session, article_id, STATUS_FOR_ACTION[action])
    await index.article_changed(article)
    return ArticlePublic.model_validate(article)


@admin.delete("/articles/{article_id}", status_code=204)
async def delete_article(article_id: Id, session: SessionDep, index: SearchDep, _: CurrentAdmin) -> Response:
    await service.delete_article(session, article_id)
    await index.article_deleted(article_id)
    return Response(status_code=204)


@admin.get("/notices", response_model=list[NoticePublic])
async def list_all_notices(session: SessionDep, _: CurrentAdmin) -> list[NoticePublic]:
    return [NoticePublic.model_validate(n) for n in await queries.list_notices_for_admin(session)]


@admin.post("/notices", response_model=NoticePublic, status_code=201)
async def create_notice(data: NoticeCreate, session: SessionDep, _: CurrentAdmin) -> NoticePublic:
    return NoticePublic.model_validate(await service.create_notice(session, data))


@admin.patch("/notices/{notice_id}", response_model=NoticePublic)
async def update_notice(notice_id: Id, data: NoticeUpdate, session: SessionDep, _: CurrentAdmin) -> NoticePublic:
    return NoticePublic.model_validate(await service.update_notice(session, notice_id, data))


@admin.post("/notices/{notice_id}/{action}", response_model=NoticePublic)
async def change_notice_status(
    notice_id: Id, action: PublishAction, session: SessionDep, _: CurrentAdmin
) -> NoticePublic:
    update = NoticeUpdate(status=STATUS_FOR_ACTION[action].value)
    return NoticePublic.model_validate(await service.update_notice(session, notice_id, update))


@admin.delete("/notices/{notice_id}", status_code=204)
async def delete_notice(notice_id: Id, session: SessionDep, _: CurrentAdmin) -> Response:
    await service.delete_notice(session, notice_id)
    return Response(status_code=204)
