"""email channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 19:29:13.093335
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "mail_thread_ids",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_mail_thread_ids_inquiry_id_inquiries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_mail_thread_ids")),
    )
    with op.batch_alter_table("mail_thread_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_thread_ids_inquiry_id"), ["inquiry_id"], unique=False)

    op.create_table(
        "inbound_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("envelope_sender", sa.String(length=254), nullable=True),
        sa.Column("envelope_recipients", sa.JSON(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("sender", sa.String(length=254), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column("inquiry_message_id", sa.Integer(), nullable=True),
        sa.Column("refused_files", sa.JSON(), nullable=False),
        sa.Column("received_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_inbound_mails_inquiry_id_inquiries"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_message_id"],
            ["inquiry_messages.id"],
            name=op.f("fk_inbound_mails_inquiry_message_id_inquiry_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mails")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_inbound_mails_dedupe_key")),
    )
    with op.batch_alter_table("inbound_mails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_mails_inquiry_message_id"), ["inquiry_message_id"], unique=False)
        batch_op.create_index("ix_inbound_mails_sender_received", ["sender", "received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_mails_status"), ["status"], unique=False)

    op.create_table(
        "outbound_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("inquiry_message_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_outbound_mails_inquiry_id_inquiries"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_message_id"],
            ["inquiry_messages.id"],
            name=op.f("fk_outbound_mails_inquiry_message_id_inquiry_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_mails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbound_mails_message_id")),
    )
    with op.batch_alter_table("outbound_mails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_mails_inquiry_id"), ["inquiry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_mails_inquiry_message_id"), ["inquiry_message_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("outbound_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_mails_inquiry_message_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_mails_inquiry_id"))

    op.drop_table("outbound_mails")
    with op.batch_alter_table("inbound_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_mails_status"))
        batch_op.drop_index("ix_inbound_mails_sender_received")
        batch_op.drop_index(batch_op.f("ix_inbound_mails_inquiry_message_id"))

    op.drop_table("inbound_mails")
    with op.batch_alter_table("mail_thread_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_thread_ids_inquiry_id"))

    op.drop_table("mail_thread_ids")
