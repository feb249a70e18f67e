"""Bulk writes for the history generator: ids reserved up front, rows written in chunks.

PostgreSQL gets COPY (asyncpg's ``copy_records_to_table``) on the transaction's own connection,
several times faster than an INSERT per row even when batched; SQLite gets one executemany
INSERT per chunk. Row triggers still fire either way, so the database fills 문의번호 itself
(migration 0011), exactly as it does for the app's own inserts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from gogaek.db import Base

Row = dict[str, Any]
_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder, not json.dumps' set-up per value


class BulkWriter:
    """Writes rows of one table after another inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self._next_ids: dict[str, int] = {}

    async def reserve_ids(self, model: type[Base], count: int) -> list[int]:
        """Ids nobody else gets: from the table's sequence on PostgreSQL (safe beside a running
        server); on SQLite, past the largest id, which this transaction's write lock keeps free."""
        if count == 0:
            return []
        table = _table(model)
        if self.postgres:
            reserved = await self.connection.scalar(
                text("SELECT array_agg(nextval(pg_get_serial_sequence(:table, 'id'))) FROM generate_series(1, :count)"),
                {"table": table.name, "count": count},
            )
            return list(reserved)
        if table.name not in self._next_ids:
            largest = await self.connection.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            self._next_ids[table.name] = int(largest or 0) + 1
        first = self._next_ids[table.name]
        self._next_ids[table.name] = first + count
        return list(range(first, first + count))

    async def write(self, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
        """Every row must carry the same keys (executemany and COPY both need one column list)."""
        if not rows:
            return
        table = _table(model)
        if not self.postgres:
            await self.connection.execute(insert(table), list(rows))
            return
        columns = list(rows[0])
        as_json = [name for name in columns if isinstance(table.c[name].type, JSON)]
        if as_json:  # asyncpg takes json as text
            rows = [{**row, **{name: _JSON.encode(row[name]) for name in as_json}} for row in rows]
        records = list(map(itemgetter(*columns), rows))
        driver = (await self.connection.get_raw_connection()).driver_connection
        assert driver is not None  # an open connection inside the caller's transaction
        await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)
