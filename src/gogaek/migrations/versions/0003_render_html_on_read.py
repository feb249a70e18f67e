"""render answers and notice bodies on read

The sanitised HTML was stored next to its Markdown source: derived state that would keep
an old sanitiser's output after an upgrade. It is now rendered when read.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:21:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gogaek.rendering import markdown_to_html

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENDERED = (("articles", "answer_md", "answer_html"), ("notices", "body_md", "body_html"))


def upgrade() -> None:
    for table, _source, rendered in RENDERED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(rendered)


def downgrade() -> None:
    connection = op.get_bind()
    for table, source, rendered in RENDERED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(rendered, sa.Text(), nullable=True))
        rows = connection.execute(sa.text(f"SELECT id, {source} FROM {table}")).all()  # noqa: S608 - constant names
        for row_id, markdown in rows:
            connection.execute(
                sa.text(f"UPDATE {table} SET {rendered} = :html WHERE id = :id"),  # noqa: S608 - constant names
                {"html": markdown_to_html(markdown), "id": row_id},
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(rendered, existing_type=sa.Text(), nullable=False)
