"""Search latency, build time and memory at 1,000 and 20,000 articles, on one core.

Articles: the demo FAQ plus synthetic ones whose questions and alternates are paraKQC
sentences and whose answers and tags are borrowed from the demo FAQ. Queries: the pay-app
query set plus paraKQC paraphrases. The whitespace BM25 baseline is timed in the same run.

    .venv/bin/python benchmarks/search_latency.py [--eval-dir ../shared/eval] [--write-docs]
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one e5 thread: stable timings on shared cores

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from baselines import BM25, whitespace_tokens
from common import (
    DEFAULT_EVAL_DIR,
    DEMO_FAQ,
    PAYCENTER_QUERIES,
    evaluate,
    load_parakqc,
    load_paycenter,
    table,
    write_section,
)
from gogaek.search import index as index_module
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchEngine
from gogaek.search.index import phrasings_of, whole_text
from gogaek.search.semantic import MODELS, text_key

SIZES = (1_000, 20_000)
QUERY_COUNT = 400
MODEL_TYPES = ("default", "cong", "cong-global", "largest")
SEED = 20240601


@dataclass(frozen=True, slots=True)
class Timing:
    p50_ms: float
    p95_ms: float
    cpu_p50_ms: float
    cpu_p95_ms: float


def percentiles(run: Callable[[str], object], queries: Sequence[str]) -> Timing:
    """Median and 95th percentile of one call per query, after one warm-up call, in wall
    time and in CPU time of this process (which other busy processes do not inflate)."""
    run(queries[0])
    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        run(query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return Timing(*_p50_p95(wall), *_p50_p95(cpu))


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def corpus(size: int, eval_dir: Path) -> list[SearchDocument]:
    """The demo FAQ followed by synthetic articles up to ``size``."""
    demo, _ = load_paycenter(DEMO_FAQ, PAYCENTER_QUERIES)
    sentences = _parakqc_sentences(eval_dir)
    rng = random.Random(SEED)
    documents = list(demo[:size])
    while len(documents) < size:
        number = len(documents)
        block = rng.randrange(len(sentences) // 10) * 10
        picks = rng.sample(range(block, block + 10), 3)
        template = demo[number % len(demo)]
        documents.append(
            SearchDocument(
                number,
                None,
                sentences[picks[0]],
                (sentences[picks[1]], sentences[picks[2]]),
                template.tags,
                template.answer,
                template.category,
            )
        )
    return documents


def _parakqc_sentences(eval_dir: Path) -> list[str]:
    documents, queries = load_parakqc(eval_dir)
    by_block: dict[int, list[str]] = {d.id: [d.question] for d in documents}
    for query in queries:
        by_block[query.expected].append(query.text)
    return [s for block in sorted(by_block) for s in by_block[block]]


def query_sample(eval_dir: Path) -> list[str]:
    """Pay-app queries and paraKQC paraphrases, shuffled with a fixed seed."""
    _, pay = load_paycenter(DEMO_FAQ, PAYCENTER_QUERIES)
    _, para = load_parakqc(eval_dir)
    rng = random.Random(SEED)
    texts = [q.text for q in pay] + [q.text for q in rng.sample(para, QUERY_COUNT)]
    rng.shuffle(texts)
    return texts[:QUERY_COUNT]


def prefixes(queries: Sequence[str]) -> list[str]:
    """What a customer has typed after 2 to 6 characters."""
    rng = random.Random(SEED)
    return [q[: rng.randint(2, 6)] for q in queries]


def fake_vectors(documents: Sequence[SearchDocument]) -> dict[str, bytes]:
    """Random unit vectors for every phrasing and whole article of every model, to time
    semantic queries at 20,000 articles without spending most of an hour embedding them
    (query cost does not depend on vector values)."""
    rng = np.random.default_rng(SEED)
    cache: dict[str, bytes] = {}
    for document in documents:
        for text in (*phrasings_of(document), whole_text(document)):
            for spec in MODELS:
                vector = rng.standard_normal(spec.dim).astype(np.float32)
                cache[text_key(text, spec)] = (vector / np.linalg.norm(vector)).tobytes()
    return cache


def timed_background_build(engine: SearchEngine, documents: Sequence[SearchDocument]) -> str:
    """A cold build as the app runs it after an import: searchable with what fits in the
    synchronous budget first, the rest attached by a background thread. Wall seconds to each."""
    index_module.forget_prepared()  # a fresh process has prepared nothing yet
    started = time.perf_counter()
    engine.rebuild(documents, background=True)
    searchable = time.perf_counter() - started
    engine.wait_until_complete()
    return f"searchable {searchable:.1f} s, e5 done {time.perf_counter() - started:.1f} s"


def timed_build(engine: SearchEngine, documents: Sequence[SearchDocument]) -> str:
    """Wall-clock and CPU seconds of a full rebuild."""
    started, started_cpu = time.perf_counter(), time.process_time()
    engine.rebuild(documents)
    return f"{time.perf_counter() - started:.1f} / {time.process_time() - started_cpu:.1f} s"


def measure_size(size: int, eval_dir: Path, queries: list[str], semantic: bool) -> list[list[str]]:
    """Rows for one corpus size: baseline, lexical search, autocomplete, hybrid search."""
    documents = corpus(size, eval_dir)
    rows = []
    started, started_cpu = time.perf_counter(), time.process_time()
    baseline = BM25([" ".join([d.question, *d.alternates, d.answer]) for d in documents], whitespace_tokens)
    base_build = f"{time.perf_counter() - started:.1f} / {time.process_time() - started_cpu:.1f} s"
    base = percentiles(baseline.rank, queries)
    rows.append(_row(size, "whitespace BM25 (baseline)", base_build, base, base))
    lexical = SearchEngine()
    build = timed_build(lexical, documents)
    rows.append(_row(size, "Gogaek lexical search", build, percentiles(lexical.search, queries), base))
    typed = prefixes(queries)
    rows.append(_row(size, "Gogaek suggest (autocomplete)", None, percentiles(lexical.suggest, typed), base))
    if semantic:
        cold = size <= SIZES[0]
        cache = {} if cold else fake_vectors(documents)
        hybrid = SearchEngine(semantic=True, embedding_cache=cache)
        build = timed_background_build(hybrid, documents) if cold else timed_build(hybrid, documents)
        label = "Gogaek hybrid search (+ e5, USE)" + ("" if cold else ", vectors pre-cached")
        rows.append(_row(size, label, build, percentiles(hybrid.search, queries), base))
        if cold:
            rows.append(_row(size, "  same, rebuild with warm cache", timed_build(hybrid, documents), None, base))
    print("\n".join(" | ".join(r) for r in rows), flush=True)
    return rows


def _row(size: int, name: str, build: str | None, timing: Timing | None, base: Timing) -> list[str]:
    build_text = build or "–"
    if timing is None:
        return [f"{size:,}", name, build_text, "–", "–", "–", "–", "–"]
    return [
        f"{size:,}",
        name,
        build_text,
        f"{timing.p50_ms:.2f}",
        f"{timing.p95_ms:.2f}",
        f"{timing.cpu_p50_ms:.2f}",
        f"{timing.cpu_p95_ms:.2f}",
        f"{timing.cpu_p95_ms / base.cpu_p95_ms:.1f}×",
    ]


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM). Not ``ru_maxrss``: Linux carries the
    parent's peak across ``exec``, so a child would report the benchmark's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_report(mode: str, eval_dir: Path) -> dict[str, float]:
    """Run in a fresh process: Kiwi load cost and quality, or RSS of a loaded engine."""
    started = time.perf_counter()
    if mode.startswith("kiwi:"):
        from gogaek.korean import get_kiwi

        model_type = mode.split(":", 1)[1]
        get_kiwi(None if model_type == "default" else model_type)
        load = time.perf_counter() - started
        rss = peak_rss_mb()
        documents, queries = load_parakqc(eval_dir)
        engine = SearchEngine(kiwi_model_type=None if model_type == "default" else model_type)
        engine.rebuild(documents)
        rankings = [[h.document.id for h in engine.search(q.text)] for q in queries]
        scores = evaluate(rankings, queries)
        return {"load_s": load, "rss_mb": rss, "r1": scores.recall_at_1, "mrr": scores.mrr_at_10}
    size = int(mode.split(":")[1])
    semantic = mode.startswith("hybrid")
    documents = corpus(size, eval_dir)
    engine = SearchEngine(semantic=semantic, embedding_cache=fake_vectors(documents) if semantic else None)
    engine.rebuild(documents)
    engine.search("송금 한도")
    return {"rss_mb": peak_rss_mb()}


def in_child(mode: str, eval_dir: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--eval-dir", str(eval_dir), "--child", mode]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def memory_rows(eval_dir: Path, semantic: bool) -> list[list[str]]:
    modes = [f"lexical:{size}" for size in SIZES]
    modes += [f"hybrid:{size}" for size in SIZES] if semantic else []
    rows = []
    for mode in modes:
        kind, size = mode.split(":")
        rows.append([f"{int(size):,}", kind, f"{in_child(mode, eval_dir)['rss_mb']:.0f} MB"])
        print(rows[-1], flush=True)
    return rows


def kiwi_rows(eval_dir: Path) -> list[list[str]]:
    rows = []
    for model_type in MODEL_TYPES:
        try:
            report = in_child(f"kiwi:{model_type}", eval_dir)
        except subprocess.CalledProcessError as error:
            rows.append([model_type, "fails to load", error.stderr.strip().splitlines()[-1], "", ""])
            continue
        rows.append(
            [
                model_type,
                f"{report['load_s']:.2f} s",
                f"{report['rss_mb']:.0f} MB",
                f"{report['r1']:.3f}",
                f"{report['mrr']:.3f}",
            ]
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cores", type=int, default=1, help="CPU cores to pin to (default 1)")
    args = parser.parse_args()
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    if args.child:
        print(json.dumps(child_report(args.child, args.eval_dir)))
        return
    semantic = SearchEngine(semantic=True).semantic
    queries = query_sample(args.eval_dir)
    timing = [row for size in SIZES for row in measure_size(size, args.eval_dir, queries, semantic)]
    memory = memory_rows(args.eval_dir, semantic)
    kiwi = kiwi_rows(args.eval_dir)
    body = report(args.cores, timing, memory, kiwi)
    print("\n" + body)
    if args.write_docs:
        write_section("search_latency", body)


def report(cores: int, timing: list[list[str]], memory: list[list[str]], kiwi: list[list[str]]) -> str:
    command = "`.venv/bin/python benchmarks/search_latency.py --write-docs`"
    return (
        "## Search latency and memory\n\n"
        f"Command: {command}; pinned to {cores} core(s), one process, {QUERY_COUNT} queries.\n"
        "Targets: lexical p95 ≤ 10 ms at 1,000 and ≤ 40 ms at 20,000 articles; hybrid p95 ≤ 60 ms\n"
        "at 1,000; a cold build of 1,000 articles searchable in ≤ 30 s. Wall-clock times suffer from\n"
        "other processes on this shared machine; CPU times (this process only) are what one dedicated\n"
        "core would give. The ratio is CPU p95 against the whitespace BM25 baseline of the same size.\n"
        "Build: wall / CPU seconds; the cold hybrid build runs as the app runs it after an import\n"
        "(searchable once the lexical index is built, since at this size both models' vectors would\n"
        "take more than 5 s; USE and then e5 are attached in the background when done).\n\n"
        + table(
            [
                "articles",
                "path",
                "build (wall / CPU)",
                "p50 ms",
                "p95 ms",
                "CPU p50 ms",
                "CPU p95 ms",
                "CPU p95 / baseline",
            ],
            timing,
        )
        + "\n\nPeak RSS of a fresh process holding a built engine (Kiwi included; hybrid adds\n"
        "the e5 and USE models and their vectors):\n\n"
        + table(["articles", "engine", "peak RSS"], memory)
        + "\n\nKiwi model types (kiwipiepy 0.24): load time and peak RSS in a fresh process, and\n"
        "lexical-engine quality on paraKQC (9,000 queries) with that model:\n\n"
        + table(["model_type", "load", "peak RSS", "paraKQC R@1", "MRR@10"], kiwi)
        + "\n"
    )


if __name__ == "__main__":
    main()
