"""Verbs that change help-center content; each is one transaction."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import commit_unique, utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Article, ArticleVote, Category, Notice, PublishStatus
from gogaek.helpcenter.schemas import (
    ArticleCreate,
    ArticleUpdate,
    CategoryCreate,
    CategoryUpdate,
    NoticeCreate,
    NoticeUpdate,
    VoteResult,
)
from gogaek.web.i18n import N_, gettext

T = TypeVar("T", Article, Category, Notice)


def category_race() -> ProblemError:
    return ProblemError(409, "category_exists", N_("같은 slug 또는 이름의 카테고리가 이미 있습니다."))


def external_id_taken() -> ProblemError:
    return ProblemError(409, "external_id_exists", N_("같은 외부 ID의 글이 이미 있습니다."))


def unknown_category(value: str) -> ProblemError:
    return ProblemError(
        422,
        "unknown_category",
        gettext("'%(value)s' 카테고리를 찾을 수 없습니다.") % {"value": value},
        errors=[{"loc": ["body", "category"], "message": "unknown category"}],
    )


async def find_category(session: AsyncSession, slug_or_name: str) -> Category | None:
    value = slug_or_name.strip()
    query = select(Category).where((Category.slug == value) | (Category.name == value))
    return await session.scalar(query)


async def resolve_category(session: AsyncSession, slug_or_name: str) -> Category:
    category = await find_category(session, slug_or_name)
    if category is None:
        raise unknown_category(slug_or_name)
    return category


def slug_for_name(name: str) -> str:
    """Korean names have no ASCII slug, so imported categories get a stable hashed one."""
    return "c-" + hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:10]


async def _ensure_unique_category(
    session: AsyncSession, slug: str | None, name: str | None, exclude_id: int | None = None
) -> None:
    taken_slug, taken_name = N_("같은 slug의 카테고리가 이미 있습니다."), N_("같은 이름의 카테고리가 이미 있습니다.")
    for column, value, taken in ((Category.slug, slug, taken_slug), (Category.name, name, taken_name)):
        if value is None:
            continue
        query = select(Category.id).where(column == value)
        if exclude_id is not None:
            query = query.where(Category.id != exclude_id)
        if await session.scalar(query) is not None:
            raise ProblemError(
                409,
                "category_exists",
                taken,
                errors=[{"loc": ["body", column.key], "message": "duplicate"}],
            )


async def get_category_for_edit(session: AsyncSession, category_id: int) -> Category:
    return await _get_or_404(session, Category, category_id, "카테고리")


async def create_category(session: AsyncSession, data: CategoryCreate) -> Category:
    await _ensure_unique_category(session, data.slug, data.name)
    category = Category(**data.model_dump())
    session.add(category)
    await commit_unique(session, category_race)
    return category


async def update_category(session: AsyncSession, category_id: int, data: CategoryUpdate) -> Category:
    category = await _get_or_404(session, Category, category_id, "카테고리")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    await _ensure_unique_category(session, changes.get("slug"), changes.get("name"), category_id)
    for field, value in changes.items():
        setattr(category, field, value)
    category.updated_at = utcnow()
    await commit_unique(session, category_race)
    return category


async def delete_category(session: AsyncSession, category_id: int) -> None:
    category = await _get_or_404(session, Category, category_id, "카테고리")
    in_use = await session.scalar(select(func.count()).select_from(Article).where(Article.category_id == category_id))
    if in_use:
        raise ProblemError(
            409,
            "category_in_use",
            N_("글이 있는 카테고리는 삭제할 수 없습니다."),
        )
    await session.delete(category)
    await session.commit()


async def _ensure_unique_external_id(
    session: AsyncSession, external_id: str | None, exclude_id: int | None = None
) -> None:
    if external_id is None:
        return
    query = select(Article.id).where(Article.external_id == external_id)
    if exclude_id is not None:
        query = query.where(Article.id != exclude_id)
    if await session.scalar(query) is not None:
        raise external_id_taken()


def _apply_status(article: Article, status: str) -> None:
    if status == PublishStatus.PUBLISHED and article.published_at is None:
        article.published_at = utcnow()
    article.status = status


async def create_article(session: AsyncSession, data: ArticleCreate) -> Article:
    category = await resolve_category(session, data.category)
    await _ensure_unique_external_id(session, data.external_id)
    article = Article(
        external_id=data.external_id,
        category=category,
        question=data.question,
        answer_md=data.answer,
        tags=list(data.tags),
        alternates=list(data.alternates),
        updated_at=utcnow(),
    )
    _apply_status(article, data.status)
    session.add(article)
    await commit_unique(session, external_id_taken)
    return article


async def _get_or_404(session: AsyncSession, model: type[T], row_id: int, label: str) -> T:
    row = await session.get(model, row_id)
    if row is None:
        raise not_found(label)
    return row


async def get_article_for_edit(session: AsyncSession, article_id: int) -> Article:
    return await _get_or_404(session, Article, article_id, "글")


async def update_article(session: AsyncSession, article_id: int, data: ArticleUpdate) -> Article:
    article = await get_article_for_edit(session, article_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude_none=True)
    if "category" in changes:
        article.category = await resolve_category(session, changes.pop("category"))
    if "answer" in changes:
        article.answer_md = changes.pop("answer")
    if "status" in changes:
        _apply_status(article, changes.pop("status"))
    for field, value in changes.items():
        setattr(article, field, value)
    article.updated_at = utcnow()
    await session.commit()
    return article


async def set_article_status(session: AsyncSession, article_id: int, status: PublishStatus) -> Article:
    return await update_article(session, article_id, ArticleUpdate(status=status.value))


async def delete_article(session: AsyncSession, article_id: int) -> None:
    article = await get_article_for_edit(session, article_id)
    await session.delete(article)
    await session.commit()


async def record_article_view(session: AsyncSession, article_id: int) -> None:
    await session.execute(update(Article).where(Article.id == article_id).values(view_count=Article.view_count + 1))
    await session.commit()


async def record_vote(session: AsyncSession, article_id: int, voter_key: str, helpful: bool) -> VoteResult:
    """A visitor's second vote replaces the first, so counts stay honest."""
    try:
        return await _record_vote(session, article_id, voter_key, helpful)
    except IntegrityError:
        await session.rollback()  # the same visitor's simultaneous first vote won: update it
        return await _record_vote(session, article_id, voter_key, helpful)


async def _record_vote(session: AsyncSession, article_id: int, voter_key: str, helpful: bool) -> VoteResult:
    article = await session.get(Article, article_id)
    if article is None or article.status != PublishStatus.PUBLISHED:
        raise not_found("글")
    vote = await session.scalar(
        select(ArticleVote).where(ArticleVote.article_id == article_id, ArticleVote.voter_key == voter_key)
    )
    if vote is None:
        session.add(ArticleVote(article_id=article_id, voter_key=voter_key, helpful=helpful))
    else:
        vote.helpful = helpful
    await session.flush()
    counts = dict(
        (bool(helpful_value), int(n))
        for helpful_value, n in (
            await session.execute(
                select(ArticleVote.helpful, func.count())
                .where(ArticleVote.article_id == article_id)
                .group_by(ArticleVote.helpful)
            )
        ).all()
    )
    article.helpful_yes = counts.get(True, 0)
    article.helpful_no = counts.get(False, 0)
    await session.commit()
    return VoteResult(helpful_yes=article.helpful_yes, helpful_no=article.helpful_no)


def _check_window(notice: Notice) -> None:
    if notice.publish_from and notice.publish_until and notice.publish_until <= notice.publish_from:
        raise ProblemError(
            422,
            "invalid_publish_window",
            "게시 종료 시각은 시작 시각보다 뒤여야 합니다. (publish_until must be after publish_from)",
        )


async def create_notice(session: AsyncSession, data: NoticeCreate) -> Notice:
    values = data.model_dump()
    body = values.pop("body")
    notice = Notice(**values, body_md=body, updated_at=utcnow())
    _check_window(notice)
    session.add(notice)
    await session.commit()
    return notice


async def get_notice_for_edit(session: AsyncSession, notice_id: int) -> Notice:
    return await _get_or_404(session, Notice, notice_id, "공지")


async def update_notice(session: AsyncSession, notice_id: int, data: NoticeUpdate) -> Notice:
    notice = await get_notice_for_edit(session, notice_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    body = changes.pop("body", None)
    if body is not None:
        notice.body_md = body
    for field, value in changes.items():
        if value is not None or field in ("publish_from", "publish_until"):
            setattr(notice, field, value)
    _check_window(notice)
    notice.updated_at = utcnow()
    await session.commit()
    return notice


async def delete_notice(session: AsyncSession, notice_id: int) -> None:
    notice = await get_notice_for_edit(session, notice_id)
    await session.delete(notice)
    await session.commit()
