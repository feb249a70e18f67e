"""The ``gogaek`` command: serve, migrate, import/export/search the FAQ, manage users."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar import cli as calendar_cli
from gogaek.cli_support import command_language, migrate, with_session
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.demo import cli as demo_cli
from gogaek.demo.cli import DEMO_CUSTOMER_NAME, DEMO_CUSTOMER_SUB, ROLE_NAMES
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole
from gogaek.privacy import cli as privacy_cli
from gogaek.web.i18n import gettext as _
from gogaek.web.i18n import in_language, ngettext, use_language

if TYPE_CHECKING:
    from gogaek.identity.schemas import StaffCreate

T = TypeVar("T")

# With --workers, uvicorn replaces a process that does not answer its ping in time. Building the
# search index at start-up (Kiwi, the models) can hold the GIL for seconds on a busy 2-core
# host; uvicorn's 5 s default killed healthy processes there.
WORKER_HEALTHCHECK_SECONDS = 60
CONSOLE_NOTIFICATIONS_LOGGER = "gogaek.notify.console"

app = typer.Typer(help="Gogaek 고객센터 — self-hosted customer center.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands (데이터베이스).", no_args_is_help=True)
faq_app = typer.Typer(help="FAQ import, export and search (자주 묻는 질문).", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts (상담사·관리자 계정).", no_args_is_help=True)
token_app = typer.Typer(help="Development sign-in tokens (개발용 토큰).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(faq_app, name="faq")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(demo_cli.app, name="demo")
app.add_typer(calendar_cli.app, name="calendar")
app.add_typer(privacy_cli.app, name="privacy")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (GOGAEK_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (GOGAEK_PORT)")] = None,
    demo: Annotated[bool, typer.Option(help="Load demo content into an empty data dir")] = False,
    smtp_port: Annotated[
        int | None, typer.Option(help="Receive mail on this port (GOGAEK_INBOUND_SMTP_PORT); off when unset")
    ] = None,
    smtp_host: Annotated[str | None, typer.Option(help="Address for mail (GOGAEK_INBOUND_SMTP_HOST)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Web processes sharing the port")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (off: it costs throughput)")] = False,
) -> None:
    """Migrate the database and serve the customer center (고객센터 서버 실행)."""
    import uvicorn

    options = (("HOST", host), ("PORT", port), ("INBOUND_SMTP_PORT", smtp_port), ("INBOUND_SMTP_HOST", smtp_host))
    # Each web process builds its app from the environment (uvicorn's factory), so the command's
    # options travel as the variables they stand for.
    os.environ.update({f"GOGAEK_{name}": str(value) for name, value in options if value is not None})
    settings = Settings()
    migrate(settings)
    if demo:
        demo_cli.load_demo(settings)
    typer.echo(_("고객센터:     %(url)s") % {"url": f"{settings.base_url}/"})
    typer.echo(_("상담사 콘솔:  %(url)s") % {"url": f"{settings.base_url}/console"})
    typer.echo(_("관리자:       %(url)s") % {"url": f"{settings.base_url}/admin"})
    typer.echo(_("API 문서:     %(url)s") % {"url": f"{settings.base_url}/docs"})
    if settings.inbound_smtp_port is not None:
        smtp = f"smtp://{settings.inbound_smtp_host}:{settings.inbound_smtp_port} → {settings.support_email}"
        typer.echo(_("메일 수신:    %(smtp)s") % {"smtp": smtp})
    if workers > 1:
        typer.echo(_("웹 프로세스:  %(workers)s개") % {"workers": workers})
    from gogaek.chat.connection import WS_MAX_BYTES

    uvicorn.run(
        "gogaek.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        log_level="info",
        log_config=log_config(settings),
        ws_max_size=WS_MAX_BYTES,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's own logging, plus the messages of the console notification provider (the default,
    and the demo's) on the same output: with it the person running the server reads the mail and
    texts that were "sent", the web sign-in codes among them (README, Quick start)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    if "console" in (settings.email_provider, settings.sms_provider):
        config["loggers"][CONSOLE_NOTIFICATIONS_LOGGER] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@app.command()
def worker() -> None:
    """Run jobs, SLA sweeps and mail polling in this process until stopped (작업 처리기).

    Web processes then need ``GOGAEK_JOBS_ENABLED=false``; several workers may run at once.
    """
    from gogaek.background import run_dedicated_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_dedicated_worker(Settings()))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (스키마를 최신으로)."""
    settings = Settings()
    migrate(settings)
    typer.echo(_("데이터베이스가 최신 상태입니다."))


@faq_app.command("import")
def faq_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import FAQ articles from JSONL or CSV; any invalid row aborts the whole import."""
    from gogaek.helpcenter.importer import ImportRejectedError, import_articles, parse_import_file

    try:
        articles = parse_import_file(path)
    except ImportRejectedError as failed:
        for error in failed.errors:
            typer.echo(f"{path}:{error.line}: {error.message}", err=True)
        count = len(failed.errors)
        typer.echo(
            ngettext(
                "가져오기 실패: 오류 %(num)s건, 저장된 내용 없음",
                "가져오기 실패: 오류 %(num)s건, 저장된 내용 없음",
                count,
            )
            % {"num": count},
            err=True,
        )
        raise typer.Exit(code=1) from None
    settings = Settings()
    migrate(settings)
    report = with_session(settings, lambda session: import_articles(session, articles))
    typer.echo(
        _("가져오기 완료: 새 글 %(created)s, 수정 %(updated)s") % {"created": report.created, "updated": report.updated}
    )
    if report.categories_created:
        typer.echo(_("새 카테고리: %(names)s") % {"names": ", ".join(report.categories_created)})


@faq_app.command("export")
def faq_export(
    path: Annotated[Path | None, typer.Argument(help="File (.jsonl or .csv); stdout when omitted")] = None,
) -> None:
    """Export every FAQ article in the import format."""
    from gogaek.helpcenter.importer import export_rows, write_export
    from gogaek.helpcenter.queries import all_articles

    rows = export_rows(with_session(Settings(), all_articles))
    as_csv = path is not None and path.suffix.lower() == ".csv"
    if path is None:
        write_export(rows, sys.stdout, as_csv=False)
        return
    with path.open("w", encoding="utf-8", newline="") as out:
        write_export(rows, out, as_csv=as_csv)
    exported = ngettext("%(num)s개 글을 내보냈습니다: %(path)s", "%(num)s개 글을 내보냈습니다: %(path)s", len(rows))
    typer.echo(exported % {"num": len(rows), "path": path}, err=True)


@faq_app.command("search")
def faq_search(
    query: Annotated[list[str] | None, typer.Argument(help="Query; omit to read stdin")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per stdin query")] = False,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
) -> None:
    """Search the FAQ like the help center does (one query per stdin line with --json)."""
    from gogaek.search.queries import clean_query
    from gogaek.search.service import build_search_index

    settings = Settings()

    async def run() -> None:
        engine = create_engine(settings)
        try:
            index = build_search_index(settings, create_sessionmaker(engine))
            await index.load()
            lines = [" ".join(query)] if query else (line.rstrip("\n") for line in sys.stdin)
            for line in lines:
                try:
                    hits = await index.search(clean_query(line), limit)
                except ProblemError as problem:
                    record: dict[str, object] = {"query": line, "results": [], "error": problem.code}
                    typer.echo(json.dumps(record, ensure_ascii=False))
                    continue
                if as_json:
                    results = [
                        {
                            "external_id": h.document.external_id,
                            "question": h.document.question,
                            "score": round(h.score, 6),
                        }
                        for h in hits
                    ]
                    typer.echo(json.dumps({"query": line, "results": results}, ensure_ascii=False))
                else:
                    typer.echo(f"? {line}")
                    for rank, hit in enumerate(hits, start=1):
                        typer.echo(f"  {rank:>2}. [{hit.score:.3f}] {hit.document.question} ({hit.document.category})")
            index.close()
        finally:
            await engine.dispose()

    asyncio.run(run())


def _staff_data(email: str, password: str, name: str, role: StaffRole) -> StaffCreate:
    """Validated like the API does; bad input exits with code 2 and the field that failed."""
    from pydantic import ValidationError

    from gogaek.identity.schemas import StaffCreate
    from gogaek.web.validation import field_message

    try:
        return StaffCreate(email=email, password=password, display_name=name, role=role)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(str(p) for p in error['loc'])}: {field_message(error)}", err=True)
        raise typer.Exit(code=2) from None


def _create_staff(data: StaffCreate, totp: bool) -> None:
    """Creates the account, shows the TOTP secret once, and warns about an admin who cannot sign in."""
    from gogaek.identity.service import TOTP_SETUP_COMMAND, create_staff_user

    settings = Settings()
    migrate(settings)
    try:
        user = with_session(settings, lambda s: create_staff_user(s, data, with_totp=totp))
    except ProblemError as problem:
        typer.echo(in_language(problem.message), err=True)
        raise typer.Exit(code=1) from None
    role = _(ROLE_NAMES[StaffRole(user.role)])
    typer.echo(_("%(role)s 계정을 만들었습니다: %(email)s") % {"role": role, "email": user.email})
    if user.totp_secret:
        _print_totp(user.totp_secret, user.email)
    elif user.role == StaffRole.ADMIN and settings.admin_totp_required:
        command = TOTP_SETUP_COMMAND.replace("<이메일>", user.email)
        typer.echo(
            _(
                "경고: OTP 없이 만든 관리자는 아직 로그인할 수 없습니다(GOGAEK_ADMIN_TOTP_REQUIRED). "
                "`%(command)s`로 OTP를 설정하세요."
            )
            % {"command": command},
            err=True,
        )


def _print_totp(secret: str, email: str) -> None:
    from gogaek.identity.security import totp_uri

    typer.echo(_("인증 앱에 등록하세요: %(uri)s") % {"uri": totp_uri(secret, email)})
    typer.echo(_("OTP 비밀 키: %(secret)s") % {"secret": secret})
    typer.echo(_("이 비밀 키는 다시 표시되지 않습니다."))


@user_app.command("create")
def user_create(
    role: Annotated[StaffRole, typer.Option(help="상담사 agent, 슈퍼바이저 supervisor or 관리자 admin")],
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    name: Annotated[str | None, typer.Option(help="Display name (shown to customers for agents)")] = None,
    totp: Annotated[bool, typer.Option(help="Require a TOTP code at sign-in (needed for admins)")] = False,
) -> None:
    """Create a staff account: 상담사, 슈퍼바이저 or 관리자 (argon2-hashed password, optional TOTP)."""
    _create_staff(_staff_data(email, password, name or _(ROLE_NAMES[role]), role), totp)


@user_app.command("create-admin")
def user_create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    name: Annotated[str, typer.Option(help="Display name")] = "관리자",
    totp: Annotated[bool, typer.Option(help="Require a TOTP code at sign-in")] = False,
) -> None:
    """Create an admin account (same as `user create --role admin`)."""
    _create_staff(_staff_data(email, password, name, StaffRole.ADMIN), totp)


@user_app.command("enable-totp")
def user_enable_totp(email: Annotated[str, typer.Option(prompt=True)]) -> None:
    """Give an existing account a new TOTP secret (replaces any old one) and print it once."""
    from gogaek.identity.service import enable_totp, get_staff_by_email

    async def work(session: AsyncSession) -> str | None:
        user = await get_staff_by_email(session, email)
        return await enable_totp(session, user) if user is not None else None

    settings = Settings()
    migrate(settings)
    secret = with_session(settings, work)
    if secret is None:
        typer.echo(_("계정을 찾을 수 없습니다: %(email)s") % {"email": email}, err=True)
        raise typer.Exit(code=1)
    _print_totp(secret, email.strip().lower())


@token_app.command("customer")
def token_customer(
    sub: Annotated[
        str | None, typer.Option(help="The host app's customer id (default: the demo's 김민지, demo-customer-1)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Customer name")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number")] = None,
    email: Annotated[str | None, typer.Option(help="Email address")] = None,
    ttl: Annotated[int, typer.Option(min=1, help="Lifetime in seconds")] = 3600,
    verified: Annotated[
        bool, typer.Option("--verified", help="Say the host app checked the customer's identity just now (verified_at)")
    ] = False,
    link: Annotated[
        bool, typer.Option("--link", help="Print a one-time sign-in link for the pages instead of the bare token")
    ] = False,
    next_path: Annotated[str, typer.Option("--next", help="Page the link opens after signing in")] = "/inquiries",
    base_url: Annotated[
        str | None, typer.Option(help="Address of the running server (default: GOGAEK_PUBLIC_URL or HOST:PORT)")
    ] = None,
) -> None:
    """Print a customer token signed like the host app would (HS256 only), for development.

    ``--link`` prints a fresh one-time sign-in link (고객 로그인 링크) instead, e.g. for the demo
    after its printed link was used: ``gogaek token customer --link``.
    """
    from urllib.parse import quote

    from gogaek.db import utcnow
    from gogaek.identity.customer_tokens import issue_customer_token

    settings = Settings()
    if sub is None:
        sub, name = DEMO_CUSTOMER_SUB, name or DEMO_CUSTOMER_NAME
    try:
        token = issue_customer_token(
            settings,
            sub=sub,
            name=name,
            phone=phone,
            email=email,
            ttl_seconds=ttl,
            verified_at=utcnow() if verified else None,
        )
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    if not link:
        typer.echo(token)
        return
    if not next_path.startswith("/") or next_path.startswith("//"):
        typer.echo(_("--next는 이 사이트의 경로여야 합니다 (예: /inquiries)."), err=True)
        raise typer.Exit(code=2)
    root = (base_url or settings.base_url).rstrip("/")
    typer.echo(f"{root}/auth/customer?token={token}&next={quote(next_path, safe='/')}")


@app.callback()
def speak_the_operators_language() -> None:
    """The words every command prints follow GOGAEK_LANGUAGE, else the terminal's locale
    (LC_ALL, LC_MESSAGES, LANG), else Korean."""
    use_language(command_language(os.environ))


def main() -> None:
    app()
