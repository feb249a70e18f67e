"""Numbers for the chat fan-out benchmark, kept pure so a unit test can check them.

A delivery is ``(client_msg_id, sent_ns, received_ns)`` on the shared monotonic clock
(``CLOCK_MONOTONIC`` is one clock for every process on the machine), so a message sent in one
client process and received in another is timed without any clock correction.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Delivery = tuple[str, int, int]
NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Latency:
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class Flow:
    """One direction of one phase: what was sent, what arrived, and how late."""

    sent: int
    delivered: int  # distinct messages that arrived
    lost: int  # sent but never arrived (after the drain)
    duplicates: int  # arrivals beyond the first of the same message
    latency: Latency
    last_received_ns: int  # 0 when nothing arrived


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0–100); 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latency(samples_ms: Sequence[float]) -> Latency:
    if not samples_ms:
        return Latency(0, 0.0, 0.0, 0.0)
    return Latency(len(samples_ms), percentile(samples_ms, 50), percentile(samples_ms, 99), max(samples_ms))


def flow(sent_ids: Iterable[str], deliveries: Sequence[Delivery]) -> Flow:
    """Matches arrivals to sends by id: the first arrival of each message is timed, repeats counted."""
    sent = set(sent_ids)
    seen = Counter(message_id for message_id, _, _ in deliveries)
    first: dict[str, Delivery] = {}
    for delivery in deliveries:
        first.setdefault(delivery[0], delivery)
    arrived = [d for message_id, d in first.items() if message_id in sent]
    return Flow(
        sent=len(sent),
        delivered=len(arrived),
        lost=len(sent) - len(arrived),
        duplicates=sum(count - 1 for count in seen.values()),
        latency=latency([(received - sent_at) / NS_PER_MS for _, sent_at, received in arrived]),
        last_received_ns=max((received for _, _, received in arrived), default=0),
    )


def sustained_rate(flows: Sequence[Flow], started_ns: int, seconds: float) -> float:
    """Messages delivered per second over the sending window, or until the last arrival if that came
    later: the offered rate when the server keeps up, its real capacity when a backlog builds."""
    delivered = sum(f.delivered for f in flows)
    last = max((f.last_received_ns for f in flows), default=0)
    return delivered / max(seconds, (last - started_ns) / 1e9) if delivered else 0.0
