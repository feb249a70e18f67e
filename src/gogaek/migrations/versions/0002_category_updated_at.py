"""category updated_at, so every process notices renames

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 03:55:09.507794
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", gogaek.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE categories SET updated_at = created_at")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=gogaek.db.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
