"""inquiry language: the language the customer filed in, for the notifications about it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 14:00:00

``inquiries.locale`` (``ko``, ``en``; NULL for inquiries filed before it, read as Korean).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: a batch copy of the table would drop SQLite's triggers.
    op.add_column("inquiries", sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("inquiries", "locale")
