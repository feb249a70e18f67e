"""privacy requests: receipts of customers' data exports and erasures

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:00:00

One table, ``privacy_requests``: the receipt of each export and erasure made under the
customers' data rights (docs/privacy.md). It names a customer only by a keyed hash, so an
erased customer leaves no personal data here, and a retried erasure answers the first result.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("requested_by", sa.String(length=10), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_privacy_requests_dedupe_key")),
    )
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_requests_subject_key"), ["subject_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_requests_subject_key"))
    op.drop_table("privacy_requests")
