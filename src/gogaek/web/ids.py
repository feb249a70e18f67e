"""The one id type of every path, query and body id: an id the databases cannot store is refused early.

Every id column is a 32-bit ``INTEGER`` (PostgreSQL's ``integer``; SQLite stores up to 2^63 - 1),
so an id outside 1 … 2^31 - 1 cannot name anything. Checked by the type, it never reaches a query
that the driver would refuse with an overflow (which used to answer 500).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1  # PostgreSQL ``integer``, the smaller of the two databases' id columns

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="Id (1 … 2147483647)")]
