"""phone consultation and restriction appeals

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 06:15:11.941578
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gogaek.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_checklist_items")),
    )
    op.create_table(
        "callback_capacity_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=True),
        sa.Column("ends", sa.Time(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_capacity_overrides")),
    )
    with op.batch_alter_table("callback_capacity_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_capacity_overrides_day"), ["day"], unique=False)

    op.create_table(
        "callback_roster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("starts", sa.Time(), nullable=True),
        sa.Column("ends", sa.Time(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_roster")),
    )
    op.create_table(
        "callback_slots",
        sa.Column("slot_start", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slot_start", name=op.f("pk_callback_slots")),
    )
    op.create_table(
        "cti_signature_nonces",
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("expires_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_cti_signature_nonces")),
    )
    with op.batch_alter_table("cti_signature_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cti_signature_nonces_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "cti_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("signing_secret", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_cti_tokens_created_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cti_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_cti_tokens_token_hash")),
    )
    op.create_table(
        "phone_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("verified_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_phone_verifications_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_verifications")),
    )
    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.create_index("ix_phone_verifications_customer", ["customer_id", "phone", "verified_at"], unique=False)

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("slot_start", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("slot_end", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_flagged_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=12), nullable=True),
        sa.Column("call_id", sa.String(length=120), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_callbacks_category_id_categories"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_callbacks_claimed_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_callbacks_customer_id_customers"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_callbacks_inquiry_id_inquiries"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
        sa.UniqueConstraint("number", name=op.f("uq_callbacks_number")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index("ix_callbacks_customer_status", ["customer_id", "status"], unique=False)
        batch_op.create_index("ix_callbacks_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "cti_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=120), nullable=False),
        sa.Column("event", sa.String(length=10), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["cti_tokens.id"], name=op.f("fk_cti_events_token_id_cti_tokens"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cti_events")),
        sa.UniqueConstraint("call_id", "event", name=op.f("uq_cti_events_call_id")),
    )
    op.create_table(
        "restriction_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("restricted_on", sa.Date(), nullable=False),
        sa.Column("restriction_ref", sa.String(length=100), nullable=True),
        sa.Column("verified_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=12), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_restriction_appeals_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_users.id"],
            name=op.f("fk_restriction_appeals_decided_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["inquiries.id"],
            name=op.f("fk_restriction_appeals_inquiry_id_inquiries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction_appeals")),
        sa.UniqueConstraint("inquiry_id", name=op.f("uq_restriction_appeals_inquiry_id")),
    )
    with op.batch_alter_table("restriction_appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_restriction_appeals_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "call_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=120), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("from_number", sa.String(length=40), nullable=False),
        sa.Column("to_number", sa.String(length=40), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("cause", sa.String(length=40), nullable=True),
        sa.Column("answering_number", sa.String(length=40), nullable=True),
        sa.Column("user_names", sa.JSON(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer_matches", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("started_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", gogaek.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["staff_users.id"], name=op.f("fk_call_logs_agent_id_staff_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["callback_id"], ["callbacks.id"], name=op.f("fk_call_logs_callback_id_callbacks"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_call_logs_customer_id_customers"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_call_logs_inquiry_id_inquiries"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_logs")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_logs_call_id")),
    )
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.create_index("ix_call_logs_from", ["from_number"], unique=False)
        batch_op.create_index("ix_call_logs_started", ["started_at"], unique=False)

    op.create_table(
        "identity_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("call_log_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", gogaek.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_log_id"],
            ["call_logs.id"],
            name=op.f("fk_identity_checks_call_log_id_call_logs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_identity_checks_callback_id_callbacks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_identity_checks_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_identity_checks_staff_id_staff_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_checks")),
    )
    with op.batch_alter_table("identity_checks", schema=None) as batch_op:
        batch_op.create_index("ix_identity_checks_customer", ["customer_id", "created_at"], unique=False)

    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requires_verification", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("requires_verification")

    with op.batch_alter_table("identity_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_checks_customer")

    op.drop_table("identity_checks")
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_call_logs_started")
        batch_op.drop_index("ix_call_logs_from")

    op.drop_table("call_logs")
    with op.batch_alter_table("restriction_appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restriction_appeals_customer_id"))

    op.drop_table("restriction_appeals")
    op.drop_table("cti_events")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index("ix_callbacks_status_due")
        batch_op.drop_index("ix_callbacks_customer_status")

    op.drop_table("callbacks")
    with op.batch_alter_table("phone_verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_phone_verifications_customer")

    op.drop_table("phone_verifications")
    op.drop_table("cti_tokens")
    with op.batch_alter_table("cti_signature_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cti_signature_nonces_expires_at"))

    op.drop_table("cti_signature_nonces")
    op.drop_table("callback_slots")
    op.drop_table("callback_roster")
    with op.batch_alter_table("callback_capacity_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_capacity_overrides_day"))

    op.drop_table("callback_capacity_overrides")
    op.drop_table("call_checklist_items")
