"""The client side of the chat fan-out benchmark: worker processes that each hold many websockets.

Two thousand sockets' framing and JSON would saturate one event loop on this machine, so the
customers are split over several processes and the agents get one of their own. A worker speaks
only the wire protocol (docs/chat-protocol.md) and imports nothing from gogaek, so the same code
drives the app and the bare relay baseline.

Every timed message carries its send time in its ``client_msg_id``
(``p<phase>-<c|a><index>-<number>-<monotonic ns>``, all characters the protocol allows), so the
receiving process, not the sender, stamps the latency and nothing needs matching across processes
until the end.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from chat_stats import Delivery

CUSTOMER_TEXT = "결제가 두 번 된 것 같아요. 확인 부탁드립니다."
AGENT_TEXT = "확인해 보겠습니다. 잠시만 기다려 주세요."
SETUP_SECONDS = 300.0  # connect and hello of one socket, at most
ACTIVE_SECONDS = 30.0  # handoff → an agent has the chat, at most
CALL_SECONDS = 900.0  # one command to a worker, at most
CUSTOMER, AGENT = "customer", "agent"


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    role: str  # CUSTOMER or AGENT
    peers: tuple[tuple[int, str], ...]  # (index across all workers, websocket URL)
    reply_every: int = 2  # agents answer every n-th customer message
    connect_concurrency: int = 50  # sockets of this worker joining at once


def message_id(phase: int, role: str, index: int, number: int, sent_ns: int) -> str:
    return f"p{phase}-{role[0]}{index}-{number}-{sent_ns}"


def parse_message_id(value: object) -> tuple[int, int, int] | None:
    """(phase, number, sent_ns) of a benchmark message; None for the bot's, system's and others'."""
    if not isinstance(value, str):
        return None
    parts = value.split("-")
    if len(parts) != 4 or not parts[0].startswith("p"):
        return None
    try:
        return int(parts[0][1:]), int(parts[2]), int(parts[3])
    except ValueError:
        return None


@dataclass(slots=True)
class PhaseLog:
    """What one worker saw of one phase."""

    sent: list[str] = field(default_factory=list)
    acks: list[Delivery] = field(default_factory=list)  # the sender's own message coming back: stored
    deliveries: list[Delivery] = field(default_factory=list)  # the other side's messages
    max_lag_ms: float = 0.0  # how far the sender fell behind its schedule

    def merge(self, other: PhaseLog) -> None:
        self.sent += other.sent
        self.acks += other.acks
        self.deliveries += other.deliveries
        self.max_lag_ms = max(self.max_lag_ms, other.max_lag_ms)


@dataclass(slots=True)
class Peer:
    index: int
    url: str
    socket: ClientConnection | None = None
    hello: asyncio.Event = field(default_factory=asyncio.Event)
    active: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # active, or the handoff was refused
    assigned: int = 0


@dataclass(frozen=True, slots=True)
class SetupLog:
    joined: int  # sockets that got their hello
    active: int  # customers whose chat is with an agent
    hello_ms: list[float]  # connect → hello
    active_ms: list[float]  # handoff → status active
    errors: dict[str, int]


class Worker:
    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.peers = [Peer(index, url) for index, url in spec.peers]
        self.logs: defaultdict[int, PhaseLog] = defaultdict(PhaseLog)
        self.errors: Counter[str] = Counter()
        self.replies = 0
        self.closing = False
        self.ready: list[Peer] = []  # the customers that send, fixed before the first phase
        self.waiting: list[int] = []  # the queue as the agents' consoles last saw it
        self.readers: list[asyncio.Task[None]] = []

    # Commands (called by the orchestrator through the pipe)

    async def connect(self) -> SetupLog:
        gate = asyncio.Semaphore(self.spec.connect_concurrency)
        timings = await asyncio.gather(*(self._join(peer, gate) for peer in self.peers))
        done = [t for t in timings if t is not None]
        return SetupLog(
            joined=sum(peer.hello.is_set() for peer in self.peers),
            active=sum(peer.active.is_set() for peer in self.peers),
            hello_ms=[hello for hello, _ in done],
            active_ms=[active for _, active in done if active is not None],
            errors=self._take_errors(),
        )

    async def assigned(self) -> int:
        return sum(peer.assigned for peer in self.peers)

    async def accept_waiting(self) -> int:
        """The consoles' accept for chats still waiting, each chat once, spread over the agents;
        returns how many were asked for. Only needed when automatic assignment left chats behind."""
        asked: set[int] = set()
        deadline = time.monotonic() + ACTIVE_SECONDS
        while time.monotonic() < deadline:
            fresh = [conversation for conversation in self.waiting if conversation not in asked]
            if not fresh:
                break
            for number, conversation in enumerate(fresh):
                asked.add(conversation)
                await self._send(self.peers[number % len(self.peers)], {"type": "accept", "conversation": conversation})
            await asyncio.sleep(0.5)
        return len(asked)

    async def freeze(self) -> int:
        """Fixes who sends: the customers whose chat an agent has now (a late one is left out, since
        its agent may not follow the chat yet)."""
        self.ready = [peer for peer in self.peers if peer.active.is_set() and peer.socket is not None]
        return len(self.ready)

    async def send(self, phase: int, rate: float, count: int, start_ns: int) -> None:
        """``count`` customer messages at ``rate`` per second from ``start_ns``, round-robin over the
        ready customers; open loop, so a slow server shows as latency, not as a lower rate."""
        ready = self.ready
        if not ready:
            return
        log = self.logs[phase]
        for number in range(count):
            due = start_ns + int(number * 1e9 / rate)
            wait = due - time.monotonic_ns()
            if wait > 0:
                await asyncio.sleep(wait / 1e9)
            else:
                log.max_lag_ms = max(log.max_lag_ms, -wait / 1e6)
            peer = ready[number % len(ready)]
            sent_ns = time.monotonic_ns()
            frame_id = message_id(phase, CUSTOMER, peer.index, number, sent_ns)
            log.sent.append(frame_id)
            await self._send(peer, {"type": "message", "text": CUSTOMER_TEXT, "client_msg_id": frame_id})

    async def counts(self, phase: int) -> tuple[int, int, int]:
        log = self.logs[phase]
        return len(log.sent), len(log.acks), len(log.deliveries)

    async def collect(self, phase: int) -> tuple[PhaseLog, dict[str, int]]:
        return self.logs.pop(phase, PhaseLog()), self._take_errors()

    async def close(self) -> None:
        self.closing = True
        sockets = [peer.socket for peer in self.peers if peer.socket is not None]
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)

    # Sockets

    async def _join(self, peer: Peer, gate: asyncio.Semaphore) -> tuple[float, float | None] | None:
        """Connect, wait for hello; a customer then asks for a person and waits until an agent has it
        (or an error frame refuses the handoff)."""
        async with gate:
            started = hello = time.monotonic_ns()
            try:
                peer.socket = await connect(
                    peer.url, max_size=2**22, ping_interval=None, open_timeout=SETUP_SECONDS, close_timeout=5
                )
                self.readers.append(asyncio.create_task(self._read(peer)))
                await asyncio.wait_for(peer.hello.wait(), SETUP_SECONDS)
                hello = time.monotonic_ns()
                if self.spec.role == CUSTOMER and not peer.active.is_set():
                    await peer.socket.send(json.dumps({"type": "handoff"}))
                    await asyncio.wait_for(peer.settled.wait(), ACTIVE_SECONDS)
            except TimeoutError:
                if not peer.hello.is_set():
                    self.errors[f"{self.spec.role}: no hello within {SETUP_SECONDS:.0f} s"] += 1
                    return None
                self.errors[f"customer: no agent within {ACTIVE_SECONDS:.0f} s of the handoff"] += 1
            except (OSError, WebSocketException) as exc:
                self.errors[f"{self.spec.role} set-up failed: {type(exc).__name__}"] += 1
                return None
            active = (time.monotonic_ns() - hello) / 1e6 if peer.active.is_set() else None
            return (hello - started) / 1e6, active

    async def _read(self, peer: Peer) -> None:
        assert peer.socket is not None
        try:
            async for raw in peer.socket:
                reply = self._handle(peer, json.loads(raw), time.monotonic_ns())
                if reply is not None:
                    await self._send(peer, reply)
        except ConnectionClosed:
            pass
        if not self.closing:
            self.errors[f"{self.spec.role} socket closed by the server (code {peer.socket.close_code})"] += 1

    async def _send(self, peer: Peer, frame: dict[str, Any]) -> None:
        assert peer.socket is not None
        try:
            await peer.socket.send(json.dumps(frame, ensure_ascii=False))
        except ConnectionClosed:
            self.errors[f"{self.spec.role} send on a closed socket"] += 1

    def _handle(self, peer: Peer, frame: dict[str, Any], now: int) -> dict[str, Any] | None:
        kind = frame.get("type")
        if kind == "message":
            return self._on_message(peer, frame, now)
        if kind == "hello":
            if (frame.get("conversation") or {}).get("status") == "active":
                peer.active.set()
                peer.settled.set()
            peer.hello.set()
        elif kind == "status" and frame.get("status") == "active":
            peer.active.set()
            peer.settled.set()
        elif kind == "assigned":
            peer.assigned += 1
        elif kind == "queue" and "waiting" in frame:
            self.waiting = [int(w["conversation"]) for w in frame["waiting"]]
        elif kind == "error":
            self.errors[f"{self.spec.role} got error frame {frame.get('code')}"] += 1
            peer.settled.set()
        return None

    def _on_message(self, peer: Peer, frame: dict[str, Any], now: int) -> dict[str, Any] | None:
        """Times a benchmark message; an agent answers every ``reply_every``-th customer message."""
        frame_id = frame.get("client_msg_id")
        parsed = parse_message_id(frame_id)
        if parsed is None or not isinstance(frame_id, str):
            return None
        phase, number, sent_ns = parsed
        if frame.get("duplicate"):
            self.errors[f"{self.spec.role} got a duplicate answer"] += 1
            return None
        log = self.logs[phase]
        if frame.get("sender") == self.spec.role:
            log.acks.append((frame_id, sent_ns, now))
            return None
        log.deliveries.append((frame_id, sent_ns, now))
        if self.spec.role != AGENT or number % self.spec.reply_every:
            return None
        self.replies += 1
        reply_id = message_id(phase, AGENT, peer.index, self.replies, time.monotonic_ns())
        log.sent.append(reply_id)
        return {"type": "message", "conversation": frame["conversation"], "text": AGENT_TEXT, "client_msg_id": reply_id}

    def _take_errors(self) -> dict[str, int]:
        errors, self.errors = dict(self.errors), Counter()
        return errors


def raise_fd_limit() -> None:
    """Thousands of sockets need thousands of descriptors; take the hard limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def worker_main(pipe: Connection, spec: WorkerSpec) -> None:
    """Process entry: run commands ``(name, kwargs)`` from the pipe until ``close``."""
    raise_fd_limit()
    uvloop.run(_serve(pipe, spec))


async def _serve(pipe: Connection, spec: WorkerSpec) -> None:
    worker = Worker(spec)
    while True:
        command, arguments = await asyncio.to_thread(pipe.recv)
        try:
            result = await getattr(worker, command)(**arguments)
        except Exception:
            pipe.send(("error", traceback.format_exc()))
            continue
        pipe.send(("ok", result))
        if command == "close":
            return


class WorkerHandle:
    """The orchestrator's end of one worker process."""

    def __init__(self, spec: WorkerSpec) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with a running loop
        self.pipe, child = context.Pipe()
        self.process: BaseProcess = context.Process(target=worker_main, args=(child, spec), daemon=True)
        self.process.start()
        child.close()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    async def call(self, command: str, **arguments: Any) -> Any:
        self.pipe.send((command, arguments))
        status, result = await asyncio.to_thread(self._receive)
        if status != "ok":
            raise RuntimeError(f"client worker failed on {command}:\n{result}")
        return result

    def _receive(self) -> tuple[str, Any]:
        deadline = time.monotonic() + CALL_SECONDS
        while not self.pipe.poll(0.5):
            if not self.process.is_alive():
                raise RuntimeError(f"client worker exited with {self.process.exitcode}")
            if time.monotonic() > deadline:
                raise TimeoutError("client worker did not answer")
        answer: tuple[str, Any] = self.pipe.recv()
        return answer

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.pipe.close()


async def call_all(workers: Sequence[WorkerHandle], command: str, **arguments: Any) -> list[Any]:
    return list(await asyncio.gather(*(w.call(command, **arguments) for w in workers)))
