"""`gogaek calendar …`: check business-time answers from the command line."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer

from gogaek.calendar.business_time import add_business_time, business_time_between
from gogaek.calendar.hours import SEOUL, korean_holidays
from gogaek.web.i18n import gettext

app = typer.Typer(help="Business calendar (영업일·공휴일 계산).", no_args_is_help=True)


def parse_moment(value: str) -> datetime:
    """ISO 8601; a time without an offset means Korean time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(gettext("ISO 8601 시각이 아닙니다: %(value)s") % {"value": repr(value)}) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SEOUL)


def format_moment(moment: datetime) -> str:
    local = moment.astimezone(SEOUL)
    precise = local.second or local.microsecond
    return local.isoformat(timespec="seconds" if precise else "minutes")


@app.command("add")
def add(
    start: Annotated[str, typer.Option("--from", help="Start, ISO 8601 (e.g. 2026-09-23T17:00+09:00)")],
    business_hours: Annotated[float, typer.Option("--business-hours", min=0, help="Business hours to add")],
) -> None:
    """Print the time that many business hours after the start, in +09:00."""
    typer.echo(format_moment(add_business_time(parse_moment(start), timedelta(hours=business_hours))))


@app.command("between")
def between(
    start: Annotated[str, typer.Option("--from", help="Start, ISO 8601")],
    end: Annotated[str, typer.Option("--to", help="End, ISO 8601")],
) -> None:
    """Print the business hours between two times (negative when --to comes first)."""
    elapsed = business_time_between(parse_moment(start), parse_moment(end))
    typer.echo(f"{elapsed.total_seconds() / 3600:g}")


@app.command("holidays")
def holidays(year: Annotated[int, typer.Option(min=2000, max=2100)]) -> None:
    """List the Korean public holidays of a year (lunar and substitute days included)."""
    for day, name in sorted(korean_holidays(year).items()):
        typer.echo(f"{day.isoformat()} {name}")
