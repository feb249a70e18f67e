"""Where a waiting chat stands in line and how long it may wait: pure arithmetic, so every
connection works out its own place from one queue snapshot without touching the database."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gogaek.config import Settings


@dataclass(frozen=True, slots=True)
class QueuePlace:
    position: int  # 1 = next
    eta_seconds: int | None  # None when nobody who could take it is online


def estimate_wait(position: int, online_agents: int, settings: Settings) -> int | None:
    """Seats free up at (agents × concurrent limit) per handle time; the wait is the position over that rate."""
    if online_agents <= 0:
        return None
    seats = online_agents * settings.chat_max_concurrent
    return math.ceil(position * settings.chat_expected_handle_seconds / seats)


def queue_place(
    order: Sequence[int], conversation_id: int, online_agents: int, settings: Settings
) -> QueuePlace | None:
    try:
        position = order.index(conversation_id) + 1
    except ValueError:
        return None
    return QueuePlace(position, estimate_wait(position, online_agents, settings))
