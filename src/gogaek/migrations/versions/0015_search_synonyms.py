"""search synonyms: the synonym dictionary as admins edit it on /admin/synonyms

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:20:00

One table, ``search_synonyms``, holding at most one row: the edited dictionary. Without it
the search engine uses the synonym file (docs/search.md, "Synonym file").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
    )


def downgrade() -> None:
    op.drop_table("search_synonyms")
