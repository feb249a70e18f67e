"""SIGKILL of the app while customers retry: nothing acknowledged is lost or stored twice."""

from __future__ import annotations

import pytest

from tests.chat.conftest import Prepared
from tests.reliability.kills import app_kills

pytestmark = pytest.mark.integration

KILLS = 3
REQUESTS = 30
CHAT_MESSAGES = 30


async def test_inquiries_and_chat_messages_survive_kills(prepared: Prepared) -> None:
    inquiries, chat = await app_kills(prepared[0], requests=REQUESTS, messages=CHAT_MESSAGES, kills=KILLS)
    assert inquiries.injected == KILLS
    assert (inquiries.acknowledged, chat.acknowledged) == (REQUESTS, CHAT_MESSAGES)
    assert (inquiries.lost, inquiries.duplicated, inquiries.server_errors, inquiries.half_written) == (0, 0, 0, 0)
    assert (chat.lost, chat.duplicated) == (0, 0)
