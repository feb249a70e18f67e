"""Search at distinct-query load: ``GET /api/v1/faq/search`` under wrk, where no cache can help.

The app runs as a real server — one uvicorn process (``inquiry_load.served``: uvloop +
httptools, no access log), SQLite, the demo FAQ (101 articles), semantic search on, job worker
off. wrk's Lua script walks through thousands of distinct Korean queries made at run time from
the demo FAQ's questions and alternates (``distinct_queries``: other openings, endings, spacing
and one-key typos), so the engine's 512-entry query-vector caches never hit; the warm-up run
uses queries the timed run never sends. The same is measured with a handful of repeated
queries (cache hits) for contrast, and against ``inquiry_load``'s bare FastAPI GET (20
summaries from memory), the floor every wrk benchmark here reports against.

``--before REV`` also serves the app as it was at git revision ``REV`` (its ``src/`` exported
to a temporary directory and put first on the server's ``PYTHONPATH``). Both servers are up at
once and take turns, round after round, each round with queries nobody sent before: the other
load on a shared machine drifts by more than the difference being measured, and this way every
round meets it alike. The median round is reported.

    .venv/bin/python benchmarks/search_load.py [--before REV] [--connections 8] [--seconds 20]
        [--rounds 3] [--queries 3000] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import inquiry_load
from common import REPO, load_paycenter, table, write_section
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.migrate import upgrade_database
from wrk_load import TIMEOUT_SECONDS, WrkResult, run_wrk, write_script, wrk_binary

SEED = 20261207
OPENINGS = ("", "저기요 ", "혹시 ", "급한데요 ", "궁금한 게 있는데 ", "앱에서 ")
ENDINGS = ("", "?", " 알려주세요", " 어떻게 하나요", "요", " 문의드려요", "ㅠㅠ")
REPEATED = ("비밀번호를 잊어버렸어요", "송금 취소", "환불 언제 돼요", "카드 분실 신고", "결제가 실패했어요")
# A one-key slip of the vowel (indices of the 21 medials): ㅏ↔ㅓ, ㅐ↔ㅔ, ㅗ→ㅓ, ㅜ→ㅠ, ㅣ→ㅏ.
VOWEL_SLIPS = {0: 4, 4: 0, 1: 5, 5: 1, 8: 4, 13: 17, 20: 0}


def distinct_queries(phrasings: Sequence[str], count: int, seed: int = SEED) -> list[str]:
    """``count`` distinct customer-like queries from FAQ phrasings, in a seeded random order.

    Each is a phrasing with another opening and ending, optionally without spaces or with one
    jamo slipped to a neighbouring key, so the engine sees new text (new embeddings) every time.
    """
    rng = random.Random(seed)
    bases = [p.strip().rstrip("?.!") for p in phrasings if p.strip()]
    found: dict[str, None] = {}
    attempts = 0
    while len(found) < count:
        attempts += 1
        if attempts > count * 50:
            raise ValueError(f"only {len(found)} distinct queries from {len(bases)} phrasings")
        text = rng.choice(bases)
        style = rng.random()
        if style < 0.2:
            text = text.replace(" ", "")
        elif style < 0.4:
            text = _slip(text, rng)
        query = f"{rng.choice(OPENINGS)}{text}{rng.choice(ENDINGS)}".strip()
        found.setdefault(query, None)
    return list(found)


def _slip(text: str, rng: random.Random) -> str:
    """One syllable typed with a neighbouring vowel key ("결제" → "결재"); unchanged if none fits."""
    positions = [i for i, char in enumerate(text) if "가" <= char <= "힣"]
    rng.shuffle(positions)
    for position in positions:
        code = ord(text[position]) - 0xAC00
        vowel = code // 28 % 21
        if vowel in VOWEL_SLIPS:
            slipped = chr(ord(text[position]) + (VOWEL_SLIPS[vowel] - vowel) * 28)
            return text[:position] + slipped + text[position + 1 :]
    return text


@dataclass(frozen=True, slots=True)
class Options:
    connections: int = 8  # wrk's, on one thread: a few customers more than the cores
    seconds: int = 20  # each timed wrk run
    warmup_seconds: int = 5  # the untimed run before it, with other queries
    rounds: int = 3  # timed distinct-query runs per server, alternating between the servers
    queries: int = 3_000  # distinct queries per timed run (more than it can send)
    warmup_queries: int = 600


@dataclass(frozen=True, slots=True)
class ServerRuns:
    """One server's timed runs: a round of new queries each, and a few repeated ones."""

    name: str
    distinct: list[WrkResult]
    repeated: WrkResult

    @property
    def median(self) -> WrkResult:
        """The middle distinct-query run by throughput."""
        ordered = sorted(self.distinct, key=lambda result: result.per_second)
        return ordered[len(ordered) // 2]


async def prepare_data(workdir: Path) -> dict[str, str]:
    """A migrated SQLite data dir with the demo FAQ; the server environment that serves it."""
    from gogaek.demo import load_demo_content

    settings = Settings(env="test", data_dir=workdir / "data", search_semantic=True, jobs_enabled=False)
    engine = create_engine(settings)
    try:
        await upgrade_database(engine)
        async with create_sessionmaker(engine)() as session:
            await load_demo_content(session)
    finally:
        await engine.dispose()
    return inquiry_load.server_env(settings)


def export_source(revision: str, workdir: Path) -> Path:
    """``src/`` as it was at ``revision``, unpacked into ``workdir`` (the checkout is left alone)."""
    target = workdir / f"src-{revision.replace('/', '_')}"
    archive = subprocess.run(["git", "archive", revision, "src"], cwd=REPO, check=True, capture_output=True).stdout
    archive_path = workdir / "source.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def search_script(path: Path, queries: Sequence[str]) -> Path:
    """A wrk script that sends ``GET /api/v1/faq/search?q=…`` for each query in turn."""
    targets = [f"/api/v1/faq/search?q={quote(query)}" for query in queries]
    return write_script(path, "GET", targets[0], ["unused"], 200, targets=targets)


class QueryScripts:
    """Scripts with queries no earlier script sent, so no server has a vector cached for them."""

    def __init__(self, workdir: Path, options: Options, runs: int) -> None:
        documents, _ = load_paycenter()
        phrasings = [p for d in documents for p in (d.question, *d.alternates)]
        self._pool = distinct_queries(phrasings, runs * (options.queries + options.warmup_queries))
        self._workdir = workdir
        self._used = 0

    def fresh(self, count: int) -> Path:
        queries = self._pool[self._used : self._used + count]
        self._used += count
        return search_script(self._workdir / f"search-{self._used}.lua", queries)


async def timed(label: str, base_url: str, warmup: Path, script: Path, options: Options) -> WrkResult:
    """An untimed warm-up run, then the timed one."""
    print(f"{label}: wrk, {options.connections} connections, {options.seconds} s", flush=True)
    await run_wrk(base_url, warmup, options.connections, options.warmup_seconds)
    result = await run_wrk(base_url, script, options.connections, options.seconds)
    print(f"  {result.per_second:.0f} req/s, p99 {result.p99_ms:.0f} ms", flush=True)
    return result


async def run(before: str | None, options: Options) -> tuple[WrkResult, list[ServerRuns], float]:
    """The bare baseline, then the servers (the app at ``before`` when given, and this tree) all up
    at once, taking turns: the machine's other load drifts, and each round meets it alike."""
    with tempfile.TemporaryDirectory(prefix="gogaek-search-load-") as directory:
        workdir = Path(directory)
        env = await prepare_data(workdir)
        load_average = os.getloadavg()[0]
        bare_script = write_script(workdir / "bare.lua", "GET", "/inquiries", ["unused"], 200)
        async with inquiry_load.served("bare", env, workdir) as base_url:
            bare = await timed("bare FastAPI GET", base_url, bare_script, bare_script, options)
        servers = {"Gogaek, this tree": env}
        if before is not None:
            source = export_source(before, workdir)
            path = os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
            servers = {f"Gogaek at `{before}` (before)": {**env, "PYTHONPATH": path}, **servers}
        scripts = QueryScripts(workdir, options, options.rounds * len(servers))
        repeated = search_script(workdir / "repeated.lua", REPEATED)
        async with AsyncExitStack() as stack:
            urls = {}
            for number, (name, server_env) in enumerate(servers.items()):
                folder = workdir / f"server-{number}"  # its own log
                folder.mkdir()
                urls[name] = await stack.enter_async_context(inquiry_load.served("gogaek", server_env, folder))
            distinct: dict[str, list[WrkResult]] = {name: [] for name in servers}
            for round_number in range(1, options.rounds + 1):
                for name, url in urls.items():
                    warmup, script = scripts.fresh(options.warmup_queries), scripts.fresh(options.queries)
                    label = f"{name}, distinct queries, round {round_number}"
                    distinct[name].append(await timed(label, url, warmup, script, options))
            return (
                bare,
                [
                    ServerRuns(name, distinct[name], await timed(f"{name}, repeated", url, repeated, repeated, options))
                    for name, url in urls.items()
                ],
                load_average,
            )


def _ms(value: float) -> str:
    return f"{value:.1f}"


def throughput_table(bare: WrkResult, servers: Sequence[ServerRuns]) -> str:
    header = ["system", "queries", "req/s", "p50 ms", "p99 ms", "req/s / bare", "× before", "failed", "client CPU"]
    first = servers[0]
    compare = len(servers) > 1
    rows = [["bare FastAPI GET, 20 summaries (baseline)", "–", *_cells(bare, bare, None)]]
    for server in servers:
        rounds = ", ".join(f"{r.per_second:.0f}" for r in server.distinct)
        rows.append(
            [
                server.name,
                f"distinct (median of {rounds})",
                *_cells(server.median, bare, first.median if compare else None),
            ]
        )
        rows.append(
            [server.name, "repeated (cache hits)", *_cells(server.repeated, bare, first.repeated if compare else None)]
        )
    return table(header, rows)


def _cells(result: WrkResult, bare: WrkResult, before: WrkResult | None) -> list[str]:
    return [
        f"{result.per_second:.0f}",
        _ms(result.p50_ms),
        _ms(result.p99_ms),
        f"{result.per_second / bare.per_second:.3f}×",
        f"{result.per_second / before.per_second:.2f}×" if before is not None else "–",
        str(result.failures),
        f"{result.client_cpu:.0%}",
    ]


def render(bare: WrkResult, servers: Sequence[ServerRuns], options: Options, load_average: float, command: str) -> str:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    failures = [
        f"- {server.name}: {result.failures} failed, first: `{result.first_failure}`"
        for server in servers
        for result in (*server.distinct, server.repeated)
        if result.failures
    ]
    return (
        "## Search at distinct-query load\n\n"
        f"Command: `{command}` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}; load average\n"
        f"{load_average:.1f} before the runs and {os.getloadavg()[0]:.1f} after (other people's tests and\n"
        "benchmarks share these cores, and so does wrk). One uvicorn process per server (uvloop +\n"
        "httptools, no access log), SQLite, the demo FAQ (101 articles), semantic search on (e5 + USE),\n"
        "job worker off. With `--before`, the earlier revision's `src/` is served from a `git archive`\n"
        "export, over the same data dir, up at the same time as this tree's server.\n\n"
        f"wrk: 1 thread, {options.connections} connections, {options.seconds} s timed after an untimed "
        f"{options.warmup_seconds} s run\n"
        f"(timeout {TIMEOUT_SECONDS} s). *Distinct*: `GET /api/v1/faq/search?q=…` through {options.queries:,} "
        "queries no server\n"
        "has seen, made from the demo FAQ's questions and alternates (another opening and ending, spaces\n"
        "dropped or a one-key vowel slip; `distinct_queries`), so no query-vector cache hits; the\n"
        f"warm-up sends {options.warmup_queries:,} other new ones. The servers take turns, {options.rounds} "
        "rounds each, and the\n"
        "row shows the median round (every round's req/s beside it). *Repeated*: "
        f"{len(REPEATED)} queries in turn,\n"
        "all answered from the caches. The baseline is `inquiry_load`'s bare FastAPI GET (20 summaries\n"
        'from memory); "× before" compares with the first server.\n\n'
        + throughput_table(bare, servers)
        + ("\n\n" + "\n".join(failures) if failures else "")
        + "\n"
    )


def build_command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python benchmarks/search_load.py"]
    parts += [f"--before {args.before}"] if args.before else []
    defaults = Options()
    parts += [
        f"--{name} {getattr(args, name)}"
        for name in ("connections", "seconds", "rounds", "queries")
        if getattr(args, name) != getattr(defaults, name)
    ]
    parts += ["--write-docs"] if args.write_docs else []
    return " ".join(parts)


def main() -> None:
    defaults = Options()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="also serve src/ as it was at this git revision, first")
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--seconds", type=int, default=defaults.seconds)
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="distinct-query runs per server")
    parser.add_argument("--queries", type=int, default=defaults.queries, help="distinct queries per timed run")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    wrk_binary()  # exits with how to install wrk when it is missing
    options = Options(connections=args.connections, seconds=args.seconds, rounds=args.rounds, queries=args.queries)
    bare, servers, load_average = asyncio.run(run(args.before, options))
    body = render(bare, servers, options, load_average, build_command(args))
    print("\n" + body)
    if args.write_docs:
        write_section("search_load", body)


if __name__ == "__main__":
    main()
