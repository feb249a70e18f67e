"""Demo people and work: teams, agents, customers and inquiries in every state.

Built through the same service verbs the app uses, so the demo shows real SLA times,
masked text, timelines, events, audit entries and feedback rather than hand-made rows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.demo.phone import add_restriction_team, load_demo_phone
from gogaek.helpcenter.models import Category
from gogaek.identity.models import AgentSkill, Customer, StaffRole, StaffUser, Team, TeamCategory, TeamMember
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.agent_verbs import change_status_as_agent, reply_as_agent
from gogaek.inquiries.assignment import assign_inquiry
from gogaek.inquiries.customer_verbs import add_customer_message, record_feedback, resolve_by_customer
from gogaek.inquiries.models import Inquiry, Macro, Priority, SlaPolicy
from gogaek.inquiries.schemas import FeedbackCreate, InquiryCreate
from gogaek.inquiries.service import submit_inquiry
from gogaek.inquiries.storage import build_attachment_storage
from gogaek.inquiries.workflow import Status

DEMO_CUSTOMERS = (
    ("demo-customer-1", "김민지", "010-2345-6789", "minji@example.com"),
    ("demo-customer-2", "이준호", "010-3456-7890", "junho@example.com"),
    ("demo-customer-3", "박서연", None, "seoyeon@example.com"),
)
PAYMENT_CATEGORIES = ("payment", "transfer", "charge", "points", "linked-accounts")

MACROS = (
    (
        "결제 취소 안내",
        "{고객명}님, 안녕하세요. 문의번호 {문의번호} 건 확인했습니다.\n"
        "결제 취소는 가맹점 승인 취소 후 카드사 사정에 따라 영업일 기준 3~5일 안에 반영됩니다. "
        "그 뒤에도 반영되지 않으면 이 문의에 답글을 남겨 주세요.\n상담사 {상담사명} 드림",
    ),
    (
        "추가 정보 요청",
        "{고객명}님, 정확한 확인을 위해 결제 일시와 금액, 가맹점 이름을 알려 주세요. "
        "영수증 사진을 첨부해 주시면 더 빨리 도와드릴 수 있습니다. (문의번호 {문의번호})",
    ),
    (
        "해결 확인",
        "{고객명}님, 요청하신 처리가 완료되었습니다. 더 궁금한 점이 없으시면 '해결됐어요'를 눌러 주세요.",
    ),
)


@dataclass
class DemoPeople:
    """Sign-in details printed once at start-up; passwords are random per data dir."""

    staff: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, password)
    admin_totp_secret: str | None = None
    customers: list[str] = field(default_factory=list)
    inquiries: int = 0
    callbacks: int = 0
    calls: int = 0
    cti_token: str | None = None


async def load_demo_people(session: AsyncSession, settings: Settings) -> DemoPeople:
    """Idempotent: does nothing when staff beyond the first admin already exist."""
    people = DemoPeople()
    if await session.scalar(select(Team.id).limit(1)) is not None:
        return people
    categories = {c.slug: c for c in (await session.scalars(select(Category))).all()}
    payment = Team(slug="payment-team", name="결제·송금팀")
    security = Team(slug="security-team", name="보안팀", handles_emergencies=True)
    session.add_all([payment, security])
    await session.flush()
    session.add_all(TeamCategory(team_id=payment.id, category_id=categories[s].id) for s in PAYMENT_CATEGORIES)
    session.add(TeamCategory(team_id=security.id, category_id=categories["security"].id))
    session.add(SlaPolicy(priority=Priority.URGENT.value, first_response_hours=1, resolution_hours=9))
    session.add_all(Macro(title=title, body=body) for title, body in MACROS)
    await session.commit()
    agents = await _create_staff(session, people, categories, payment, security)
    customers = await _create_customers(session)
    people.customers = [c.external_id for c in customers]
    people.inquiries = await _create_inquiries(session, settings, customers, agents)
    await add_restriction_team(session, categories, agents[1])
    phone = await load_demo_phone(session, settings, customers, agents)
    people.callbacks, people.calls, people.cti_token = phone.callbacks, phone.calls, phone.cti_token
    return people


async def _create_staff(
    session: AsyncSession, people: DemoPeople, categories: dict[str, Category], payment: Team, security: Team
) -> list[StaffUser]:
    roster = (
        ("agent1@gogaek.local", "상담사 한결", StaffRole.AGENT, payment, PAYMENT_CATEGORIES),
        ("agent2@gogaek.local", "상담사 나래", StaffRole.AGENT, payment, tuple(categories)),
        ("security@gogaek.local", "보안 상담사 든솔", StaffRole.AGENT, security, ("security", "account")),
        ("supervisor@gogaek.local", "슈퍼바이저 다온", StaffRole.SUPERVISOR, payment, ()),
    )
    agents = []
    for email, name, role, team, skills in roster:
        password = secrets.token_urlsafe(9)
        user = await create_staff_user(
            session, StaffCreate(email=email, password=password, display_name=name, role=role)
        )
        session.add(TeamMember(team_id=team.id, staff_id=user.id))
        session.add_all(AgentSkill(staff_id=user.id, category_id=categories[slug].id) for slug in skills)
        people.staff.append((role.value, email, password))
        agents.append(user)
    await session.commit()
    return agents


async def _create_customers(session: AsyncSession) -> list[Customer]:
    customers = [
        Customer(external_id=sub, name=name, phone=phone, email=email) for sub, name, phone, email in DEMO_CUSTOMERS
    ]
    session.add_all(customers)
    await session.commit()
    return customers


async def _create_inquiries(
    session: AsyncSession, settings: Settings, customers: list[Customer], agents: list[StaffUser]
) -> int:
    storage = build_attachment_storage(settings)
    minji, junho, seoyeon = customers
    first, second = agents[0], agents[1]

    async def file(customer: Customer, category: str, title: str, body: str, ref: str | None = None) -> int:
        data = InquiryCreate(category=category, title=title, body=body, transaction_ref=ref)
        return (await submit_inquiry(session, customer, data, settings=settings, storage=storage)).inquiry.id

    # 접수: waiting in the unassigned queue.
    await file(junho, "points", "포인트가 적립되지 않았어요", "어제 편의점 결제했는데 포인트 적립이 안 보여요.")
    # 처리중: an agent picked it up.
    busy = await file(
        minji, "transfer", "송금이 아직 도착하지 않았어요", "오전에 보낸 30,000원이 상대방에게 안 갔대요."
    )
    await assign_inquiry(session, first, await _get(session, busy), first.id, settings)
    # 답변완료: waiting on the customer, clock paused.
    answered = await file(
        minji,
        "payment",
        "결제가 두 번 됐어요",
        "카드 4111-1111-1111-1111로 같은 금액이 두 번 결제됐어요.",
        "TX20261120-8841",
    )
    await assign_inquiry(session, first, await _get(session, answered), first.id, settings)
    await reply_as_agent(
        session,
        first,
        await _get(session, answered),
        "확인해 보니 한 건은 승인 취소되어 3~5일 안에 환불됩니다.",
        internal=False,
        settings=settings,
    )
    await reply_as_agent(
        session,
        first,
        await _get(session, answered),
        "가맹점 취소 요청 완료. 카드사 반영 대기.",
        internal=True,
        settings=settings,
    )
    # 해결 + rating: the whole loop.
    solved = await file(seoyeon, "account", "휴대폰 번호를 바꾸고 싶어요", "번호가 바뀌어서 로그인이 안 돼요.")
    await assign_inquiry(session, second, await _get(session, solved), second.id, settings)
    await reply_as_agent(
        session,
        second,
        await _get(session, solved),
        "앱 설정 > 내 정보에서 본인인증 후 바꿀 수 있습니다.",
        internal=False,
        settings=settings,
    )
    await add_customer_message(
        session, seoyeon, solved, "본인인증은 어디서 하나요?", settings=settings, storage=storage
    )
    await reply_as_agent(
        session,
        second,
        await _get(session, solved),
        "내 정보 화면 맨 위의 '본인인증' 버튼을 눌러 주세요.",
        internal=False,
        settings=settings,
    )
    await resolve_by_customer(session, seoyeon, solved, settings)
    await record_feedback(session, seoyeon, solved, FeedbackCreate(score=5, comment="친절하게 알려주셔서 감사합니다"))
    # 종료: closed by an agent.
    done = await file(junho, "charge", "자동충전 해지 방법", "자동충전을 끄고 싶어요.")
    await change_status_as_agent(session, second, await _get(session, done), Status.CLOSED, settings)
    # 긴급: an emergency routed to the security team.
    await file(junho, "security", "보이스피싱 당한 것 같아요", "검찰이라는 전화를 받고 송금했어요. 어떻게 하죠?")
    return 6


async def _get(session: AsyncSession, inquiry_id: int) -> Inquiry:
    inquiry = await session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    return inquiry
