"""Admin HTML page for the job queue (작업 대기열): parked, pending, running and finished jobs with
filters, and retry or drop for the parked ones.

Admins and supervisors, as in the jobs API (``jobs/routes.py``). Retry and drop are the API's
conditional writes (only a parked job; a pending or running one may be in a worker's hands)
with the same audit actions, ``job.retry`` and ``job.drop``; they are repeated here rather
than imported from the routes module, which is being reworked, and belong in a shared jobs
service once it exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import utcnow
from gogaek.deps import SessionDep
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import StaffUser
from gogaek.jobs.models import Job, JobStatus
from gogaek.korean.pii import mask_pii
from gogaek.web.admin_forms import act
from gogaek.web.auth import PageAdmin
from gogaek.web.csrf import CsrfForm
from gogaek.web.views import MAX_ID, id_or_404, render

router = APIRouter(prefix="/admin/jobs", include_in_schema=False)

LIST_PATH = "/admin/jobs"
PAGE_SIZE = 50
STATUS_NAMES = {
    JobStatus.PARKED.value: "멈춤 (확인 필요)",
    JobStatus.PENDING.value: "대기",
    JobStatus.RUNNING.value: "실행 중",
    JobStatus.DONE.value: "완료",
}
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


@router.get("", response_class=HTMLResponse)
async def jobs_page(request: Request, session: SessionDep, _: PageAdmin, before_id: str = "") -> HTMLResponse:
    filters = JobFilters.read(request)
    before = int(before_id) if before_id.isdigit() and 0 < len(before_id) <= 10 and int(before_id) <= MAX_ID else None
    jobs = await _jobs(session, filters, before)
    counts = await _counts(session)
    tabs = [(status, name, counts.get(status, 0)) for status, name in STATUS_NAMES.items()]
    context = {
        "filters": filters,
        "tabs": tabs,
        "total": sum(counts.values()),
        "rows": [(job, STATUS_NAMES.get(job.status, job.status), payload_text(job)) for job in jobs],
        "next_link": filters.link(before_id=jobs[-1].id) if len(jobs) == PAGE_SIZE else "",
        "back": f"{LIST_PATH}?{filters.link()}",
    }
    return render(request, "admin/jobs.html", context)


def _not_parked(status: str) -> ProblemError:
    return ProblemError(
        409, "job_not_parked", f"멈춘(parked) 작업만 다시 시도하거나 버릴 수 있습니다. 이 작업은 지금 {status}입니다."
    )


async def _refuse(session: AsyncSession, job_id: int) -> None:
    """A conditional write matched nothing: the job is gone (404) or not parked (409)."""
    await session.rollback()
    job = await session.get(Job, job_id)
    if job is None:
        raise not_found("작업")
    raise _not_parked(STATUS_NAMES.get(job.status, job.status))


def _audit(session: AsyncSession, user: StaffUser, action: str, job_id: int, kind: str, request: Request) -> None:
    record_audit(session, user, action, target_type="job", target_id=job_id, detail={"kind": kind}, request=request)


async def retry_parked(session: AsyncSession, user: StaffUser, job_id: int, request: Request) -> None:
    """Parked → pending with a fresh set of attempts, due now; the last error stays for reference."""
    kind = await session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.PARKED.value)
        .values(status=JobStatus.PENDING.value, attempts=0, run_at=utcnow(), finished_at=None)
        .returning(Job.kind)
        .execution_options(synchronize_session=False)
    )
    if kind is None:
        await _refuse(session, job_id)
        return
    _audit(session, user, "job.retry", job_id, kind, request)
    await session.commit()


async def drop_parked(session: AsyncSession, user: StaffUser, job_id: int, request: Request) -> None:
    kind = await session.scalar(
        delete(Job)
        .where(Job.id == job_id, Job.status == JobStatus.PARKED.value)
        .returning(Job.kind)
        .execution_options(synchronize_session=False)
    )
    if kind is None:
        await _refuse(session, job_id)
        return
    _audit(session, user, "job.drop", job_id, kind, request)
    await session.commit()


def _back(form_back: object) -> str:
    """Back to the list the button was pressed on (only our own list)."""
    return form_back if isinstance(form_back, str) and form_back.startswith(f"{LIST_PATH}?") else LIST_PATH


@router.post("/{job_id}/retry")
async def retry_job(
    job_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> RedirectResponse:
    key = id_or_404(job_id, "작업")

    async def retry() -> None:
        await retry_parked(session, user, key, request)

    done = f"작업 #{key}: 다시 대기열에 넣었습니다. 곧 다시 실행됩니다. (Retried)"
    return await act(request, session, retry, done, _back(form.get("back")))


@router.post("/{job_id}/drop")
async def drop_job(
    job_id: str, request: Request, session: SessionDep, user: PageAdmin, form: CsrfForm
) -> RedirectResponse:
    key = id_or_404(job_id, "작업")

    async def drop() -> None:
        await drop_parked(session, user, key, request)

    return await act(request, session, drop, f"작업 #{key}: 버렸습니다. (Dropped)", _back(form.get("back")))
