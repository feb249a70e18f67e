"""Job handlers of phone callbacks: confirmation, reminder, cancellation and missed-call messages."""

from __future__ import annotations

from gogaek.jobs.handlers import Handler


def job_handlers() -> dict[str, Handler]:
    return {}
