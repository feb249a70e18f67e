"""Admin view of the job queue: look at jobs, retry or drop the parked ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import CurrentAdmin, SessionDep
from gogaek.errors import not_found
from gogaek.jobs import service
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
    await service.retry_parked(session, user, job_id, request)
    return JobPublic.model_validate(await _job(session, job_id))


@router.delete("/{job_id}", status_code=204)
async def drop_job(job_id: Id, user: CurrentAdmin, session: SessionDep, request: Request) -> Response:
    """Only parked jobs: a pending or running one may be in a worker's hands right now."""
    await service.drop_parked(session, user, job_id, request)
    return Response(status_code=204)
