"""`gogaek privacy …`: the retention policy, and export or erasure by an operator.

The capability's modules are imported inside the commands: every `gogaek` command imports
this file, and most of them never need the tables.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.cli_support import with_session
from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.web.i18n import gettext, in_language

app = typer.Typer(help="Customers' data rights (개인정보 열람·삭제·보존 기간).", no_args_is_help=True)
T = TypeVar("T")


def _check_source(source: str) -> str:
    if source not in ("host", "email", "phone"):
        raise typer.BadParameter(gettext("host, email, phone 중 하나여야 합니다."))
    return source


Source = Annotated[
    str, typer.Option(callback=_check_source, help="host (the app's sub), email or phone (web visitors)")
]


def _run(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """``work`` with a session and the settings; a refusal (an unknown customer) exits 1."""
    settings = Settings()
    try:
        return with_session(settings, lambda session: work(session, settings))
    except ProblemError as problem:
        typer.echo(in_language(problem.message), err=True)
        raise typer.Exit(code=1) from None


@app.command("retention")
def retention_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report what would be deleted")] = False,
) -> None:
    """Apply the retention policy (GOGAEK_RETENTION_*_MONTHS) once and print the report as JSON."""

    async def work(session: AsyncSession, settings: Settings) -> str:
        from gogaek.privacy import retention

        report = await retention.apply_retention(session, settings, None, dry_run=dry_run)
        return report.model_dump_json(indent=2)

    typer.echo(_run(work))


@app.command("export")
def export_command(
    external_id: Annotated[str, typer.Argument(help="The customer's external id")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the ZIP")],
    source: Source = "host",
) -> None:
    """Write everything held about a customer to a ZIP (data.json and files)."""

    async def work(session: AsyncSession, settings: Settings) -> bytes:
        from gogaek.inquiries.storage import build_attachment_storage
        from gogaek.privacy import service
        from gogaek.privacy.queries import find_customer, unknown_customer

        customer = await find_customer(session, source, external_id)
        if customer is None:
            raise unknown_customer()
        storage = build_attachment_storage(settings)
        data, _ = await service.export_customer(session, settings, storage, customer, "cli")
        return data

    output.write_bytes(_run(work))
    typer.echo(gettext("내보냈습니다: %(path)s") % {"path": output})


@app.command("erase")
def erase_command(
    external_id: Annotated[str, typer.Argument(help="The customer's external id")],
    source: Source = "host",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase a customer (계정 탈퇴) and print what was deleted, kept and why."""
    if not yes:
        question = gettext("%(customer)s 고객의 개인정보를 삭제할까요? 되돌릴 수 없습니다.")
        typer.confirm(question % {"customer": f"{source}:{external_id}"}, abort=True)

    async def work(session: AsyncSession, settings: Settings) -> str:
        from gogaek.inquiries.storage import build_attachment_storage
        from gogaek.privacy import service

        storage = build_attachment_storage(settings)
        result, _ = await service.erase_customer(session, settings, storage, source, external_id, "cli")
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)

    typer.echo(_run(work))
