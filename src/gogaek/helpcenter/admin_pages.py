"""Admin HTML pages for help-center content: dashboard, article and notice forms.

Every change goes through ``helpcenter.service`` (one transaction each) and then tells the
search index, so the help center finds an edited article on the very next search.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from typing import Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SearchDep, SessionDep
from gogaek.helpcenter import queries, service
from gogaek.helpcenter.models import Article, Category, Notice, PublishStatus
from gogaek.helpcenter.schemas import ArticleCreate, ArticleUpdate, NoticeCreate, NoticeUpdate
from gogaek.web.admin_forms import Outcome, submit
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import (
    FormValues,
    blank_to_none,
    split_commas,
    split_lines,
)
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.templating import local_input_value
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False)
R = TypeVar("R", Article, Category, Notice)
S = TypeVar("S")
M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound=BaseModel)
U = TypeVar("U", bound=BaseModel)

ARTICLE_LABELS = {
    "category": N_("카테고리"),
    "question": N_("질문"),
    "answer": N_("답변"),
    "tags": N_("태그"),
    "alternates": N_("다른 표현"),
    "status": N_("상태"),
}
NOTICE_LABELS = {
    "title": N_("제목"),
    "body": N_("본문"),
    "kind": N_("종류"),
    "pinned": N_("상단 고정"),
    "status": N_("상태"),
    "publish_from": N_("게시 시작"),
    "publish_until": N_("게시 종료"),
}
FIELD_FOR_CODE = {"unknown_category": "category", "invalid_publish_window": "publish_until"}


@dataclass(frozen=True, slots=True)
class ArticleForm(FormValues):
    question: str = ""
    category: str = ""
    answer: str = ""
    tags: str = ""
    alternates: str = ""
    status: str = PublishStatus.DRAFT.value

    @classmethod
    def of(cls, article: Article) -> ArticleForm:
        return cls(
            question=article.question,
            category=article.category.slug,
            answer=article.answer_md,
            tags=", ".join(article.tags or []),
            alternates="\n".join(article.alternates or []),
            status=article.status,
        )

    def payload(self) -> dict[str, object]:
        return {
            **asdict(self),
            "tags": split_commas(self.tags),
            "alternates": split_lines(self.alternates),
        }


@dataclass(frozen=True, slots=True)
class NoticeForm(FormValues):
    title: str = ""
    body: str = ""
    kind: str = "notice"
    pinned: str = ""
    status: str = PublishStatus.DRAFT.value
    publish_from: str = ""
    publish_until: str = ""

    @classmethod
    def of(cls, notice: Notice) -> NoticeForm:
        return cls(
            title=notice.title,
            body=notice.body_md,
            kind=notice.kind,
            pinned="on" if notice.pinned else "",
            status=notice.status,
            publish_from=local_input_value(notice.publish_from),
            publish_until=local_input_value(notice.publish_until),
        )

    def payload(self) -> dict[str, object]:
        return {
            **asdict(self),
            "pinned": bool(self.pinned),
            "publish_from": blank_to_none(self.publish_from),
            "publish_until": blank_to_none(self.publish_until),
        }


@dataclass(frozen=True, slots=True)
class FormVerbs(Generic[C, U, S]):
    """How one kind of record is created and changed: schemas and service verbs."""

    create_schema: type[C]
    create: Callable[[AsyncSession, C], Awaitable[S]]
    update_schema: type[U]
    update: Callable[[AsyncSession, int, U], Awaitable[S]]
    labels: Mapping[str, str]
    pattern_rules: Mapping[str, str] | None = None


async def create_or_update(
    session: AsyncSession, verbs: FormVerbs[C, U, S], record_id: int | None, payload: Mapping[str, object]
) -> Outcome[S]:
    """A new record when there is no id yet, else a change to that record (``web.admin_forms.submit``)."""
    rules = verbs.pattern_rules
    if record_id is None:
        create = partial(verbs.create, session)
        return await submit(session, verbs.create_schema, payload, verbs.labels, create, FIELD_FOR_CODE, rules)
    update = partial(verbs.update, session, record_id)
    return await submit(session, verbs.update_schema, payload, verbs.labels, update, FIELD_FOR_CODE, rules)


ARTICLE_VERBS = FormVerbs(ArticleCreate, service.create_article, ArticleUpdate, service.update_article, ARTICLE_LABELS)
NOTICE_VERBS = FormVerbs(NoticeCreate, service.create_notice, NoticeUpdate, service.update_notice, NOTICE_LABELS)


async def reload(session: AsyncSession, model: type[R], record_id: int | None) -> R | None:
    """Drops a refused change; the record is then read again for the page around the form."""
    await session.rollback()
    return await session.get(model, record_id) if record_id is not None else None


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, session: SessionDep, user: PageAdmin, status: str = "") -> HTMLResponse:
    status_filter = status if status in (s.value for s in PublishStatus) else None
    return render(
        request,
        "admin/dashboard.html",
        {
            "user": user,
            "status": status_filter or "",
            "articles": await queries.list_articles_for_admin(session, status=status_filter),
            "notices": await queries.list_notices_for_admin(session),
        },
    )


async def _article_form(
    request: Request,
    session: AsyncSession,
    values: ArticleForm,
    *,
    article: Article | None = None,
    errors: Mapping[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "admin/article_form.html",
        {
            "article": article,
            "values": values,
            "errors": dict(errors or {}),
            "category_options": [("", _("카테고리를 고르세요"))]
            + [(c.slug, c.name) for c in await queries.list_categories(session)],
        },
        status=422 if errors else 200,
    )


@router.get("/articles/new", response_class=HTMLResponse)
async def new_article_page(request: Request, session: SessionDep, _: PageAdmin, question: str = "") -> HTMLResponse:
    """``question`` pre-fills the form, as the search insight page does with a customer's query."""
    return await _article_form(request, session, ArticleForm(question=question[:300]))


@router.get("/articles/{article_id}/edit", response_class=HTMLResponse)
async def edit_article_page(article_id: str, request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    article = await service.get_article_for_edit(session, id_or_404(article_id, "글"))
    return await _article_form(request, session, ArticleForm.of(article), article=article)


async def _save_article(
    request: Request,
    session: AsyncSession,
    index: SearchDep,
    values: ArticleForm,
    article: Article | None,
) -> Response:
    article_id = article.id if article else None
    outcome = await create_or_update(session, ARTICLE_VERBS, article_id, values.payload())
    saved = outcome.saved
    if saved is None:
        current = await reload(session, Article, article_id)
        return await _article_form(request, session, values, article=current, errors=outcome.errors)
    await index.article_changed(saved)
    flash(request, _("저장했습니다. 고객센터 검색에도 바로 반영됩니다."))
    return redirect(f"/admin/articles/{saved.id}/edit")


@router.post("/articles/new")
async def create_article(
    request: Request, session: SessionDep, index: SearchDep, _: PageAdmin, form: CsrfForm
) -> Response:
    return await _save_article(request, session, index, ArticleForm.read(form), None)


@router.post("/articles/{article_id}/edit")
async def update_article(
    article_id: str,
    request: Request,
    session: SessionDep,
    index: SearchDep,
    _: PageAdmin,
    form: CsrfForm,
) -> Response:
    article = await service.get_article_for_edit(session, id_or_404(article_id, "글"))
    return await _save_article(request, session, index, ArticleForm.read(form), article)


async def _set_status(
    request: Request, session: AsyncSession, index: SearchDep, raw_id: str, status: PublishStatus
) -> RedirectResponse:
    article = await service.set_article_status(session, id_or_404(raw_id, "글"), status)
    await index.article_changed(article)
    published = status == PublishStatus.PUBLISHED
    flash(request, _("게시했습니다.") if published else _("게시를 중단했습니다."))
    return redirect(f"/admin/articles/{article.id}/edit")


@router.post("/articles/{article_id}/publish")
async def publish_article(
    article_id: str,
    request: Request,
    session: SessionDep,
    index: SearchDep,
    _: PageAdmin,
    __: CsrfForm,
) -> RedirectResponse:
    return await _set_status(request, session, index, article_id, PublishStatus.PUBLISHED)


@router.post("/articles/{article_id}/unpublish")
async def unpublish_article(
    article_id: str,
    request: Request,
    session: SessionDep,
    index: SearchDep,
    _: PageAdmin,
    __: CsrfForm,
) -> RedirectResponse:
    return await _set_status(request, session, index, article_id, PublishStatus.DRAFT)


@router.post("/articles/{article_id}/delete")
async def delete_article(
    article_id: str,
    request: Request,
    session: SessionDep,
    index: SearchDep,
    _admin: PageAdmin,
    __: CsrfForm,
) -> RedirectResponse:
    article_key = id_or_404(article_id, "글")
    await service.delete_article(session, article_key)
    await index.article_deleted(article_key)
    flash(request, _("글을 삭제했습니다."))
    return redirect("/admin")


async def _notice_form(
    request: Request,
    values: NoticeForm,
    *,
    notice: Notice | None = None,
    errors: Mapping[str, str] | None = None,
) -> HTMLResponse:
    context = {"notice": notice, "values": values, "errors": dict(errors or {})}
    return render(request, "admin/notice_form.html", context, status=422 if errors else 200)


@router.get("/notices/new", response_class=HTMLResponse)
async def new_notice_page(request: Request, _: PageAdmin) -> HTMLResponse:
    return await _notice_form(request, NoticeForm())


@router.get("/notices/{notice_id}/edit", response_class=HTMLResponse)
async def edit_notice_page(notice_id: str, request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    notice = await service.get_notice_for_edit(session, id_or_404(notice_id, "공지"))
    return await _notice_form(request, NoticeForm.of(notice), notice=notice)


async def _save_notice(request: Request, session: AsyncSession, values: NoticeForm, notice: Notice | None) -> Response:
    notice_id = notice.id if notice else None
    outcome = await create_or_update(session, NOTICE_VERBS, notice_id, values.payload())
    saved = outcome.saved
    if saved is None:
        current = await reload(session, Notice, notice_id)
        return await _notice_form(request, values, notice=current, errors=outcome.errors)
    flash(request, _("공지를 저장했습니다."))
    return redirect(f"/admin/notices/{saved.id}/edit")


@router.post("/notices/new")
async def create_notice(request: Request, session: SessionDep, _: PageAdmin, form: CsrfForm) -> Response:
    return await _save_notice(request, session, NoticeForm.read(form), None)


@router.post("/notices/{notice_id}/edit")
async def update_notice(
    notice_id: str, request: Request, session: SessionDep, _: PageAdmin, form: CsrfForm
) -> Response:
    notice = await service.get_notice_for_edit(session, id_or_404(notice_id, "공지"))
    return await _save_notice(request, session, NoticeForm.read(form), notice)


@router.post("/notices/{notice_id}/delete")
async def delete_notice(
    notice_id: str, request: Request, session: SessionDep, _admin: PageAdmin, __: CsrfForm
) -> RedirectResponse:
    await service.delete_notice(session, id_or_404(notice_id, "공지"))
    flash(request, _("공지를 삭제했습니다."))
    return redirect("/admin")
