"""Demo data from the command line: ``gogaek serve --demo`` and ``gogaek demo generate``."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.cli_support import migrate, with_session
from gogaek.config import Settings
from gogaek.identity.models import StaffRole
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _

app = typer.Typer(help="Demo data (데모 데이터).", no_args_is_help=True)

# The demo's first customer (gogaek.demo.people.DEMO_CUSTOMERS), for ``token customer`` without --sub.
DEMO_CUSTOMER_SUB, DEMO_CUSTOMER_NAME = "demo-customer-1", "김민지"
DEFAULT_BASE_URL = f"http://{Settings.model_fields['host'].default}:{Settings.model_fields['port'].default}"
ROLE_NAMES = {StaffRole.AGENT: N_("상담사"), StaffRole.SUPERVISOR: N_("슈퍼바이저"), StaffRole.ADMIN: N_("관리자")}


def load_demo(settings: Settings) -> None:
    """Demo content, staff, customers and their history into an empty data dir; says how to sign in."""
    from gogaek.demo import has_content, load_demo_content
    from gogaek.demo.people import load_demo_people

    async def work(session: AsyncSession) -> None:
        if await has_content(session):
            typer.echo(_("데모: 이미 내용이 있어 불러오지 않았습니다"))
            return
        report = await load_demo_content(session)
        typer.echo(
            _("데모 내용을 불러왔습니다: 카테고리 %(categories)s, FAQ %(articles)s, 공지 %(notices)s")
            % {"categories": report.categories, "articles": report.articles, "notices": report.notices}
        )
        await _create_demo_admin(session, settings)
        people = await load_demo_people(session, settings)
        for role, email, password in people.staff:
            role_name = _(ROLE_NAMES[StaffRole(role)])
            typer.echo(
                _("데모 %(role)s: %(email)s / %(password)s") % {"role": role_name, "email": email, "password": password}
            )
        typer.echo(
            _("데모 문의 %(inquiries)s건, 고객 %(customers)s명")
            % {"inquiries": people.inquiries, "customers": len(people.customers)}
        )
        typer.echo(
            _("데모 상담 예약 %(callbacks)s건, 통화 기록 %(calls)s건")
            % {"callbacks": people.callbacks, "calls": people.calls}
        )
        if people.cti_token:
            typer.echo(
                _("데모 교환기(CTI) 주소: %(url)s") % {"url": f"{settings.base_url}/api/v1/cti/{people.cti_token}"}
            )
        if people.customers and settings.customer_token_algorithm == "HS256":  # noqa: S105 - an algorithm name
            _print_customer_sign_in(settings, people.customers[0])
        if "console" in (settings.email_provider, settings.sms_provider):
            typer.echo(_("알림(메일·문자, 웹 로그인 코드)은 이 창에 출력됩니다"))

    with_session(settings, work)


def _print_customer_sign_in(settings: Settings, customer: str) -> None:
    from gogaek.identity.customer_tokens import issue_customer_token

    token = issue_customer_token(settings, sub=customer, name=DEMO_CUSTOMER_NAME, ttl_seconds=24 * 3600)
    link = f"{settings.base_url}/auth/customer?token={token}&next=/inquiries"
    typer.echo(_("데모 고객 로그인 (한 번 사용): %(link)s") % {"link": link})
    where = "" if settings.base_url == DEFAULT_BASE_URL else f" --base-url {settings.base_url}"
    typer.echo(_("새 고객 로그인 링크: %(command)s") % {"command": f".venv/bin/gogaek token customer --link{where}"})
    typer.echo(_("다른 고객 토큰: %(command)s") % {"command": "gogaek token customer --sub demo-customer-2"})


async def _create_demo_admin(session: AsyncSession, settings: Settings) -> None:
    from gogaek.identity.schemas import StaffCreate
    from gogaek.identity.security import totp_uri
    from gogaek.identity.service import count_admins, create_staff_user

    if await count_admins(session):
        return
    password = secrets.token_urlsafe(12)
    data = StaffCreate(email="admin@gogaek.local", password=password, display_name="데모 관리자", role=StaffRole.ADMIN)
    admin = await create_staff_user(session, data, with_totp=settings.admin_totp_required)
    typer.echo(
        _("데모 %(role)s: %(email)s / %(password)s")
        % {"role": _(ROLE_NAMES[StaffRole.ADMIN]), "email": "admin@gogaek.local", "password": password}
    )
    if admin.totp_secret is not None:
        typer.echo("  " + _("OTP 비밀 키 (인증 앱에 등록하세요): %(secret)s") % {"secret": admin.totp_secret})
        typer.echo(f"  {totp_uri(admin.totp_secret, admin.email)}")


@app.command("generate")
def demo_generate(
    inquiries: Annotated[int, typer.Option(min=0, help="Inquiries to add (문의 건수)")] = 1_000,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Spread over the last this many days")] = 90,
    seed: Annotated[int | None, typer.Option(help="Random seed: the same seed gives the same data")] = None,
    force: Annotated[bool, typer.Option(help="Allow it with GOGAEK_ENV=production")] = False,
) -> None:
    """Fill the database with realistic inquiry history (데모 문의 내역 생성); fires no events."""
    from gogaek.db import create_engine
    from gogaek.demo.generate import GeneratePlan, generate_history

    settings = Settings()
    if settings.env == "production" and not force:
        typer.echo(
            _("운영 환경(GOGAEK_ENV=production)에는 데모 데이터를 만들지 않습니다. 정말 필요하면 --force를 붙이세요."),
            err=True,
        )
        raise typer.Exit(code=1)
    migrate(settings)

    def progress(done: int, planned: int, seconds: float) -> None:
        typer.echo(
            _("문의 %(done)s / %(planned)s건 (%(share)s), %(seconds)s초")
            % {
                "done": f"{done:,}",
                "planned": f"{planned:,}",
                "share": f"{done / planned:.0%}",
                "seconds": f"{seconds:.1f}",
            }
        )

    async def run() -> None:
        engine = create_engine(settings)
        try:
            report = await generate_history(
                engine, settings, GeneratePlan(inquiries=inquiries, days=days, seed=seed), progress=progress
            )
        finally:
            await engine.dispose()
        for email, password in report.created_agents:
            typer.echo(
                _("데모 %(role)s: %(email)s / %(password)s")
                % {"role": _(ROLE_NAMES[StaffRole.AGENT]), "email": email, "password": password}
            )
        counts = {
            "customers": report.customers,
            "inquiries": report.inquiries,
            "messages": report.messages,
            "events": report.events,
            "feedback": report.feedback,
        }
        typer.echo(
            _(
                "완료: 고객 %(customers)s명, 문의 %(inquiries)s건, 메시지 %(messages)s건, "
                "기록 %(events)s건, 평가 %(feedback)s건 (%(seconds)s초)"
            )
            % {**{name: f"{count:,}" for name, count in counts.items()}, "seconds": f"{report.seconds:.1f}"}
        )
        none = _("없음")
        statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(report.statuses.items()))
        typer.echo(_("상태별: %(statuses)s") % {"statuses": statuses or none})
        activity = ", ".join(f"{name} {count:,}" for name, count in report.activity.items())
        typer.echo(_("리포트용 기록(채팅, 검색, 투표, 상담 예약, 통화): %(activity)s") % {"activity": activity or none})

    asyncio.run(run())
