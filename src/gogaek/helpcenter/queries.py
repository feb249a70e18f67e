"""Reads of help-center content for pages and the public API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.helpcenter.models import Article, Category, Notice, PublishStatus
from gogaek.helpcenter.schemas import CategoryPublic

PUBLISHED = PublishStatus.PUBLISHED.value


async def list_categories(session: AsyncSession) -> list[CategoryPublic]:
    """Every category with its number of published articles, in display order."""
    counts = (
        select(Article.category_id, func.count().label("n"))
        .where(Article.status == PUBLISHED)
        .group_by(Article.category_id)
        .subquery()
    )
    rows = await session.execute(
        select(Category, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.id)
    )
    return [
        CategoryPublic(
            id=category.id,
            slug=category.slug,
            name=category.name,
            description=category.description,
            position=category.position,
            article_count=int(count),
            requires_verification=category.requires_verification,
        )
        for category, count in rows.all()
    ]


async def get_category_by_slug(session: AsyncSession, slug: str) -> Category | None:
    return await session.scalar(select(Category).where(Category.slug == slug))


def _published_articles() -> Select[Article]:
    return select(Article).where(Article.status == PUBLISHED)


async def list_published_articles(
    session: AsyncSession, *, category_id: int | None = None, limit: int = 50, offset: int = 0
) -> Sequence[Article]:
    query = _published_articles().order_by(Article.id).limit(limit).offset(offset)
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    return (await session.scalars(query)).all()


async def get_published_article(session: AsyncSession, article_id: int) -> Article | None:
    return await session.scalar(_published_articles().where(Article.id == article_id))


async def popular_articles(session: AsyncSession, limit: int = 8) -> Sequence[Article]:
    """자주 묻는 질문 on the home page: every category takes a turn (docs/pages.md).

    The most-read question of each category first, the categories ordered by how read that
    question is, then each category's second question, and so on; so a new installation, where
    nothing has been read yet, shows one question per category instead of only the first one's.
    """
    turn = (
        func.row_number()
        .over(
            partition_by=Article.category_id,
            order_by=(Article.view_count.desc(), Article.helpful_yes.desc(), Article.id),
        )
        .label("turn")
    )
    ranked = _published_articles().add_columns(turn).subquery()
    query = (
        select(Article)
        .join(ranked, ranked.c.id == Article.id)
        .join(Category, Category.id == Article.category_id)
        .order_by(
            ranked.c.turn,
            Article.view_count.desc(),
            Article.helpful_yes.desc(),
            Category.position,
            Category.id,
            Article.id,
        )
    )
    return (await session.scalars(query.limit(limit))).all()


async def related_articles(session: AsyncSession, article: Article, limit: int = 5) -> Sequence[Article]:
    """Most-viewed siblings in the same category; search adds meaning-based ones on the page."""
    query = (
        _published_articles()
        .where(Article.category_id == article.category_id, Article.id != article.id)
        .order_by(Article.view_count.desc(), Article.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def list_articles_for_admin(
    session: AsyncSession, *, status: str | None = None, limit: int = 200, offset: int = 0
) -> Sequence[Article]:
    query = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if status is not None:
        query = query.where(Article.status == status)
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def all_articles(session: AsyncSession) -> Sequence[Article]:
    return (await session.scalars(select(Article).order_by(Article.id))).all()


def _visible_notices(now: datetime) -> Select[Notice]:
    return select(Notice).where(
        Notice.status == PUBLISHED,
        or_(Notice.publish_from.is_(None), Notice.publish_from <= now),
        or_(Notice.publish_until.is_(None), Notice.publish_until > now),
    )


async def list_visible_notices(
    session: AsyncSession,
    *,
    limit: int = 50,
    pinned_only: bool = False,
    now: datetime | None = None,
) -> Sequence[Notice]:
    query = _visible_notices(now or utcnow())
    if pinned_only:
        query = query.where(Notice.pinned.is_(True))
    query = query.order_by(
        Notice.pinned.desc(),
        func.coalesce(Notice.publish_from, Notice.created_at).desc(),
        Notice.id.desc(),
    )
    return (await session.scalars(query.limit(limit))).all()


async def get_visible_notice(session: AsyncSession, notice_id: int, now: datetime | None = None) -> Notice | None:
    return await session.scalar(_visible_notices(now or utcnow()).where(Notice.id == notice_id))


async def list_notices_for_admin(session: AsyncSession) -> Sequence[Notice]:
    return (await session.scalars(select(Notice).order_by(Notice.id.desc()))).all()


async def published_signature(session: AsyncSession) -> tuple[int, str, int, str]:
    """Cheap fingerprint of what the index shows (published articles and category names),
    so every process notices edits made by any other. One round trip: it runs every few
    seconds in every process."""
    categories_changed = select(func.max(Category.updated_at)).scalar_subquery()
    row = (
        await session.execute(
            select(
                func.count(),
                func.max(Article.updated_at),
                func.coalesce(func.sum(Article.id), 0),
                categories_changed,
            ).where(Article.status == PUBLISHED)
        )
    ).one()
    return int(row[0]), str(row[1]), int(row[2]), str(row[3])


async def published_articles_for_index(session: AsyncSession) -> Sequence[Article]:
    return (await session.scalars(_published_articles().order_by(Article.id))).all()
