"""The ``Idempotency-Key`` header of the API's create routes (docs/api.md, "Idempotency")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from gogaek.errors import ProblemError
from gogaek.web.i18n import N_

MAX_KEY_LENGTH = 200


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=MAX_KEY_LENGTH,
            description="같은 요청을 다시 보낼 때 같은 값 (예: UUID). 비어 있으면 400.",
        ),
    ] = None,
) -> str | None:
    """No header: no deduplication. A blank one is refused: it dedupes nothing, and is most
    often a shell command that printed nothing (``$(uuidgen)`` where uuidgen is not installed),
    so the caller believes a retry is safe when it would file a second record."""
    if key is not None and not key.strip():
        raise ProblemError(
            400,
            "idempotency_key_blank",
            N_("Idempotency-Key 헤더가 비어 있습니다. 요청마다 고유한 값(예: UUID)을 넣거나 헤더를 빼 주세요."),
        )
    return key


IdempotencyKeyHeader = Annotated[str | None, Depends(idempotency_key)]
