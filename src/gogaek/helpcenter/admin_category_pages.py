"""Admin HTML pages for FAQ categories (카테고리 관리): list, create, edit, delete.

Forms go through the same helpers as articles and notices (``FormValues``, ``create_or_update``),
so messages, kept values and refusals (duplicate slug or name, a category still in use)
look the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SessionDep, get_search_index
from gogaek.errors import ProblemError
from gogaek.helpcenter import queries, service
from gogaek.helpcenter.admin_pages import FormVerbs, create_or_update, reload
from gogaek.helpcenter.models import Category
from gogaek.helpcenter.schemas import CategoryCreate, CategoryUpdate
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FormValues
from gogaek.web.i18n import N_, in_language
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/categories", include_in_schema=False)

LIST_PATH = "/admin/categories"
CATEGORY_LABELS = {
    "name": N_("이름"),
    "slug": "slug",
    "description": N_("설명"),
    "position": N_("순서"),
    "requires_verification": N_("본인 확인 필요"),
}
SLUG_RULE = {
    "slug": N_(
        "slug는 영문 소문자·숫자·하이픈(-)으로 80자까지 쓸 수 있고, 하이픈으로 시작할 수 없어요. (예: card-payment)"
    )
}


CATEGORY_VERBS = FormVerbs(
    CategoryCreate, service.create_category, CategoryUpdate, service.update_category, CATEGORY_LABELS, SLUG_RULE
)


@dataclass(frozen=True, slots=True)
class CategoryForm(FormValues):
    name: str = ""
    slug: str = ""
    description: str = ""
    position: str = "0"
    requires_verification: str = ""  # a ticked checkbox sends "1"

    @classmethod
    def of(cls, category: Category) -> CategoryForm:
        return cls(
            name=category.name,
            slug=category.slug,
            description=category.description,
            position=str(category.position),
            requires_verification="1" if category.requires_verification else "",
        )

    def payload(self) -> dict[str, object]:
        return {
            "name": self.name,
            "slug": self.slug.strip(),
            "description": self.description.strip(),
            "position": self.position.strip() or "0",
            "requires_verification": bool(self.requires_verification),
        }


def _category_form(
    request: Request,
    values: CategoryForm,
    *,
    category: Category | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {"category": category, "values": values, "errors": dict(errors or {})}
    return render(request, "admin/category_form.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def categories_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    categories = await queries.list_categories(session)
    return render(request, "admin/categories.html", {"categories": categories})


@router.get("/new", response_class=HTMLResponse)
async def new_category_page(request: Request, _: PageAdmin) -> HTMLResponse:
    return _category_form(request, CategoryForm())


@router.get("/{category_id}/edit", response_class=HTMLResponse)
async def edit_category_page(category_id: str, request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    category = await service.get_category_for_edit(session, id_or_404(category_id, "카테고리"))
    return _category_form(request, CategoryForm.of(category), category=category)


async def _save_category(
    request: Request, session: AsyncSession, values: CategoryForm, category: Category | None
) -> Response:
    category_id = category.id if category else None
    outcome = await create_or_update(session, CATEGORY_VERBS, category_id, values.payload())
    if outcome.saved is None:
        current = await reload(session, Category, category_id)
        return _category_form(request, values, category=current, errors=outcome.errors, status=outcome.status)
    if category_id is not None:
        await (await get_search_index(request)).categories_changed()  # results show the new name
    flash(request, _("카테고리를 저장했습니다."))
    return redirect(LIST_PATH)


@router.post("/new")
async def create_category(request: Request, session: SessionDep, _: PageAdmin, form: CsrfForm) -> Response:
    return await _save_category(request, session, CategoryForm.read(form), None)


@router.post("/{category_id}/edit")
async def update_category(
    category_id: str, request: Request, session: SessionDep, _: PageAdmin, form: CsrfForm
) -> Response:
    category = await service.get_category_for_edit(session, id_or_404(category_id, "카테고리"))
    return await _save_category(request, session, CategoryForm.read(form), category)


@router.post("/{category_id}/delete")
async def delete_category(
    category_id: str, request: Request, session: SessionDep, _admin: PageAdmin, __: CsrfForm
) -> RedirectResponse:
    """A category that still has articles (drafts too) is refused with a message, not deleted."""
    try:
        await service.delete_category(session, id_or_404(category_id, "카테고리"))
    except ProblemError as problem:
        if problem.status == 404:
            raise
        await session.rollback()
        flash(request, in_language(problem.message), "error")
    else:
        flash(request, _("카테고리를 삭제했습니다."))
    return redirect(LIST_PATH)
