"""What people do to the job queue (retry or drop a parked job), for the API and the admin page alike.

Both are conditional writes: only a parked job, since a pending or running one may be in a
worker's hands right now. Each is audited (``job.retry``, ``job.drop``) in its own commit.
"""

from __future__ import annotations

from typing import NoReturn

from fastapi import Request
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import StaffUser
from gogaek.jobs.models import Job, JobStatus
from gogaek.web.i18n import N_, gettext

STATUS_NAMES = {
    JobStatus.PARKED.value: N_("멈춤 (확인 필요)"),
    JobStatus.PENDING.value: N_("대기"),
    JobStatus.RUNNING.value: N_("실행 중"),
    JobStatus.DONE.value: N_("완료"),
}


async def _refuse(session: AsyncSession, job_id: int) -> NoReturn:
    """A conditional write matched nothing: the job is gone (404) or not parked (409)."""
    await session.rollback()
    job = await session.get(Job, job_id)
    if job is None:
        raise not_found("작업")
    status = gettext(STATUS_NAMES[job.status]) if job.status in STATUS_NAMES else job.status
    raise ProblemError(
        409,
        "job_not_parked",
        gettext("멈춘 작업만 다시 시도하거나 버릴 수 있습니다. 이 작업은 지금 %(status)s입니다.") % {"status": status},
    )


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
    _audit(session, user, "job.drop", job_id, kind, request)
    await session.commit()
