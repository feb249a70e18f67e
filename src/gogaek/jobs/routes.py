"""Admin view of the job queue: look at jobs, retry or drop the parked ones."""

from __future__ import annotations

from typing import Annotated, NoReturn

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import utcnow
from gogaek.deps import CurrentAdmin, SessionDep
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import StaffUser
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.schemas import JobPublic
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/admin/jobs", tags=["jobs admin"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


async def _job(session: AsyncSession, job_id: int) -> Job:
    job = await session.get(Job, job_id)
    if job is None:
        raise not_found("작업")
    return job


async def _refuse_unless_parked(session: AsyncSession, job_id: int) -> NoReturn:
    """Called after a conditional write matched nothing: missing job (404) or not parked (409)."""
    await session.rollback()
    job = await _job(session, job_id)
    raise ProblemError(
        409,
        "job_not_parked",
        f"보류(parked) 상태의 작업만 처리할 수 있습니다. (Only parked jobs; this one is {job.status})",
    )


def _audit(session: AsyncSession, user: StaffUser, action: str, job_id: int, kind: str, request: Request) -> None:
    record_audit(session, user, action, target_type="job", target_id=job_id, detail={"kind": kind}, request=request)


@router.get("", response_model=list[JobPublic])
async def list_jobs(
    user: CurrentAdmin,
    session: SessionDep,
    status: JobStatus | None = None,
    kind: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[JobPublic]:
    """Newest first; ``?status=parked`` is the list that needs someone's attention."""
    query = select(Job).order_by(Job.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(Job.status == status.value)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return [JobPublic.model_validate(job) for job in (await session.scalars(query)).all()]


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(job_id: Id, user: CurrentAdmin, session: SessionDep) -> JobPublic:
    return JobPublic.model_validate(await _job(session, job_id))


@router.post("/{job_id}/retry", response_model=JobPublic)
async def retry_job(job_id: Id, user: CurrentAdmin, session: SessionDep, request: Request) -> JobPublic:
    """Parked → pending with a fresh set of attempts, due now; the last error stays for reference."""
    retried = await session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.PARKED.value)
        .values(status=JobStatus.PENDING.value, attempts=0, run_at=utcnow(), finished_at=None)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    if retried is None:
        await _refuse_unless_parked(session, job_id)
    job = await _job(session, job_id)
    _audit(session, user, "job.retry", job_id, job.kind, request)
    await session.commit()
    return JobPublic.model_validate(job)


@router.delete("/{job_id}", status_code=204)
async def drop_job(job_id: Id, user: CurrentAdmin, session: SessionDep, request: Request) -> Response:
    """Only parked jobs: a pending or running one may be in a worker's hands right now."""
    kind = await session.scalar(
        delete(Job).where(Job.id == job_id, Job.status == JobStatus.PARKED.value).returning(Job.kind)
    )
    if kind is None:
        await _refuse_unless_parked(session, job_id)
    _audit(session, user, "job.drop", job_id, kind, request)
    await session.commit()
    return Response(status_code=204)
