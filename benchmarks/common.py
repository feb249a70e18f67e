"""Shared helpers for the search benchmarks: data loading, metrics, docs/benchmarks.md."""

import asyncio
import json
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from gogaek.search.documents import SearchDocument

REPO = Path(__file__).resolve().parent.parent
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
DOCS_FILE = REPO / "docs" / "benchmarks.md"
PAYCENTER_QUERIES = REPO / "benchmarks" / "data" / "paycenter_queries.jsonl"
DEMO_FAQ = REPO / "src" / "gogaek" / "demo" / "faq.jsonl"
DATA = REPO / "benchmarks" / "data"
BLOCK = 10
# Independently written FAQ sets (benchmarks/data/<name>/README.md). The split was fixed before
# any of them was searched: weights and thresholds are fitted on TUNING_SETS (and the demo FAQ)
# only; the held-out sets are for reporting.
TUNING_SETS = ("hangyeol_card",)
# moa_pay was written (blind) on 2026-12-07 evening, after the fusion weights and the no-match
# rule were fixed: nothing was ever chosen with it.
HELD_OUT_SETS = ("pureun_bank", "dundeun_insurance", "moa_pay")


@dataclass(frozen=True, slots=True)
class Query:
    """An evaluation query with the id of the entry that answers it."""

    text: str
    expected: int
    style: str = "paraphrase"


@dataclass(frozen=True, slots=True)
class Scores:
    """Retrieval quality of one system on one query set."""

    recall_at_1: float
    recall_at_3: float
    mrr_at_10: float
    count: int


def load_parakqc(eval_dir: Path) -> tuple[list[SearchDocument], list[Query]]:
    """paraKQC as FAQ retrieval: first sentence of each block of 10 indexed, the rest queried."""
    raw = (eval_dir / "paraKQC_v1.txt").read_bytes().decode("utf-8")
    rows = [line.split("\t") for line in raw.split("\r\n") if line.strip()]
    documents: list[SearchDocument] = []
    queries: list[Query] = []
    for block in range(len(rows) // BLOCK):
        group = rows[block * BLOCK : (block + 1) * BLOCK]
        topic, _, first = group[0]
        documents.append(SearchDocument(block, None, first, (), (), "", topic))
        queries += [Query(row[2], block) for row in group[1:]]
    return documents, queries


def load_paycenter(
    faq_path: Path = DEMO_FAQ, queries_path: Path = PAYCENTER_QUERIES
) -> tuple[list[SearchDocument], list[Query]]:
    """The demo FAQ and the pay-app query set, with string FAQ ids mapped to integers."""
    documents: list[SearchDocument] = []
    numbers: dict[str, int] = {}
    for number, line in enumerate(faq_path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        item = json.loads(line)
        numbers[str(item["id"])] = number
        documents.append(
            SearchDocument(
                number,
                str(item["id"]),
                item["question"],
                tuple(item.get("alternates", ())),
                tuple(item.get("tags", ())),
                item.get("answer", ""),
                item.get("category", ""),
            )
        )
    queries = []
    for line in queries_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            queries.append(Query(item["query"], numbers[str(item["expected"])], item["style"]))
    return documents, queries


def load_faq_set(name: str) -> tuple[list[SearchDocument], list[Query]]:
    """One of the independently written sets: question + answer only, queries in five styles."""
    return load_paycenter(DATA / name / "faq.jsonl", DATA / name / "queries.jsonl")


def load_offtopic(split: str) -> list[str]:
    """Queries no financial customer center answers: ``dev`` tunes the no-match rule, ``test`` reports."""
    lines = (DATA / "offtopic" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["query"] for line in lines if line.strip()]


def load_everyday_questions(eval_dir: Path, rng: random.Random, count: int) -> list[str]:
    """Distinct Question_pair questions (everyday chat, love and work life; not finance)."""
    lines = (eval_dir / "question_pair_test.txt").read_text(encoding="utf-8").splitlines()[1:]
    questions = sorted({line.split("\t")[0].strip() for line in lines if line.strip()})
    return rng.sample(questions, count)


def evaluate(rankings: Sequence[Sequence[int]], queries: Sequence[Query]) -> Scores:
    """Recall@1, Recall@3 and MRR@10 of ranked entry ids against the expected ids."""
    r1 = r3 = rr = 0.0
    for ranking, query in zip(rankings, queries, strict=True):
        top = list(ranking[:10])
        if query.expected in top:
            position = top.index(query.expected)
            rr += 1.0 / (position + 1)
            r1 += position == 0
            r3 += position < 3
    n = max(len(queries), 1)
    return Scores(r1 / n, r3 / n, rr / n, len(queries))


def write_section(name: str, markdown: str, path: Path = DOCS_FILE) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` markers."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    replaced, count = pattern.subn(lambda _: block, text)
    text = replaced if count else text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (also readable as plain text on a terminal)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


SERVER_STARTUP_SECONDS = 300.0  # Kiwi, and the e5 model when semantic search is on


def log_tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-5000:]


async def wait_until_ready(ready_url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    """Polls the server's /readyz; a server that exits or never gets ready fails with its log."""
    deadline = time.monotonic() + SERVER_STARTUP_SECONDS
    async with httpx.AsyncClient(timeout=5) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{log_tail(log)}")
            try:
                if (await http.get(ready_url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server not ready in {SERVER_STARTUP_SECONDS:.0f} s:\n{log_tail(log)}")


async def stop_server(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL after 30 s."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=30)
    except TimeoutError:
        process.kill()
        await process.wait()
