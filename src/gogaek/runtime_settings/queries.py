"""Reading the stored overrides: through the per-process reference copy (``reference_cache``).

A save in this process clears the copy at its commit, so the next read (the chat's next
message) sees it; other processes see it within ``REFERENCE_TTL_SECONDS``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.reference_cache import cached
from gogaek.runtime_settings.models import RuntimeSetting

CACHE_KEY = "runtime_settings"


async def _load(session: AsyncSession) -> dict[str, Any]:
    rows = await session.execute(select(RuntimeSetting.key, RuntimeSetting.value))
    return {key: value for key, value in rows}


async def stored_settings(session: AsyncSession) -> dict[str, Any]:
    """Every stored override by key (a copy: callers may not change the shared one)."""
    return dict(await cached(session, CACHE_KEY, lambda: _load(session)))


async def stored_with_prefix(session: AsyncSession, prefix: str) -> dict[str, Any]:
    return {key: value for key, value in (await stored_settings(session)).items() if key.startswith(prefix)}
