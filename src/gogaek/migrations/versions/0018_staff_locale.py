"""staff language: the language a staff member reads the console in, for their notifications

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:00:00

``staff_users.locale`` (``ko``, ``en``; NULL until they sign in on a page or switch, read as Korean).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases, as 0017 (no batch copy of the table).
    op.add_column("staff_users", sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("staff_users", "locale")
