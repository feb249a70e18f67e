"""Bulk seeding for the inquiry benchmark: 100,000 inquiries in seconds through SQLAlchemy Core.

Submitting them through the API would take an hour and measure nothing the read benchmark
asks about, so rows are written straight into the tables — but shaped like the app writes
them (문의번호, SLA clocks and their warned/breached flags consistent with the status), so the
queue views select realistic shares. The mix is deliberately heavy on open work (a large
backlog is the slow case for the agent queue).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from gogaek.calendar.hours import SEOUL
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import AgentSkill, Customer, StaffRole
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.models import Inquiry, InquiryMessage
from gogaek.inquiries.sla import queue_position

SEED = 20240601
AGENT_PASSWORD = "bench-agent-password"  # noqa: S105 - a throwaway account in a throwaway database
HISTORY_RANGE = (5, 20)  # customers whose 문의 내역 is timed have this many inquiries

# (title, body) a pay-app customer would write, by demo category slug.
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "payment": (
        (
            "결제가 두 번 됐어요",
            "편의점에서 한 번 결제했는데 알림이 두 번 왔고 잔액도 두 번 빠졌어요. 확인 부탁드립니다.",
        ),
        (
            "결제 취소했는데 환불이 안 들어와요",
            "지난주에 온라인 쇼핑몰 결제를 취소했는데 아직 돈이 안 들어왔어요. 언제 들어오나요?",
        ),
    ),
    "transfer": (
        (
            "송금했는데 상대방이 못 받았대요",
            "친구에게 5만원 보냈는데 친구 계좌에 안 들어왔다고 합니다. 송금 내역에는 완료로 나와요.",
        ),
        (
            "잘못 보낸 돈 돌려받고 싶어요",
            "계좌번호를 한 자리 잘못 입력해서 모르는 사람에게 보냈어요. 어떻게 돌려받나요?",
        ),
    ),
    "charge": (
        (
            "충전이 안 돼요",
            "연결된 계좌에서 충전하려고 하면 계속 오류가 나요. 잔액은 충분합니다.",
        ),
        (
            "자동충전 해지하고 싶어요",
            "자동충전 설정을 끄고 싶은데 메뉴를 못 찾겠어요.",
        ),
    ),
    "points": (
        (
            "포인트가 사라졌어요",
            "어제까지 있던 포인트가 오늘 보니 없어졌어요. 유효기간이 지난 건가요?",
        ),
        (
            "포인트 적립이 안 됐어요",
            "이벤트 기간에 결제했는데 포인트가 적립되지 않았습니다.",
        ),
    ),
    "linked-accounts": (
        (
            "계좌 연결이 안 됩니다",
            "새 은행 계좌를 연결하려는데 본인 인증 단계에서 계속 실패해요.",
        ),
        (
            "카드 삭제가 안 돼요",
            "예전에 쓰던 카드를 지우고 싶은데 삭제 버튼이 회색이에요.",
        ),
    ),
    "account": (
        (
            "휴대폰 번호를 바꿨어요",
            "번호가 바뀌어서 인증 문자를 받을 수 없어요. 번호 변경은 어떻게 하나요?",
        ),
        (
            "비밀번호를 잊어버렸어요",
            "결제 비밀번호를 다섯 번 틀려서 잠겼습니다. 풀어 주세요.",
        ),
    ),
    "restrictions": (
        (
            "이용 제한을 풀어 주세요",
            "갑자기 이용이 제한되었다는 안내가 나왔어요. 이유와 해제 방법을 알려 주세요.",
        ),
        (
            "증빙 서류를 어디로 보내나요",
            "이용 제한 해제에 필요한 서류를 준비했는데 어디로 제출하면 되나요?",
        ),
    ),
    "help": (
        (
            "상담 예약하고 싶어요",
            "전화 상담을 예약하고 싶은데 가능한 시간이 있을까요?",
        ),
        (
            "문의 답변을 못 봤어요",
            "예전에 남긴 문의에 답변이 왔다는데 앱에서 찾을 수가 없어요.",
        ),
    ),
}
URGENT_TEMPLATE = (
    "보이스피싱 당한 것 같아요",
    "모르는 번호에서 온 링크를 눌렀는데 제 계좌에서 돈이 빠져나갔어요. 급합니다.",
)
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ("민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지우", "시우", "서윤", "주원", "하린")

# Share of all inquiries per status; the first three are open.
STATUS_SHARES = (
    ("received", 0.06),
    ("in_progress", 0.05),
    ("answered", 0.04),
    ("resolved", 0.05),
    ("closed", 0.80),
)
PRIORITY_SHARES = (("normal", 0.80), ("high", 0.10), ("low", 0.07), ("urgent", 0.03))
OPEN = frozenset({"received", "in_progress", "answered"})
# How old inquiries of each status are, in days: resolved ones are younger than the 7-day
# auto-close so the sweep has nothing to catch up on while the benchmark runs.
AGE_DAYS = {"received": (0, 3), "in_progress": (0, 3), "answered": (0, 3), "resolved": (1, 6), "closed": (8, 365)}
_OPTIONAL_COLUMNS = (
    "resolved_at",
    "closed_at",
    "resolution_remaining_seconds",
    "first_response_warned_at",
    "first_response_breached_at",
    "resolution_warned_at",
    "resolution_breached_at",
)
# The columns sla.queue_position reads.
_POSITION_INPUTS = ("status", "priority", "first_responded_at", "first_response_due_at", "resolution_due_at")
NEAR_BREACH = 0.8  # the share of the promised time after which the SLA sweep warns


@dataclass(frozen=True, slots=True)
class SeedPlan:
    inquiries: int = 100_000
    customers: int = 20_000
    agents: int = 20
    batch: int = 5_000


@dataclass(frozen=True, slots=True)
class SeedReport:
    inquiries: int
    customers: int
    messages: int
    open: int
    unassigned_open: int
    overdue: int
    external_ids: tuple[str, ...]  # the seeded customers, as the host app's ``sub``
    history_customers: tuple[str, ...]  # those with HISTORY_RANGE inquiries, for 문의 내역
    agent_email: str  # the agent whose "mine" view is timed
    agent_inquiries_open: int


def agent_email(number: int) -> str:
    return f"agent{number:02d}@bench.gogaek.example"


async def create_agents(session: AsyncSession, count: int) -> list[int]:
    """Agent accounts through the real service (argon2 and all), all sharing one password and
    skilled in every category, so auto-assignment has candidates to weigh as in production."""
    ids = []
    for number in range(1, count + 1):
        data = StaffCreate(
            email=agent_email(number), password=AGENT_PASSWORD, display_name=f"상담사{number:02d}", role=StaffRole.AGENT
        )
        ids.append((await create_staff_user(session, data)).id)
    categories = (await session.scalars(select(Category.id))).all()
    session.add_all(AgentSkill(staff_id=staff, category_id=category) for staff in ids for category in categories)
    await session.commit()
    return ids


async def seed(engine: AsyncEngine, plan: SeedPlan, agent_ids: list[int], now: datetime | None = None) -> SeedReport:
    """Customers, inquiries and their replies in batches, one transaction for everything."""
    if not agent_ids:
        raise ValueError("seed needs at least one agent (create_agents first)")
    now = now or utcnow()
    rng = random.Random(SEED)
    async with engine.begin() as connection:
        categories = (await connection.execute(select(Category.id, Category.slug))).all()
        if not categories:
            raise ValueError(
                "카테고리가 없습니다. 데모 내용을 먼저 불러오세요. (No categories: load the demo content first)"
            )
        customer_ids = await _insert_customers(connection, plan, rng, now)
        owners = _owners(rng, customer_ids, plan.inquiries)
        builder = _RowBuilder(rng, now, dict(categories), agent_ids, await _next_id(connection, Inquiry))
        message_id = await _next_id(connection, InquiryMessage)
        messages = 0
        for start in range(0, plan.inquiries, plan.batch):
            rows = [builder.inquiry(owner) for owner in owners[start : start + plan.batch]]
            await connection.execute(insert(Inquiry), rows)
            replies = [reply for row in rows for reply in _replies(rng, row)]
            for reply in replies:
                reply["id"], message_id = message_id, message_id + 1
            if replies:
                await connection.execute(insert(InquiryMessage), replies)
            messages += len(replies)
        if connection.dialect.name == "postgresql":
            for table in ("customers", "inquiries", "inquiry_messages"):
                await connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    return _report(plan, builder, owners, customer_ids, messages, agent_ids)


async def _next_id(connection: AsyncConnection, model: type[Inquiry] | type[InquiryMessage] | type[Customer]) -> int:
    return int(await connection.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1


async def _insert_customers(
    connection: AsyncConnection, plan: SeedPlan, rng: random.Random, now: datetime
) -> list[int]:
    first = await _next_id(connection, Customer)
    ids = list(range(first, first + plan.customers))
    rows = [
        {
            "id": customer_id,
            "external_id": f"seed-{customer_id}",
            "source": "host",
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "created_at": now - timedelta(days=rng.uniform(30, 900)),
            "last_seen_at": now - timedelta(days=rng.uniform(0, 30)),
        }
        for customer_id in ids
    ]
    for start in range(0, len(rows), plan.batch):
        await connection.execute(insert(Customer), rows[start : start + plan.batch])
    return ids


def _owners(rng: random.Random, customer_ids: list[int], count: int) -> list[int]:
    """A heavy tail: most customers write a few times, some write dozens of times."""
    weights = [rng.lognormvariate(0.0, 1.0) for _ in customer_ids]
    return rng.choices(customer_ids, weights, k=count)


def _pick(rng: random.Random, shares: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in shares], [share for _, share in shares])[0]


class _RowBuilder:
    """Inquiry rows with ids, 문의번호 and clocks; keeps the counts the report needs."""

    def __init__(
        self, rng: random.Random, now: datetime, categories: dict[int, str], agents: list[int], first_id: int
    ) -> None:
        self.rng, self.now, self.agents, self.next_id = rng, now, agents, first_id
        self.categories = [(cid, slug) for cid, slug in categories.items() if slug in TEMPLATES] or list(
            categories.items()
        )
        self.security = next((cid for cid, slug in categories.items() if slug == "security"), self.categories[0][0])
        self.counts: Counter[str] = Counter()

    def inquiry(self, customer_id: int) -> dict[str, Any]:
        rng = self.rng
        status, priority = _pick(rng, STATUS_SHARES), _pick(rng, PRIORITY_SHARES)
        if priority == "urgent":
            category_id, (title, body) = self.security, URGENT_TEMPLATE
        else:
            category_id, slug = rng.choice(self.categories)
            title, body = rng.choice(TEMPLATES.get(slug, TEMPLATES["help"]))
        created = self.now - timedelta(days=rng.uniform(*AGE_DAYS[status]))
        row: dict[str, Any] = {
            "id": self.next_id,
            "number": f"{created.astimezone(SEOUL):%Y%m%d}-{self.next_id:06d}",
            "customer_id": customer_id,
            "category_id": category_id,
            "channel": "web",
            "status": status,
            "priority": priority,
            "is_emergency": priority == "urgent",
            "title": title,
            "body": body,
            "transaction_ref": f"T{rng.randrange(10**11):011d}" if rng.random() < 0.3 else None,
            "tags": ["긴급"] if priority == "urgent" else [],
            "created_at": created,
            "assignee_id": self._assignee(status),
            **dict.fromkeys(_OPTIONAL_COLUMNS),  # executemany needs the same keys in every row
        }
        self.next_id += 1
        self._clocks(row, created)
        # Core inserts skip the ORM listener, so the stored queue order comes from the same function.
        row["queue_rank"], row["queue_due_at"] = queue_position(
            Inquiry(**{name: row[name] for name in _POSITION_INPUTS})
        )
        self._count(row)
        return row

    def _assignee(self, status: str) -> int | None:
        if status == "received" and self.rng.random() < 0.7:
            return None  # waiting for auto-assignment or a supervisor
        return self.rng.choice(self.agents)

    def _clocks(self, row: dict[str, Any], created: datetime) -> None:
        """SLA due times and flags as the app and its sweep would have left them."""
        rng, status = self.rng, row["status"]
        first_due = created + timedelta(hours=rng.uniform(4, 24))
        resolution_due = created + timedelta(hours=rng.uniform(24, 72))
        responded = created + timedelta(hours=rng.uniform(0.5, 20))
        responded = min(responded, self.now)
        answered = status not in ("received",) and not (status == "in_progress" and rng.random() < 0.4)
        row |= {
            "first_response_due_at": first_due,
            "resolution_due_at": resolution_due,
            "first_responded_at": responded if answered else None,
            "updated_at": responded if answered else created,
        }
        if status == "answered":  # waiting on the customer: the resolution clock is stopped
            row["resolution_remaining_seconds"] = (resolution_due - responded).total_seconds()
            row["resolution_due_at"] = None
        if status in ("resolved", "closed"):
            resolved = min(responded + timedelta(hours=rng.uniform(1, 72)), self.now)
            row |= {"resolved_at": resolved, "updated_at": resolved}
            if status == "closed":
                closed = min(resolved + timedelta(days=7), self.now)
                row |= {"closed_at": closed, "updated_at": closed}
        # A clock runs until it is met, or (resolution) until the wait on the customer paused it.
        resolution_until = row.get("resolved_at") or (responded if status == "answered" else self.now)
        self._flags(row, created, "first_response", first_due, row["first_responded_at"] or self.now)
        self._flags(row, created, "resolution", resolution_due, resolution_until)

    def _flags(self, row: dict[str, Any], created: datetime, clock: str, due: datetime, until: datetime) -> None:
        if until >= due:
            row[f"{clock}_breached_at"] = due
        if until >= created + (due - created) * NEAR_BREACH:
            row[f"{clock}_warned_at"] = created + (due - created) * NEAR_BREACH

    def _count(self, row: dict[str, Any]) -> None:
        if row["status"] not in OPEN:
            return
        self.counts["open"] += 1
        self.counts["unassigned_open"] += row["assignee_id"] is None
        self.counts[f"agent:{row['assignee_id']}"] += 1
        running_first = row["first_responded_at"] is None
        due = row["first_response_due_at"] if running_first else row["resolution_due_at"]
        self.counts["overdue"] += due is not None and due <= self.now


def _replies(rng: random.Random, inquiry: dict[str, Any]) -> list[dict[str, Any]]:
    """An agent's answer for every answered inquiry; a customer's follow-up on some."""
    if inquiry["first_responded_at"] is None:
        return []
    replies = [
        {
            "inquiry_id": inquiry["id"],
            "author_kind": "agent",
            "author_staff_id": inquiry["assignee_id"],
            "internal": False,
            "body": "안녕하세요, 고객센터입니다. 문의하신 내용을 확인했습니다. 처리 결과를 안내해 드립니다.",
            "created_at": inquiry["first_responded_at"],
        }
    ]
    if rng.random() < 0.2:
        replies.append(
            {
                "inquiry_id": inquiry["id"],
                "author_kind": "customer",
                "author_staff_id": None,
                "internal": False,
                "body": "답변 감사합니다. 그런데 아직 해결이 안 됐어요. 다시 확인 부탁드려요.",
                "created_at": inquiry["first_responded_at"] + timedelta(minutes=30),
            }
        )
    return replies


def _report(
    plan: SeedPlan,
    builder: _RowBuilder,
    owners: list[int],
    customer_ids: list[int],
    messages: int,
    agent_ids: list[int],
) -> SeedReport:
    per_customer = Counter(owners)
    low, high = HISTORY_RANGE
    history = tuple(f"seed-{cid}" for cid in customer_ids if low <= per_customer[cid] <= high)
    return SeedReport(
        inquiries=plan.inquiries,
        customers=len(customer_ids),
        messages=messages,
        open=builder.counts["open"],
        unassigned_open=builder.counts["unassigned_open"],
        overdue=builder.counts["overdue"],
        external_ids=tuple(f"seed-{cid}" for cid in customer_ids),
        history_customers=history,
        agent_email=agent_email(1),
        agent_inquiries_open=builder.counts[f"agent:{agent_ids[0]}"],
    )
