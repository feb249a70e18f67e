"""Rarely changed reference rows kept per process: categories, team routing, SLA policies, days off,
run-time settings (``runtime_settings``: the answer bot, notification texts).

Every inquiry submission needs them, and reading them cost four SELECTs per request. They
change only through admin actions, so each process keeps what it read for a few seconds:

- a commit in this process that touched one of the tables (ORM objects or ORM-enabled
  ``update``/``delete``/``insert`` statements) clears the copy at once, whatever engine it went
  through, because copies are kept per database URL;
- other processes notice within ``REFERENCE_TTL_SECONDS``;
- a session that changed one of the tables and has not committed yet reads the database,
  never the copy, and a value read while a clear happened is not stored.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

REFERENCE_TTL_SECONDS = 5.0
REFERENCE_TABLES = frozenset(
    {"categories", "teams", "team_categories", "sla_policies", "company_days_off", "runtime_settings"}
)
_CHANGED = "gogaek.reference_changed"

T = TypeVar("T")


class _Copies:
    """What one database's reference rows looked like, by key, with when each was read."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[float, Any]] = {}
        self.generation = 0

    def clear(self) -> None:
        self.values.clear()
        self.generation += 1


_copies: dict[str, _Copies] = {}


def _database_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def clear_reference_copies() -> None:
    """Forgets every copy (a database emptied outside the ORM, as the tests do between tests)."""
    for copies in _copies.values():
        copies.clear()


async def cached(session: AsyncSession, key: str, load: Callable[[], Awaitable[T]]) -> T:
    """The value of ``load()``, shared by this process's requests for ``REFERENCE_TTL_SECONDS``.

    ``None`` (a miss) is not kept, so a row created elsewhere is found at once.
    """
    if session.sync_session.info.get(_CHANGED):
        return await load()
    copies = _copies.setdefault(_database_key(session.sync_session.get_bind()), _Copies())  # type: ignore[arg-type]
    now = time.monotonic()
    held = copies.values.get(key)
    if held is not None and now - held[0] < REFERENCE_TTL_SECONDS:
        return held[1]  # type: ignore[no-any-return]
    generation = copies.generation
    value = await load()
    if value is not None and copies.generation == generation:
        copies.values[key] = (now, value)
    return value


def _mark_if_reference(session: Session, table_names: set[str]) -> None:
    if table_names & REFERENCE_TABLES:
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: UOWTransaction) -> None:
    touched = {getattr(obj, "__tablename__", "") for obj in (*session.new, *session.dirty, *session.deleted)}
    _mark_if_reference(session, touched)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        _mark_if_reference(state.session, {getattr(table, "name", "")})


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        copies = _copies.get(_database_key(session.get_bind()))  # type: ignore[arg-type]
        if copies is not None:
            copies.clear()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)
