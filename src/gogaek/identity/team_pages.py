"""Admin HTML pages for teams (팀 관리): list, create, rename, delete, members, routed categories,
and the emergency flag (보이스피싱·해킹·명의도용 inquiries go to the team that has it).

Admins and supervisors, as in the teams API; every change is one ``identity.teams`` verb with
its audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SessionDep
from gogaek.helpcenter.queries import list_categories
from gogaek.identity import service, teams
from gogaek.identity.models import StaffUser, Team
from gogaek.identity.schemas import TeamCreate, TeamUpdate
from gogaek.web.admin_forms import act, checked_ids, submit
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.flash import flash
from gogaek.web.forms import FormValues
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _
from gogaek.web.views import id_or_404, redirect, render

router = APIRouter(prefix="/admin/teams", include_in_schema=False)

LIST_PATH = "/admin/teams"
LABELS = {"slug": "slug", "name": N_("이름"), "handles_emergencies": N_("긴급 문의 담당")}
SLUG_RULE = {
    "slug": N_("slug는 영문 소문자·숫자·하이픈(-)으로 50자까지 쓸 수 있고, 하이픈으로 시작할 수 없어요. (예: security)")
}
FIELD_FOR_CODE = {"team_exists": "slug"}


@dataclass(frozen=True, slots=True)
class TeamForm(FormValues):
    slug: str = ""
    name: str = ""
    handles_emergencies: str = ""

    @classmethod
    def of(cls, team: Team) -> TeamForm:
        return cls(slug=team.slug, name=team.name, handles_emergencies="on" if team.handles_emergencies else "")

    def payload(self) -> dict[str, object]:
        return {"slug": self.slug.strip(), "name": self.name, "handles_emergencies": bool(self.handles_emergencies)}


@router.get("", response_class=HTMLResponse)
async def teams_page(request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    names = {category.id: category.name for category in await list_categories(session)}
    return render(request, "admin/teams.html", {"teams": await teams.list_teams(session), "category_names": names})


def _new_form(
    request: Request, values: TeamForm, errors: Mapping[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    return render(request, "admin/team_new.html", {"values": values, "errors": dict(errors or {})}, status=status)


@router.get("/new", response_class=HTMLResponse)
async def new_team_page(request: Request, _: PageAdmin) -> HTMLResponse:
    return _new_form(request, TeamForm())


@router.post("/new")
async def create_team(request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    values = TeamForm.read(form)

    async def save(data: TeamCreate) -> Team:
        return await teams.create_team(session, user, data, request)

    outcome = await submit(session, TeamCreate, values.payload(), LABELS, save, FIELD_FOR_CODE, SLUG_RULE)
    if outcome.saved is None:
        return _new_form(request, values, outcome.errors, outcome.status)
    flash(request, _("팀을 만들었습니다. 팀원과 담당 유형을 정해 주세요."))
    return redirect(f"{LIST_PATH}/{outcome.saved.id}")


async def _team(session: AsyncSession, team_id: str) -> Team:
    return await teams.get_team(session, id_or_404(team_id, "팀"))


async def _detail(
    request: Request,
    session: AsyncSession,
    team: Team,
    values: TeamForm | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = await teams.team_view(session, team)
    member_ids = {member.id for member in view.members}
    people: list[StaffUser] = await service.list_staff(session, include_inactive=False)
    context = {
        "team": view,
        "values": values or TeamForm.of(team),
        "errors": dict(errors or {}),
        "candidates": [person for person in people if person.id not in member_ids],
        "categories": await list_categories(session),
        "routed": set(view.category_ids),
    }
    return render(request, "admin/team_detail.html", context, status=status)


@router.get("/{team_id}", response_class=HTMLResponse)
async def team_page(team_id: str, request: Request, session: SessionDep, _: PageAdmin) -> HTMLResponse:
    return await _detail(request, session, await _team(session, team_id))


@router.post("/{team_id}/edit")
async def update_team(team_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm) -> Response:
    team = await _team(session, team_id)
    values = TeamForm.read(form)

    async def save(data: TeamUpdate) -> Team:
        return await teams.update_team(session, user, team, data, request)

    outcome = await submit(session, TeamUpdate, values.payload(), LABELS, save, FIELD_FOR_CODE, SLUG_RULE)
    if outcome.saved is None:
        await session.refresh(team)
        return await _detail(request, session, team, values, outcome.errors, outcome.status)
    flash(request, _("팀을 저장했습니다."))
    return redirect(f"{LIST_PATH}/{team.id}")


@router.post("/{team_id}/delete")
async def delete_team(
    team_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    """The team's inquiries stay, without a team, in the shared queue."""
    team = await _team(session, team_id)

    async def delete() -> None:
        await teams.delete_team(session, user, team, request)

    return await act(request, session, delete, _("팀을 삭제했습니다. 팀의 문의는 공용 대기열에 남습니다."), LIST_PATH)


@router.post("/{team_id}/members")
async def add_member(
    team_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> RedirectResponse:
    team = await _team(session, team_id)
    back = f"{LIST_PATH}/{team.id}"
    chosen = checked_ids(form.getlist("staff_id"))
    if not chosen:
        flash(request, _("추가할 직원을 골라 주세요."), "error")
        return redirect(back)
    person = await teams.get_staff(session, chosen[0])
    person_id = person.id

    async def add() -> None:
        await teams.add_member(session, user, team, person, request)
        await request.app.state.chat.staff_changed(person_id)

    return await act(request, session, add, _("팀원을 추가했습니다."), back)


@router.post("/{team_id}/members/{staff_id}/remove")
async def remove_member(
    team_id: str, staff_id: str, request: Request, session: SessionDep, user: PageAdmin, _csrf: CsrfForm
) -> RedirectResponse:
    team = await _team(session, team_id)
    person_id = id_or_404(staff_id, "팀원")

    async def remove() -> None:
        await teams.remove_member(session, user, team, person_id, request)
        await request.app.state.chat.staff_changed(person_id)

    return await act(request, session, remove, _("팀원을 뺐습니다."), f"{LIST_PATH}/{team.id}")


@router.post("/{team_id}/categories")
async def set_categories(
    team_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> RedirectResponse:
    """New inquiries in the ticked categories go to this team; unticked ones are removed."""
    team = await _team(session, team_id)
    ids = checked_ids(form.getlist("category_ids"))

    async def save() -> None:
        await teams.set_team_categories(session, user, team, ids, request)

    done = _("담당 유형을 저장했습니다. 새로 접수되는 문의부터 이 팀으로 갑니다.")
    return await act(request, session, save, done, f"{LIST_PATH}/{team.id}")
