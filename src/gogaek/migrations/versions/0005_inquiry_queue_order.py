"""stored agent-queue order on inquiries, so the queue reads an index instead of sorting

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 06:40:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same rules as gogaek.inquiries.sla.queue_position, frozen here as they were at this revision.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
BACKFILL = """
UPDATE inquiries SET
    queue_rank = CASE
        WHEN status IN ('received', 'in_progress', 'answered') THEN
            CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END
        ELSE 9
    END,
    queue_due_at = CASE
        WHEN status IN ('received', 'in_progress', 'answered') THEN
            COALESCE(
                CASE WHEN first_responded_at IS NULL AND first_response_due_at IS NOT NULL
                    THEN first_response_due_at ELSE resolution_due_at END,
                :no_due
            )
        ELSE :no_due
    END
"""
QUEUE_INDEXES = (
    ("ix_inquiries_queue", ["queue_rank", "queue_due_at", "id"]),
    ("ix_inquiries_assignee_queue", ["assignee_id", "queue_rank", "queue_due_at", "id"]),
    ("ix_inquiries_team_queue", ["team_id", "queue_rank", "queue_due_at", "id"]),
)


def upgrade() -> None:
    due_type = gogaek.db.UTCDateTime(timezone=True)
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_rank", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("queue_due_at", due_type, nullable=True))
    op.execute(sa.text(BACKFILL).bindparams(sa.bindparam("no_due", NO_DUE, type_=due_type)))
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.alter_column("queue_rank", existing_type=sa.SmallInteger(), nullable=False)
        batch_op.alter_column("queue_due_at", existing_type=due_type, nullable=False)
        for name, columns in QUEUE_INDEXES:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        for name, _ in reversed(QUEUE_INDEXES):
            batch_op.drop_index(name)
        batch_op.drop_column("queue_due_at")
        batch_op.drop_column("queue_rank")
