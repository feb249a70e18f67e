"""Job drain: how fast one worker clears the jobs that inquiry submissions leave behind.

Each submission leaves an ``inquiry.created`` event and a round-robin assignment job; each
assignment adds an ``inquiry.assigned`` event. The issue's bar is that after a minute of
submissions at full load the backlog drains within 10 s, so the worker must keep up with the
web process. For each backend a child process makes a fresh database (demo categories, agents
skilled in every category), files ``--submissions`` inquiries through the app's own service
with the worker off, then runs one ``JobWorker`` poll after poll until nothing is due, timing
wall and CPU seconds (its process only: no server, no load generator).

``--before REV`` runs the same child with ``src/`` as it was at git revision ``REV``, in the
same run, as the baseline; the two take turns ``--rounds`` times and the median is reported.

    .venv/bin/python benchmarks/job_drain.py [--before REV] [--submissions 600] [--rounds 3]
        [--backends sqlite,postgres] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
CUSTOMERS = 50
AGENTS = 8


@dataclass(frozen=True, slots=True)
class Drain:
    jobs: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.jobs / self.seconds

    @property
    def cpu_ms_per_job(self) -> float:
        return 1000 * self.cpu_seconds / self.jobs


# --- the child: one database, one drain ------------------------------------------------------


async def _file_inquiries(sessionmaker: Any, settings: Any, submissions: int) -> None:
    from gogaek.identity.models import Customer
    from gogaek.inquiries.schemas import InquiryCreate
    from gogaek.inquiries.service import submit_inquiry
    from gogaek.inquiries.storage import build_attachment_storage
    from inquiry_seed import TEMPLATES

    async with sessionmaker() as session:
        customers = [Customer(external_id=f"drain-{n}", name=f"고객{n}") for n in range(CUSTOMERS)]
        session.add_all(customers)
        await session.commit()
    storage = build_attachment_storage(settings)
    forms = [(slug, title, body) for slug, pairs in TEMPLATES.items() for title, body in pairs]
    for n in range(submissions):
        slug, title, body = forms[n % len(forms)]
        async with sessionmaker() as session:
            customer = await session.get(Customer, customers[n % CUSTOMERS].id)
            data = InquiryCreate(category=slug, title=title, body=body)
            await submit_inquiry(session, customer, data, settings=settings, storage=storage, idempotency_key=f"d{n}")


async def child(backend: str, submissions: int) -> Drain:
    import inquiry_load
    import inquiry_seed
    from gogaek.background import job_handlers
    from gogaek.db import create_engine, create_sessionmaker
    from gogaek.demo import load_demo_content
    from gogaek.jobs.handlers import build_handlers
    from gogaek.jobs.worker import JobWorker
    from gogaek.migrate import upgrade_database

    without_worker = inquiry_load.Options(jobs_enabled=False)
    with tempfile.TemporaryDirectory(prefix="gogaek-drain-") as workdir:
        async with inquiry_load.fresh_database(backend, Path(workdir), without_worker) as settings:
            engine = create_engine(settings)
            try:
                await upgrade_database(engine)
                sessionmaker = create_sessionmaker(engine)
                async with sessionmaker() as session:
                    await load_demo_content(session)
                    await inquiry_seed.create_agents(session, AGENTS)
                await _file_inquiries(sessionmaker, settings, submissions)
                worker = JobWorker(sessionmaker, settings, build_handlers(job_handlers()), "drain")
                jobs, started, cpu = 0, time.perf_counter(), time.process_time()
                while ran := await worker.run_once():
                    jobs += ran
                return Drain(jobs, time.perf_counter() - started, time.process_time() - cpu)
            finally:
                await engine.dispose()


# --- the parent: revisions taking turns -------------------------------------------------------


def run_child(backend: str, submissions: int, source: Path) -> Drain:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), str(BENCHMARKS)])}
    command = [sys.executable, str(Path(__file__)), "--child", backend, "--submissions", str(submissions)]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return Drain(**json.loads(output.strip().splitlines()[-1]))


Results = dict[str, dict[str, Drain]]  # backend → code → drain


def measure(backends: Sequence[str], sources: dict[str, Path], submissions: int, rounds: int) -> Results:
    """Median over rounds (by jobs per second), the sources taking turns within each round."""
    runs: dict[str, dict[str, list[Drain]]] = {b: {label: [] for label in sources} for b in backends}
    for _ in range(rounds):
        for backend in backends:
            for label, source in sources.items():
                runs[backend][label].append(run_child(backend, submissions, source))
    return {
        backend: {
            label: sorted(drains, key=lambda drain: drain.per_second)[len(drains) // 2]
            for label, drains in by_label.items()
        }
        for backend, by_label in runs.items()
    }


def render(results: Results, submissions: int, command: str, load: float) -> str:
    from common import table

    rows = []
    for backend, by_label in results.items():
        first = next(iter(by_label.values()))
        for label, drain in by_label.items():
            rows.append(
                [
                    backend,
                    label,
                    f"{drain.jobs:,}",
                    f"{drain.seconds:.1f}",
                    f"{drain.per_second:.0f}",
                    f"{drain.cpu_ms_per_job:.1f}",
                    f"{drain.per_second * submissions / drain.jobs:.0f}",
                    f"{drain.per_second / first.per_second:.2f}×",
                ]
            )
    header = ["backend", "code", "jobs", "seconds", "jobs/s", "CPU ms/job", "submissions/s kept up with", "× first"]
    day = datetime.now(UTC).date().isoformat()
    return (
        "## Job drain\n\n"
        f"Command: `{command}` — {day}, {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}; load average {load:.1f} before the runs. One worker in its own\n"
        f"process drains the jobs {submissions} submissions left (events and round-robin\n"
        "assignments), poll after poll, with nothing else running in that process; CPU is that\n"
        'process\'s. Median of the rounds; the codes take turns. "submissions/s kept up with" is the\n'
        "submission rate whose jobs this worker clears as fast as they come.\n\n" + table(header, rows) + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="also run src/ as it was at this git revision, first")
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        drain = asyncio.run(child(args.child, args.submissions))
        print(json.dumps({"jobs": drain.jobs, "seconds": drain.seconds, "cpu_seconds": drain.cpu_seconds}))
        return
    from search_load import export_source

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gogaek-drain-src-") as workdir:
        sources = {f"`{args.before}` (before)": export_source(args.before, Path(workdir))} if args.before else {}
        sources["this tree"] = REPO / "src"
        backends = [b for b in args.backends.split(",") if b]
        results = measure(backends, sources, args.submissions, args.rounds)
    command = " ".join(
        [".venv/bin/python benchmarks/job_drain.py"]
        + ([f"--before {args.before}"] if args.before else [])
        + [f"--submissions {args.submissions}", f"--rounds {args.rounds}", f"--backends {args.backends}"]
    )
    markdown = render(results, args.submissions, command, load)
    print(markdown)
    if args.write_docs:
        from common import write_section

        write_section("job_drain", markdown)


if __name__ == "__main__":
    main()
