"""inquiry numbers filled by the database

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:10:00

A submission used to insert the inquiry and then UPDATE it with its number, because the number
contains the row id. The database now fills it within the INSERT (PostgreSQL: a BEFORE trigger;
SQLite: an AFTER trigger, run inside the same statement), and the application computes the same
value itself (``inquiries.service.inquiry_number``), so no statement is sent for it. Both
spellings are checked against the Python one in tests/unit/test_inquiry_number.py.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Korea keeps no daylight saving time: Seoul is UTC+9 all year. The fraction of a second is cut
# off first: SQLite rounds 23:59:59.9999 up to the next day.
SQLITE_TRIGGER = """
CREATE TRIGGER inquiries_number AFTER INSERT ON inquiries WHEN NEW.number IS NULL
BEGIN
    UPDATE inquiries
    SET number = strftime('%Y%m%d', substr(NEW.created_at, 1, 19), '+9 hours') || '-' || printf('%06d', NEW.id)
    WHERE id = NEW.id;
END
"""

POSTGRES_FUNCTION = """
CREATE FUNCTION inquiries_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.number IS NULL THEN
        NEW.number := to_char(NEW.created_at AT TIME ZONE 'Asia/Seoul', 'YYYYMMDD') || '-'
            || CASE WHEN NEW.id >= 1000000 THEN NEW.id::text ELSE lpad(NEW.id::text, 6, '0') END;
    END IF;
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)
        return
    op.execute(POSTGRES_FUNCTION)
    op.execute(
        "CREATE TRIGGER inquiries_number BEFORE INSERT ON inquiries FOR EACH ROW EXECUTE FUNCTION inquiries_number()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS inquiries_number")
        return
    op.execute("DROP TRIGGER IF EXISTS inquiries_number ON inquiries")
    op.execute("DROP FUNCTION IF EXISTS inquiries_number()")
