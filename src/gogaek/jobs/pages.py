"""Admin HTML page for the job queue (작업 대기열): parked, pending, running and finished jobs with
filters, and retry or drop for the parked ones.

Admins and supervisors, as in the jobs API (``jobs/routes.py``); retry and drop are the same
service calls (``jobs/service.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import SessionDep
from gogaek.jobs import service
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.service import STATUS_NAMES
from gogaek.korean.pii import mask_pii
from gogaek.web.admin_forms import act
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.i18n import gettext as _
from gogaek.web.views import MAX_ID, id_or_404, render

router = APIRouter(prefix="/admin/jobs", include_in_schema=False)

LIST_PATH = "/admin/jobs"
PAGE_SIZE = 50
ALL = "all"


@dataclass(frozen=True, slots=True)
class JobFilters:
    status: str = JobStatus.PARKED.value
    kind: str = ""

    @classmethod
    def read(cls, request: Request) -> JobFilters:
        status = request.query_params.get("status") or JobStatus.PARKED.value
        kind = (request.query_params.get("kind") or "").strip()[:60]
        return cls(status if status in STATUS_NAMES or status == ALL else JobStatus.PARKED.value, kind)

    def link(self, **extra: str | int) -> str:
        params: dict[str, str | int] = {"status": self.status}
        if self.kind:
            params["kind"] = self.kind
        return urlencode({**params, **extra})


async def _jobs(session: AsyncSession, filters: JobFilters, before_id: int | None) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(PAGE_SIZE)
    if filters.status != ALL:
        query = query.where(Job.status == filters.status)
    if filters.kind:
        query = query.where(Job.kind == filters.kind)
    if before_id is not None:
        query = query.where(Job.id < before_id)
    return list((await session.scalars(query)).all())


async def _counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {str(status): int(count) for status, count in rows.all()}


def payload_text(job: Job) -> str:
    """The payload shortened, with phone, card, account and 주민번호 digits masked (SMS jobs carry them)."""
    text = mask_pii(json.dumps(job.payload, ensure_ascii=False, sort_keys=True)).text
    return text if len(text) <= 160 else text[:159] + "…"


def status_names() -> dict[str, str]:
    """``STATUS_NAMES`` in the page's language, in the same order (the tabs)."""
    return {
        JobStatus.PARKED.value: _("멈춤 (확인 필요)"),
        JobStatus.PENDING.value: _("대기"),
        JobStatus.RUNNING.value: _("실행 중"),
        JobStatus.DONE.value: _("완료"),
    }


@router.get("", response_class=HTMLResponse)
async def jobs_page(request: Request, session: SessionDep, _: PageAdmin, before_id: str = "") -> HTMLResponse:
    filters = JobFilters.read(request)
    before = int(before_id) if before_id.isdigit() and 0 < len(before_id) <= 10 and int(before_id) <= MAX_ID else None
    jobs = await _jobs(session, filters, before)
    counts = await _counts(session)
    names = status_names()
    tabs = [(status, name, counts.get(status, 0)) for status, name in names.items()]
    context = {
        "filters": filters,
        "tabs": tabs,
        "total": sum(counts.values()),
        "rows": [(job, names.get(job.status, job.status), payload_text(job)) for job in jobs],
        "next_link": filters.link(before_id=jobs[-1].id) if len(jobs) == PAGE_SIZE else "",
        "back": f"{LIST_PATH}?{filters.link()}",
    }
    return render(request, "admin/jobs.html", context)


def _back(form_back: object) -> str:
    """Back to the list the button was pressed on (only our own list)."""
    return form_back if isinstance(form_back, str) and form_back.startswith(f"{LIST_PATH}?") else LIST_PATH


@router.post("/{job_id}/retry")
async def retry_job(
    job_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> RedirectResponse:
    key = id_or_404(job_id, "작업")

    async def retry() -> None:
        await service.retry_parked(session, user, key, request)

    done = _("작업 #%(id)s: 다시 대기열에 넣었습니다. 곧 다시 실행됩니다.") % {"id": key}
    return await act(request, session, retry, done, _back(form.get("back")))


@router.post("/{job_id}/drop")
async def drop_job(
    job_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> RedirectResponse:
    key = id_or_404(job_id, "작업")

    async def drop() -> None:
        await service.drop_parked(session, user, key, request)

    return await act(request, session, drop, _("작업 #%(id)s: 버렸습니다.") % {"id": key}, _back(form.get("back")))
