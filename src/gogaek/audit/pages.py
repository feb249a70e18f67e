"""The audit log page (감사 로그) for admins and supervisors, as the audit API: filters by actor,
action, target and date range, newest first in pages of 50, and the same selection as CSV.

The CSV is UTF-8 with a BOM (Excel reads the Korean) and every cell that a spreadsheet would
run as a formula (= + - @ …) starts with an apostrophe (``reports.export``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.audit.queries import MAX_PAGE, list_audit_entries
from gogaek.calendar.hours import SEOUL
from gogaek.deps import SessionDep
from gogaek.reports.export import to_csv
from gogaek.web.auth import PageAdmin
from gogaek.web.i18n import gettext as _
from gogaek.web.views import MAX_ID, render

router = APIRouter(prefix="/admin/audit", include_in_schema=False)

PAGE_SIZE = 50
EXPORT_MAX = 10_000


def csv_headers() -> tuple[str, ...]:
    """The export's column names, in the page's language."""
    return (
        _("번호"),
        _("시각(한국)"),
        _("행위자"),
        _("행위자 종류"),
        _("동작"),
        _("대상 종류"),
        _("대상 ID"),
        _("내용"),
        "IP",
    )


FIELD_LIMITS = {"actor": 254, "action": 60, "target_type": 40, "target_id": 60}


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """The query string as typed, kept for the form, and what it means for the query."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    date_from: str = ""
    date_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, request: Request) -> AuditFilters:
        params = request.query_params
        values = {name: (params.get(name) or "").strip() for name in (*FIELD_LIMITS, "date_from", "date_to")}
        errors = {
            name: _("%(num)s자 이하로 입력해 주세요.") % {"num": limit}
            for name, limit in FIELD_LIMITS.items()
            if len(values[name]) > limit
        }
        for name in ("date_from", "date_to"):
            if values[name] and _day(values[name]) is None:
                errors[name] = _("날짜를 확인해 주세요. (예: 2026-12-25)")
        return cls(**values, errors=errors)

    async def entries(self, session: AsyncSession, limit: int, before_id: int | None) -> list[AuditEntry]:
        """The selected entries, newest first; a filter with an error is left out."""
        start, end = _day(self.date_from), _day(self.date_to)
        ok = {name: getattr(self, name) or None for name in FIELD_LIMITS if name not in self.errors}
        return await list_audit_entries(
            session,
            limit=limit,
            before_id=before_id,
            actor_contains=ok.get("actor"),
            action=ok.get("action"),
            target_type=ok.get("target_type"),
            target_id=ok.get("target_id"),
            since=datetime.combine(start, datetime.min.time(), SEOUL) if start else None,
            until=datetime.combine(end + timedelta(days=1), datetime.min.time(), SEOUL) if end else None,
        )

    def link(self, **extra: str | int) -> str:
        """This selection as a query string (for the next page and the CSV link)."""
        names = (*FIELD_LIMITS, "date_from", "date_to")
        params: dict[str, str | int] = {name: getattr(self, name) for name in names if getattr(self, name)}
        return urlencode({**params, **extra})


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def detail_text(entry: AuditEntry) -> str:
    return json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else ""


@router.get("", response_class=HTMLResponse)
async def audit_page(request: Request, session: SessionDep, _: PageAdmin, before_id: str = "") -> HTMLResponse:
    filters = AuditFilters.read(request)
    before = int(before_id) if before_id.isdigit() and 0 < len(before_id) <= 10 and int(before_id) <= MAX_ID else None
    entries = await filters.entries(session, PAGE_SIZE, before)
    context = {
        "filters": filters,
        "errors": filters.errors,
        "entries": [(entry, detail_text(entry)) for entry in entries],
        "next_link": filters.link(before_id=entries[-1].id) if len(entries) == PAGE_SIZE else "",
        "csv_link": filters.link(),
        "export_max": EXPORT_MAX,
    }
    return render(request, "admin/audit.html", context, status=422 if filters.errors else 200)


async def _export_rows(session: AsyncSession, filters: AuditFilters) -> list[list[str | int | None]]:
    """Newest first, read in keyset pages, at most ``EXPORT_MAX`` rows."""
    rows: list[list[str | int | None]] = []
    before: int | None = None
    while len(rows) < EXPORT_MAX:
        entries = await filters.entries(session, MAX_PAGE, before)
        for entry in entries:
            rows.append(
                [
                    entry.id,
                    entry.created_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.actor_label,
                    entry.actor_kind,
                    entry.action,
                    entry.target_type,
                    entry.target_id,
                    detail_text(entry),
                    entry.ip,
                ]
            )
        if len(entries) < MAX_PAGE:
            break
        before = entries[-1].id
        await asyncio.sleep(0)  # SQLite answers each page without a pause (sqlite_inline.py): let others in
    return rows[:EXPORT_MAX]


@router.get(".csv")
async def audit_csv(request: Request, session: SessionDep, _admin: PageAdmin) -> Response:
    filters = AuditFilters.read(request)
    body = to_csv(csv_headers(), await _export_rows(session, filters))
    stamp = datetime.now(SEOUL).strftime("%Y%m%d-%H%M")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="gogaek-audit-{stamp}.csv"',
            "Cache-Control": "private, no-store",
        },
    )
