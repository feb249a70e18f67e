"""search queries: what customers searched for, for the search insight page

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:10:00

One table, ``search_queries``: each search from the help-center page, the API and the chat
bot, masked before it is written and naming no customer (docs/search.md, "Search insight").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("normalized", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("top_article_id", sa.Integer(), nullable=True),
        sa.Column("no_match", sa.Boolean(), nullable=False),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_queries")),
    )
    with op.batch_alter_table("search_queries", schema=None) as batch_op:
        batch_op.create_index("ix_search_queries_created_normalized", ["created_at", "normalized"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("search_queries", schema=None) as batch_op:
        batch_op.drop_index("ix_search_queries_created_normalized")
    op.drop_table("search_queries")
