"""indexes that keep every agent-queue status list a range read at any size

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:00:00

The agent queue lists resolved and closed inquiries newest first (``ORDER BY id DESC``),
narrowed by a view (assignee, team) or a category. Without an index that ends in ``id`` after
those columns, PostgreSQL walked the primary key backwards and filtered: cheap while matches
are common near the newest rows, but a page past the last match (the end of a list, a rare
category, an agent's old work) read the whole table — 146 ms at a million inquiries for the
last page of ``status=resolved``, 19 ms for the closed work of a rare category, and growing
with the table. These indexes make each of them a range read of one page (0.03–0.4 ms), as
an index-only scan once the table is vacuumed. The assignee and team indexes replace the
two-column ones, which they cover (every query that used ``(assignee_id, status)`` can use the
prefix). The category index also serves the foreign key: deleting a category no longer scans
every inquiry.

An open status (접수, 처리중, 답변완료) is listed in queue order; ``ix_inquiries_queue`` served
its first page, but its last page scanned on through every finished inquiry after it (216–278
ms at a million). ``(status, queue_rank, queue_due_at, id)`` reads exactly that status in queue
order: first and last pages 0.5–0.9 ms. Measurements: docs/benchmarks.md ("Read scaling").

Plain CREATE INDEX (not CONCURRENTLY, which cannot run in the migration's transaction): on a
large PostgreSQL table it blocks writes to inquiries for as long as the build takes, about
ten seconds per index at a million rows on two cores.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = (
    ("ix_inquiries_status_id", ["status", "id"]),
    ("ix_inquiries_status_queue", ["status", "queue_rank", "queue_due_at", "id"]),
    ("ix_inquiries_category_status_id", ["category_id", "status", "id"]),
    ("ix_inquiries_assignee_status_id", ["assignee_id", "status", "id"]),
    ("ix_inquiries_team_status_id", ["team_id", "status", "id"]),
)
REPLACED = (
    ("ix_inquiries_assignee_status", ["assignee_id", "status"]),
    ("ix_inquiries_team_status", ["team_id", "status"]),
)


def upgrade() -> None:
    # Plain index statements, never a batch table copy: that would drop the 문의번호 trigger on SQLite.
    for name, columns in NEW:
        op.create_index(name, "inquiries", columns, unique=False)
    for name, _ in REPLACED:
        op.drop_index(name, table_name="inquiries")


def downgrade() -> None:
    for name, columns in REPLACED:
        op.create_index(name, "inquiries", columns, unique=False)
    for name, _ in reversed(NEW):
        op.drop_index(name, table_name="inquiries")
