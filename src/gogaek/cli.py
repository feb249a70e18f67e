"""The ``gogaek`` command: serve, migrate, import/export/search the FAQ, manage users."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar import cli as calendar_cli
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole
from gogaek.migrate import upgrade_database
from gogaek.privacy import cli as privacy_cli

if TYPE_CHECKING:
    from gogaek.identity.schemas import StaffCreate

T = TypeVar("T")

# With --workers, uvicorn replaces a process that does not answer its ping in time. Building the
# search index at start-up (Kiwi, the models) can hold the GIL for seconds on a busy 2-core
# host; uvicorn's 5 s default killed healthy processes there.
WORKER_HEALTHCHECK_SECONDS = 60
# The demo's first customer (gogaek.demo.people.DEMO_CUSTOMERS), for ``token customer`` without --sub.
DEMO_CUSTOMER_SUB, DEMO_CUSTOMER_NAME = "demo-customer-1", "김민지"
DEFAULT_BASE_URL = f"http://{Settings.model_fields['host'].default}:{Settings.model_fields['port'].default}"
CONSOLE_NOTIFICATIONS_LOGGER = "gogaek.notify.console"

app = typer.Typer(help="Gogaek 고객센터 — self-hosted customer center.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands (데이터베이스).", no_args_is_help=True)
faq_app = typer.Typer(help="FAQ import, export and search (자주 묻는 질문).", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts (상담사·관리자 계정).", no_args_is_help=True)
token_app = typer.Typer(help="Development sign-in tokens (개발용 토큰).", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data (데모 데이터).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(faq_app, name="faq")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(demo_app, name="demo")
app.add_typer(calendar_cli.app, name="calendar")
app.add_typer(privacy_cli.app, name="privacy")


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _migrate(settings: Settings) -> None:
    async def run() -> None:
        engine = create_engine(settings)
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


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
    _migrate(settings)
    if demo:
        _load_demo(settings)
    typer.echo(f"고객센터:     {settings.base_url}/")
    typer.echo(f"상담사 콘솔:  {settings.base_url}/console")
    typer.echo(f"관리자:       {settings.base_url}/admin")
    typer.echo(f"API 문서:     {settings.base_url}/docs")
    if settings.inbound_smtp_port is not None:
        typer.echo(
            f"메일 수신:    smtp://{settings.inbound_smtp_host}:{settings.inbound_smtp_port} → {settings.support_email}"
        )
    if workers > 1:
        typer.echo(f"웹 프로세스:  {workers}개")
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


def _load_demo(settings: Settings) -> None:
    from gogaek.demo import has_content, load_demo_content
    from gogaek.demo.people import load_demo_people

    async def work(session: AsyncSession) -> None:
        if await has_content(session):
            typer.echo("데모: 이미 내용이 있어 불러오지 않았습니다 (data dir not empty, demo skipped)")
            return
        report = await load_demo_content(session)
        typer.echo(
            f"데모 내용을 불러왔습니다: 카테고리 {report.categories}, FAQ {report.articles}, 공지 {report.notices}"
        )
        await _create_demo_admin(session, settings)
        people = await load_demo_people(session, settings)
        for role, email, password in people.staff:
            typer.echo(f"데모 {role}: {email} / {password}")
        typer.echo(f"데모 문의 {people.inquiries}건, 고객 {len(people.customers)}명")
        typer.echo(f"데모 상담 예약 {people.callbacks}건, 통화 기록 {people.calls}건")
        if people.cti_token:
            typer.echo(f"데모 교환기(CTI) 주소: {settings.base_url}/api/v1/cti/{people.cti_token}")
        if people.customers and settings.customer_token_algorithm == "HS256":  # noqa: S105 - an algorithm name
            from gogaek.identity.customer_tokens import issue_customer_token

            token = issue_customer_token(settings, sub=people.customers[0], name="김민지", ttl_seconds=24 * 3600)
            link = f"{settings.base_url}/auth/customer?token={token}&next=/inquiries"
            typer.echo(f"데모 고객 로그인 (한 번 사용): {link}")
            where = "" if settings.base_url == DEFAULT_BASE_URL else f" --base-url {settings.base_url}"
            typer.echo(f"새 고객 로그인 링크: .venv/bin/gogaek token customer --link{where}")
            typer.echo("다른 고객 토큰: gogaek token customer --sub demo-customer-2")
            if "console" in (settings.email_provider, settings.sms_provider):
                typer.echo("알림(메일·문자, 웹 로그인 코드)은 이 창에 출력됩니다 (notifications are printed below)")

    _with_session(settings, work)


async def _create_demo_admin(session: AsyncSession, settings: Settings) -> None:
    from gogaek.identity.models import StaffRole
    from gogaek.identity.schemas import StaffCreate
    from gogaek.identity.security import totp_uri
    from gogaek.identity.service import count_admins, create_staff_user

    if await count_admins(session):
        return
    password = secrets.token_urlsafe(12)
    data = StaffCreate(email="admin@gogaek.local", password=password, display_name="데모 관리자", role=StaffRole.ADMIN)
    admin = await create_staff_user(session, data, with_totp=settings.admin_totp_required)
    typer.echo(f"데모 관리자: admin@gogaek.local / {password}")
    if admin.totp_secret is not None:
        typer.echo(f"  OTP 비밀키 (authenticator 앱에 등록): {admin.totp_secret}")
        typer.echo(f"  {totp_uri(admin.totp_secret, admin.email)}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (스키마를 최신으로)."""
    settings = Settings()
    _migrate(settings)
    typer.echo("데이터베이스가 최신 상태입니다 (database is up to date)")


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
        typer.echo(
            f"가져오기 실패: 오류 {len(failed.errors)}건, 저장된 내용 없음 (nothing written)",
            err=True,
        )
        raise typer.Exit(code=1) from None
    settings = Settings()
    _migrate(settings)
    report = _with_session(settings, lambda session: import_articles(session, articles))
    typer.echo(f"가져오기 완료: 새 글 {report.created}, 수정 {report.updated} (created/updated)")
    if report.categories_created:
        typer.echo("새 카테고리: " + ", ".join(report.categories_created))


@faq_app.command("export")
def faq_export(
    path: Annotated[Path | None, typer.Argument(help="File (.jsonl or .csv); stdout when omitted")] = None,
) -> None:
    """Export every FAQ article in the import format."""
    from gogaek.helpcenter.importer import export_rows, write_export
    from gogaek.helpcenter.queries import all_articles

    rows = export_rows(_with_session(Settings(), all_articles))
    as_csv = path is not None and path.suffix.lower() == ".csv"
    if path is None:
        write_export(rows, sys.stdout, as_csv=False)
        return
    with path.open("w", encoding="utf-8", newline="") as out:
        write_export(rows, out, as_csv=as_csv)
    typer.echo(f"{len(rows)}개 글을 내보냈습니다: {path}", err=True)


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


_ROLE_NAMES = {StaffRole.AGENT: "상담사", StaffRole.SUPERVISOR: "슈퍼바이저", StaffRole.ADMIN: "관리자"}


def _staff_data(email: str, password: str, name: str, role: StaffRole) -> StaffCreate:
    """Validated like the API does; bad input exits with code 2 and the field that failed."""
    from pydantic import ValidationError

    from gogaek.identity.schemas import StaffCreate

    try:
        return StaffCreate(email=email, password=password, display_name=name, role=role)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}", err=True)
        raise typer.Exit(code=2) from None


def _create_staff(data: StaffCreate, totp: bool) -> None:
    """Creates the account, shows the TOTP secret once, and warns about an admin who cannot sign in."""
    from gogaek.identity.service import TOTP_SETUP_COMMAND, create_staff_user

    settings = Settings()
    _migrate(settings)
    try:
        user = _with_session(settings, lambda s: create_staff_user(s, data, with_totp=totp))
    except ProblemError as problem:
        typer.echo(problem.message, err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"{_ROLE_NAMES[StaffRole(user.role)]} 계정을 만들었습니다: {user.email} (role {user.role})")
    if user.totp_secret:
        _print_totp(user.totp_secret, user.email)
    elif user.role == StaffRole.ADMIN and settings.admin_totp_required:
        typer.echo(
            "경고: OTP 없이 만든 관리자는 아직 로그인할 수 없습니다(GOGAEK_ADMIN_TOTP_REQUIRED). "
            f"`{TOTP_SETUP_COMMAND.replace('<이메일>', user.email)}`로 OTP를 설정하세요. "
            "(Warning: this admin cannot sign in until TOTP is set up)",
            err=True,
        )


def _print_totp(secret: str, email: str) -> None:
    from gogaek.identity.security import totp_uri

    typer.echo(f"OTP 앱에 등록하세요 (TOTP provisioning URI): {totp_uri(secret, email)}")
    typer.echo(f"OTP 비밀 키 (TOTP secret): {secret}")
    typer.echo("이 비밀 키는 다시 표시되지 않습니다. (The secret is not shown again)")


@user_app.command("create")
def user_create(
    role: Annotated[StaffRole, typer.Option(help="상담사 agent, 슈퍼바이저 supervisor or 관리자 admin")],
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    name: Annotated[str | None, typer.Option(help="Display name (shown to customers for agents)")] = None,
    totp: Annotated[bool, typer.Option(help="Require a TOTP code at sign-in (needed for admins)")] = False,
) -> None:
    """Create a staff account: 상담사, 슈퍼바이저 or 관리자 (argon2-hashed password, optional TOTP)."""
    _create_staff(_staff_data(email, password, name or _ROLE_NAMES[role], role), totp)


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
    _migrate(settings)
    secret = _with_session(settings, work)
    if secret is None:
        typer.echo(f"계정을 찾을 수 없습니다: {email} (No such staff account)", err=True)
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
        typer.echo("--next must be a path on this site, like /inquiries", err=True)
        raise typer.Exit(code=2)
    root = (base_url or settings.base_url).rstrip("/")
    typer.echo(f"{root}/auth/customer?token={token}&next={quote(next_path, safe='/')}")


@demo_app.command("generate")
def demo_generate(
    inquiries: Annotated[int, typer.Option(min=0, help="Inquiries to add (문의 건수)")] = 1_000,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Spread over the last this many days")] = 90,
    seed: Annotated[int | None, typer.Option(help="Random seed: the same seed gives the same data")] = None,
    force: Annotated[bool, typer.Option(help="Allow it with GOGAEK_ENV=production")] = False,
) -> None:
    """Fill the database with realistic inquiry history (데모 문의 내역 생성); fires no events."""
    from gogaek.demo.generate import GeneratePlan, generate_history

    settings = Settings()
    if settings.env == "production" and not force:
        typer.echo(
            "운영 환경(GOGAEK_ENV=production)에는 데모 데이터를 만들지 않습니다. 정말 필요하면 --force를 붙이세요. "
            "(Refusing to generate demo data in production without --force)",
            err=True,
        )
        raise typer.Exit(code=1)
    _migrate(settings)

    def progress(done: int, planned: int, seconds: float) -> None:
        typer.echo(f"문의 {done:,} / {planned:,}건 ({done / planned:.0%}), {seconds:.1f}초")

    async def run() -> None:
        engine = create_engine(settings)
        try:
            report = await generate_history(
                engine, settings, GeneratePlan(inquiries=inquiries, days=days, seed=seed), progress=progress
            )
        finally:
            await engine.dispose()
        for email, password in report.created_agents:
            typer.echo(f"데모 상담사: {email} / {password}")
        statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(report.statuses.items()))
        typer.echo(
            f"완료: 고객 {report.customers:,}명, 문의 {report.inquiries:,}건, 메시지 {report.messages:,}건, "
            f"기록 {report.events:,}건, 평가 {report.feedback:,}건 ({report.seconds:.1f}초)"
        )
        typer.echo(f"상태별 (by status): {statuses or '없음'}")
        activity = ", ".join(f"{name} {count:,}" for name, count in report.activity.items())
        typer.echo(f"리포트용 기록 (chats, searches, votes, callbacks, calls): {activity or '없음'}")

    asyncio.run(run())


def main() -> None:
    app()
