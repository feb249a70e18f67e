"""A mistyped card number (4-4-4-4 digits that fail the Luhn check) is stored masked, as the form
promises, in the text and in the 결제번호 field; transaction references stay readable (issue 15)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.inquiries.models import Inquiry
from gogaek.korean.pii import PII_NOTICE
from tests.conftest import customer_headers

pytestmark = pytest.mark.usefixtures("demo_content")
MISTYPED = "4111-1111-1111-1112"  # one digit off a test card: fails the Luhn check


async def _file(client: httpx.AsyncClient, settings: Settings, **fields: str) -> dict[str, object]:
    body = {"category": "payment", "title": "결제가 안 돼요", "body": "결제가 안 돼요", **fields}
    response = await client.post("/api/v1/inquiries", json=body, headers=customer_headers(settings))
    assert response.status_code == 201, response.text
    answer: dict[str, object] = response.json()
    return answer


async def test_mistyped_card_number_in_the_text_is_stored_masked(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    answer = await _file(client, settings, body=f"카드 {MISTYPED}로 결제했는데 실패했어요")
    assert answer["body"] == "카드 ****-****-****-1112로 결제했는데 실패했어요"
    assert answer["pii_notice"] == PII_NOTICE
    stored = await session.scalar(select(Inquiry.body).where(Inquiry.id == answer["id"]))
    assert stored is not None and MISTYPED not in stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (MISTYPED, "****-****-****-1112"),
        ("4111 1111 1111 1111", "**** **** **** 1111"),
        ("T2026120712345678", "T2026120712345678"),
        ("2026120712345678", "2026120712345678"),
        ("DEMO-0A1B2C3D4E", "DEMO-0A1B2C3D4E"),
    ],
)
async def test_the_reference_field_hides_card_numbers_and_keeps_references(
    client: httpx.AsyncClient, settings: Settings, typed: str, stored: str
) -> None:
    answer = await _file(client, settings, transaction_ref=typed)
    assert answer["transaction_ref"] == stored
