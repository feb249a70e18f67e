"""The 문의번호 the database writes within the INSERT (migration 0011) equals the Python spelling.

The app no longer sends an UPDATE for the number: it computes ``inquiry_number`` itself and
trusts the trigger to have stored the same text. Both databases, across the Seoul midnight
and past six digits of id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.service import inquiry_number

CASES = [
    (7, datetime(2026, 12, 6, 14, 59, 59, 999999, tzinfo=UTC)),  # 23:59:59 in Seoul
    (8, datetime(2026, 12, 6, 15, 0, 0, tzinfo=UTC)),  # 00:00 the next day in Seoul
    (999_999, datetime(2026, 12, 31, 15, 30, tzinfo=UTC)),  # new year in Seoul
    (1_234_567, datetime(2027, 2, 28, 23, 0, tzinfo=UTC)),
]


@pytest.fixture
async def session(settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as db_session:
        db_session.add_all([Category(id=1, slug="payment", name="결제"), Customer(id=1, external_id="host-1")])
        await db_session.commit()
        yield db_session
    await engine.dispose()


async def test_the_stored_number_is_the_python_spelling(session: AsyncSession) -> None:
    for row_id, created_at in CASES:
        session.add(Inquiry(id=row_id, customer_id=1, category_id=1, title="t", body="b", created_at=created_at))
    await session.commit()
    session.expire_all()
    stored = {row.id: row for row in (await session.scalars(select(Inquiry))).all()}
    assert {row_id: stored[row_id].number for row_id, _ in CASES} == {
        row_id: inquiry_number(stored[row_id]) for row_id, _ in CASES
    }
    assert stored[8].number == "20261207-000008" and stored[1_234_567].number == "20270301-1234567"


async def test_a_number_given_by_the_writer_is_kept(session: AsyncSession) -> None:
    session.add(Inquiry(id=3, number="IMPORTED-3", customer_id=1, category_id=1, title="t", body="b"))
    await session.commit()
    assert await session.scalar(select(Inquiry.number).where(Inquiry.id == 3)) == "IMPORTED-3"
