"""real-time chat: conversations, numbered messages, agent presence

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:17:19.300246
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_agent_presence",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_chat_agent_presence_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_chat_agent_presence")),
    )
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column("is_emergency", sa.Boolean(), nullable=False),
        sa.Column("queue_rank", sa.SmallInteger(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("bot_misses", sa.SmallInteger(), nullable=False),
        sa.Column("customer_read_seq", sa.Integer(), nullable=False),
        sa.Column("agent_read_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("idle_warned_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("queued_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=10), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["staff_users.id"],
            name=op.f("fk_chat_conversations_agent_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_chat_conversations_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_chat_conversations_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiries.id"],
            name=op.f("fk_chat_conversations_inquiry_id_inquiries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_chat_conversations_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_conversations")),
    )
    with op.batch_alter_table("chat_conversations", schema=None) as batch_op:
        batch_op.create_index("ix_chat_conversations_agent_status", ["agent_id", "status"], unique=False)
        batch_op.create_index("ix_chat_conversations_customer_status", ["customer_id", "status"], unique=False)
        batch_op.create_index(
            "ix_chat_conversations_queue", ["status", "team_id", "queue_rank", "queued_at", "id"], unique=False
        )
        batch_op.create_index("ix_chat_conversations_status_activity", ["status", "last_activity_at"], unique=False)

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=10), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("client_msg_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_messages_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_chat_messages_staff_id_staff_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "conversation_id", "sender", "client_msg_id", name="uq_chat_messages_conversation_client_msg"
        ),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_chat_messages_conversation_seq"),
    )


def downgrade() -> None:
    op.drop_table("chat_messages")
    with op.batch_alter_table("chat_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_conversations_status_activity")
        batch_op.drop_index("ix_chat_conversations_queue")
        batch_op.drop_index("ix_chat_conversations_customer_status")
        batch_op.drop_index("ix_chat_conversations_agent_status")

    op.drop_table("chat_conversations")
    op.drop_table("chat_agent_presence")
