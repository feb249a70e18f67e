"""staff phone extension: the phone system names the answering agent by extension

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_extension", sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint("uq_staff_users_phone_extension", ["phone_extension"])


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_users_phone_extension", type_="unique")
        batch_op.drop_column("phone_extension")
