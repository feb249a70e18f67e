"""Periodic work for phone callbacks: retries that fall due and callbacks nobody started."""

from __future__ import annotations

from gogaek.jobs.worker import PeriodicTask


def periodic_tasks() -> list[PeriodicTask]:
    return []
