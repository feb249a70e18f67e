"""Changing the run-time settings: one transaction per save, with its audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffUser
from gogaek.runtime_settings.models import RuntimeSetting
from gogaek.web.i18n import N_

TARGET_TYPE = "runtime_setting"


def _saved_meanwhile() -> ProblemError:
    return ProblemError(
        409,
        "settings_changed",
        N_("다른 관리자가 방금 같은 설정을 저장했습니다. 페이지를 새로 고친 뒤 다시 저장해 주세요."),
    )


async def save_settings(
    session: AsyncSession,
    actor: StaffUser,
    group: str,
    values: Mapping[str, Any],
    *,
    request: Request | None = None,
    audit_detail: Mapping[str, Any] | None = None,
) -> list[str]:
    """Stores ``values`` by key; a value of ``None`` removes the override (back to the default).

    Returns the keys that changed. The audit entry names them with old and new values unless the
    caller gives its own ``audit_detail`` (e.g. for long texts). Nothing changed → nothing written.
    """
    rows = {
        row.key: row
        for row in await session.scalars(select(RuntimeSetting).where(RuntimeSetting.key.in_(list(values))))
    }
    changes: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        row = rows.get(key)
        before = row.value if row is not None else None
        if before == value:
            continue
        changes[key] = {"from": before, "to": value}
        if value is None and row is not None:
            await session.delete(row)
        elif row is None:
            session.add(RuntimeSetting(key=key, value=value, updated_by=actor.email))
        else:
            row.value = value
            row.updated_by = actor.email
    if not changes:
        return []
    detail: dict[str, Any] = dict(audit_detail) if audit_detail is not None else {"changes": changes}
    detail.setdefault("keys", sorted(changes))
    record_audit(
        session, actor, f"{group}.update", target_type=TARGET_TYPE, target_id=group, detail=detail, request=request
    )
    try:
        await session.commit()
    except IntegrityError as exc:  # two first saves of one key at once: the later one's row clashes
        await session.rollback()
        raise _saved_meanwhile() from exc
    return sorted(changes)
