"""Report filters (from the query string) and the shape every chart hands to pages, CSV and JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel

from gogaek.calendar.hours import SEOUL
from gogaek.errors import ProblemError
from gogaek.web.i18n import N_, pgettext
from gogaek.web.i18n import gettext as _

CHANNELS: dict[str, str] = {"web": N_("웹"), "chat": N_("채팅"), "email": N_("이메일"), "phone": N_("전화")}
DEFAULT_DAYS = 30
MAX_DAYS = 366
FILTER_KEYS = ("from", "to", "channel", "category", "team")


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """Seoul dates, both ends included; ``None`` means every channel, category or team."""

    start: date
    end: date
    channel: str | None = None
    category_id: int | None = None
    team_id: int | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=SEOUL).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=SEOUL).astimezone(UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range((self.end - self.start).days + 1)]

    def query(self) -> dict[str, str]:
        """The filters as query-string values, for links (CSV exports keep the same filters)."""
        values = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.channel:
            values["channel"] = self.channel
        if self.category_id is not None:
            values["category"] = str(self.category_id)
        if self.team_id is not None:
            values["team"] = str(self.team_id)
        return values


def _invalid(errors: list[dict[str, Any]]) -> ProblemError:
    message = " ".join(error["message"] for error in errors)
    return ProblemError(400, "report_filter_invalid", message, errors=errors)


def _date(raw: str | None, name: str, label: str, errors: list[dict[str, Any]]) -> date | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors.append(
            {
                "field": name,
                "message": _("%(label)s은(는) 2026-01-31 같은 날짜 형식으로 입력해 주세요.") % {"label": label},
            }
        )
        return None


def _id(raw: str | None, name: str, label: str, errors: list[dict[str, Any]]) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 10 and int(value) > 0):
        errors.append({"field": name, "message": _("%(label)s을(를) 목록에서 골라 주세요.") % {"label": label}})
        return None
    return int(value)


def parse_filters(params: Mapping[str, str], today: date) -> ReportFilters:
    """Validates the query string; every problem is listed at once, in Korean (400 report_filter_invalid)."""
    errors: list[dict[str, Any]] = []
    unknown = sorted(set(params) - {*FILTER_KEYS, "chart"})
    if unknown:
        errors.append(
            {"field": unknown[0], "message": _("알 수 없는 조건입니다: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    end = _date(params.get("to"), "to", _("종료일"), errors)
    start = _date(params.get("from"), "from", _("시작일"), errors)
    channel = (params.get("channel") or "").strip() or None
    if channel is not None and channel not in CHANNELS:
        errors.append({"field": "channel", "message": _("채널은 웹, 채팅, 이메일, 전화 중에서 골라 주세요.")})
    category_id = _id(params.get("category"), "category", pgettext("console", "카테고리"), errors)
    team_id = _id(params.get("team"), "team", _("팀"), errors)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        errors.append({"field": "from", "message": _("시작일이 종료일보다 늦습니다.")})
    elif (end - start).days + 1 > MAX_DAYS:
        errors.append(
            {"field": "from", "message": _("기간은 최대 %(days)s일까지 볼 수 있습니다.") % {"days": MAX_DAYS}}
        )
    if errors:
        raise _invalid(errors)
    return ReportFilters(start, end, channel, category_id, team_id)


@dataclass(slots=True)
class Chart:
    """One chart: its table (what the CSV and JSON give) and its drawing."""

    key: str
    title: str
    headers: Sequence[str]
    rows: list[list[Any]]
    svg: Markup = field(default_factory=lambda: Markup(""))
    summary: list[tuple[str, str]] = field(default_factory=list)  # label, formatted value
    note: str = ""


class ChartPublic(BaseModel):
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    summary: dict[str, str]
    note: str
