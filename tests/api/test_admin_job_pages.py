"""작업 대기열 page: parked and pending jobs with filters, retry and drop of parked ones only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.identity.models import StaffRole
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.worker import UNKNOWN_KIND, WORKER_LOST
from gogaek.notify.webhooks import TIMED_OUT
from tests.api.config_pages import audit_actions, signed_in
from tests.api.test_pages import admin_user, browser, post_form, sign_in

__all__ = ["admin_user", "browser"]

LIST = "/admin/jobs"


async def add_jobs(session: AsyncSession) -> dict[str, int]:
    jobs = {
        "parked_mail": Job(kind="notify.email", status=JobStatus.PARKED.value, attempts=8, last_error="SMTP 550"),
        "parked_hook": Job(kind="webhook.deliver", status=JobStatus.PARKED.value, attempts=8, last_error="HTTP 500"),
        "pending": Job(kind="notify.sms", status=JobStatus.PENDING.value, payload={"to": "01012345678"}),
        "done": Job(kind="notify.email", status=JobStatus.DONE.value, attempts=1),
    }
    session.add_all(jobs.values())
    await session.commit()
    return {name: job.id for name, job in jobs.items()}


async def job_status(session: AsyncSession, job_id: int) -> str | None:
    session.expire_all()
    return await session.scalar(select(Job.status).where(Job.id == job_id))


async def test_the_job_page_needs_an_admin_or_supervisor(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    ids = await add_jobs(session)
    response = await browser.get(LIST)
    assert (response.status_code, response.headers["location"]) == (303, f"/admin/login?next={LIST}")
    await signed_in(browser, session, StaffRole.AGENT)
    assert (await browser.get(LIST)).status_code == 403
    assert (await post_form(browser, "/console", f"{LIST}/{ids['parked_mail']}/drop", {})).status_code == 403
    assert await job_status(session, ids["parked_mail"]) == "parked"


@pytest.mark.usefixtures("admin_user")
async def test_filters_retry_and_drop(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    ids = await add_jobs(session)
    await sign_in(browser)
    parked = await browser.get(LIST)
    assert parked.status_code == 200
    assert f"#{ids['parked_mail']}<" in parked.text and f"#{ids['parked_hook']}<" in parked.text
    assert f"#{ids['pending']}<" not in parked.text and "SMTP 550" in parked.text
    assert "멈춤 (확인 필요) 2" in parked.text and "대기 1" in parked.text and "전체 4" in parked.text
    pending = await browser.get(f"{LIST}?status=pending")
    assert f"#{ids['pending']}<" in pending.text and "/retry" not in pending.text
    assert "01012345678" not in pending.text and "010****5678" in pending.text  # the SMS number is masked
    hooks = await browser.get(f"{LIST}?status=parked&kind=webhook.deliver")
    assert f"#{ids['parked_hook']}<" in hooks.text and f"#{ids['parked_mail']}<" not in hooks.text
    everything = await browser.get(f"{LIST}?status=all")
    assert all(f"#{job_id}<" in everything.text for job_id in ids.values())
    assert (await browser.get(f"{LIST}?status=nonsense")).status_code == 200  # falls back to parked

    page = f"{LIST}?status=parked&kind=webhook.deliver"
    retried = await post_form(browser, page, f"{LIST}/{ids['parked_hook']}/retry", {"back": page})
    assert (retried.status_code, retried.headers["location"]) == (303, page)
    assert "다시 대기열에 넣었습니다" in (await browser.get(page)).text
    session.expire_all()
    job = await session.get(Job, ids["parked_hook"])
    assert job is not None and (job.status, job.attempts, job.last_error) == ("pending", 0, "HTTP 500")
    dropped = await post_form(browser, LIST, f"{LIST}/{ids['parked_mail']}/drop", {"back": "https://evil.example/"})
    assert (dropped.status_code, dropped.headers["location"]) == (303, LIST)
    assert await job_status(session, ids["parked_mail"]) is None

    not_parked = await post_form(browser, LIST, f"{LIST}/{ids['pending']}/drop", {})
    assert not_parked.status_code == 303
    assert "멈춘 작업만" in (await browser.get(LIST)).text
    assert await job_status(session, ids["pending"]) == "pending"
    assert (await post_form(browser, LIST, f"{LIST}/99999/retry", {})).status_code == 404
    assert (await browser.post(f"{LIST}/{ids['done']}/drop", data={})).status_code == 403  # no CSRF token
    assert await audit_actions(session, "job") == ["job.retry", "job.drop"]


@pytest.mark.usefixtures("admin_user")
async def test_why_a_job_was_parked_reads_in_the_page_language(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The reason is kept as a catalogue sentence and its detail; the page words the sentence for
    its reader and shows the detail as it was recorded."""
    parked = JobStatus.PARKED.value
    session.add_all(
        [
            Job(kind="report.nightly", status=parked, attempts=1, last_error=f"{UNKNOWN_KIND}: report.nightly"),
            Job(kind="notify.email", status=parked, attempts=3, last_error=WORKER_LOST),
            Job(kind="webhook.deliver", status=parked, attempts=8, last_error=f"{TIMED_OUT}: 10 s"),
            Job(kind="notify.sms", status=parked, attempts=8, last_error="ValueError: bad number"),
        ]
    )
    await session.commit()
    await sign_in(browser)
    korean = (await browser.get(LIST)).text
    assert "처리할 수 없는 작업 종류입니다: report.nightly" in korean and "응답 시간이 초과되었습니다: 10 s" in korean
    assert (
        "마지막 시도 중 작업자가 중단되어 작업 임대가 만료되었습니다" in korean and "ValueError: bad number" in korean
    )
    assert "Unknown job kind" not in korean and "Timed out" not in korean
    english = (await browser.get(LIST, headers={"Accept-Language": "en"})).text
    assert "Unknown job kind: report.nightly" in english and "Timed out: 10 s" in english
    assert "The worker stopped during the last attempt and its lease expired" in english
    assert "ValueError: bad number" in english and "작업 종류" not in english
