"""chat language: the language the customer chats in, for what the chat says to them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:00:00

``chat_conversations.locale`` (``ko``, ``en``; NULL for chats started before it, read as Korean).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases, as 0017 (no batch copy of the table).
    op.add_column("chat_conversations", sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("chat_conversations", "locale")
