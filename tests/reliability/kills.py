"""SIGKILL of the app under mixed load: inquiry submissions and chat messages at the same time.

Both loads share the kills, so one restart proves both promises; the server is killed each time
another share of all acknowledged items is reached, so every kill lands mid-load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from gogaek.config import Settings
from tests.chat.conftest import CHAT_ENV
from tests.reliability.chat_faults import chat_load, chat_outcome, new_customers
from tests.reliability.processes import AppServer
from tests.reliability.scenarios import Tally, inquiry_load, inquiry_outcome, poll_until

CHAT_CUSTOMERS = 6


async def _reached(progress: Callable[[], int], target: int) -> bool:
    return progress() >= target


async def kill_at_progress(
    server: AppServer, kills: int, total: int, progress: Callable[[], int], tally: Tally
) -> None:
    """Kills and restarts the server each time another ``total / (kills + 1)`` items are acknowledged."""
    for number in range(1, kills + 1):
        target = number * total // (kills + 1)
        await poll_until(partial(_reached, progress, target), 0.02)
        await asyncio.to_thread(server.restart_after_kill)
        tally.injected += 1


async def mixed_load_under_kills(
    server: AppServer, settings: Settings, *, requests: int, messages: int, kills: int
) -> tuple[Tally, Tally]:
    """Returns the inquiry tally and the chat tally (both count the same kills)."""
    inquiries = Tally("SIGKILL of the app during inquiry submissions")
    chat = Tally("SIGKILL of the app during chat messages")
    acknowledged: list[str] = []
    people = new_customers(server, settings, CHAT_CUSTOMERS, "chat-kill")
    await asyncio.gather(
        kill_at_progress(
            server,
            kills,
            requests + messages,
            lambda: len(acknowledged) + sum(len(p.acknowledged) for p in people),
            inquiries,
        ),
        inquiry_load(server, settings, inquiries, acknowledged, requests=requests),
        chat_load(people, chat, messages=messages),
    )
    chat.injected = inquiries.injected
    await inquiry_outcome(settings, inquiries, acknowledged)
    await chat_outcome(settings, chat, people)
    return inquiries, chat


async def app_kills(settings: Settings, *, requests: int, messages: int, kills: int) -> tuple[Tally, Tally]:
    """Serves ``settings`` (a prepared database) and runs the mixed load under kills."""
    server = AppServer(settings, CHAT_ENV)
    await asyncio.to_thread(server.start)
    try:
        return await mixed_load_under_kills(server, settings, requests=requests, messages=messages, kills=kills)
    finally:
        await asyncio.to_thread(server.stop)
