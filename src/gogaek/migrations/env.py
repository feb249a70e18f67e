"""Alembic environment: always runs on a connection handed over by ``gogaek.migrate``."""

from __future__ import annotations

from alembic import context

import gogaek.models  # noqa: F401  - registers every table on the metadata
from gogaek.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `gogaek db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
