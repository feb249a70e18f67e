"""Who has an inquiry open: the "someone else is working on this" notice before a second reply.

A viewer row is refreshed each time the console opens (or re-polls) an inquiry and counts for
two minutes, so a closed tab stops counting without any sign-out message. The database keeps
it, not process memory, so agents on different app processes see each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.identity.models import StaffUser
from gogaek.inquiries.models import InquiryViewer

VIEWING_WINDOW = timedelta(minutes=2)


async def mark_viewing(
    session: AsyncSession, inquiry_id: int, staff: StaffUser, now: datetime | None = None
) -> list[StaffUser]:
    """Records that ``staff`` looks at the inquiry now and returns the others seen recently.

    One INSERT … ON CONFLICT DO UPDATE, so two tabs of the same agent opening the inquiry at
    the same moment cannot both try to insert the row (both SQLite and PostgreSQL have it).
    """
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(InquiryViewer).values(inquiry_id=inquiry_id, staff_id=staff.id, seen_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[InquiryViewer.inquiry_id, InquiryViewer.staff_id],
            set_={"seen_at": statement.excluded.seen_at},
        )
    )
    await session.commit()
    return await recent_viewers(session, inquiry_id, exclude_staff_id=staff.id, now=now)


async def recent_viewers(
    session: AsyncSession, inquiry_id: int, *, exclude_staff_id: int | None = None, now: datetime | None = None
) -> list[StaffUser]:
    """Active staff who had the inquiry open within the window, most recent first."""
    now = now or utcnow()
    query = (
        select(StaffUser)
        .join(InquiryViewer, InquiryViewer.staff_id == StaffUser.id)
        .where(
            InquiryViewer.inquiry_id == inquiry_id,
            InquiryViewer.seen_at >= now - VIEWING_WINDOW,
            StaffUser.is_active.is_(True),
        )
        .order_by(InquiryViewer.seen_at.desc(), StaffUser.id)
    )
    if exclude_staff_id is not None:
        query = query.where(StaffUser.id != exclude_staff_id)
    return list((await session.scalars(query)).all())
