"""Kiwi with and without its multi-word dictionary: load time, memory, tokens and ranking.

The app loads Kiwi with ``load_multi_dict=False`` (``gogaek.korean.analyzer``); this measures
what that buys and what it changes. Each configuration is loaded in a fresh interpreter (load
time and peak RSS), then both analyse the same texts, and the lexical engine ranks the demo
pay-app set, the three FAQ sets and paraKQC with each.

    .venv/bin/python benchmarks/kiwi_dictionary.py [--eval-dir ../shared/eval] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from kiwipiepy import Kiwi

import gogaek.korean.analyzer as analyzer
from common import (
    DEFAULT_EVAL_DIR,
    HELD_OUT_SETS,
    TUNING_SETS,
    Query,
    evaluate,
    load_faq_set,
    load_parakqc,
    load_paycenter,
    table,
    write_section,
)
from gogaek.search.documents import SearchDocument
from gogaek.search.engine import SearchEngine

LOAD_PROBE = """
import json, resource, sys, time
from kiwipiepy import Kiwi
started = time.perf_counter()
Kiwi(load_multi_dict={multi}).tokenize("송금이 안돼요")
print(json.dumps({{"seconds": time.perf_counter() - started,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
CONFIGS = {"with the multi-word dictionary": True, "without it (the app)": False}


def load_cost(multi: bool) -> dict[str, float]:
    probe = subprocess.run(
        [sys.executable, "-c", LOAD_PROBE.format(multi=multi)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(probe.stdout))


def sets(eval_dir: Path) -> dict[str, tuple[list[SearchDocument], list[Query]]]:
    found = {"demo pay app": load_paycenter()}
    found |= {name: load_faq_set(name) for name in (*TUNING_SETS, *HELD_OUT_SETS)}
    found["paraKQC"] = load_parakqc(eval_dir)
    return found


def lexical_scores(documents: Sequence[SearchDocument], queries: Sequence[Query]) -> tuple[float, float]:
    engine = SearchEngine()
    engine.rebuild(documents)
    scores = evaluate([[hit.document.id for hit in engine.search(q.text, 10)] for q in queries], queries)
    return scores.recall_at_1, scores.mrr_at_10


def ranking_with(multi: bool, eval_dir: Path) -> dict[str, list[float]]:
    """The lexical ranking of every set, in a fresh interpreter whose shared Kiwi is built with or
    without the dictionary (no analysis cached by the other configuration can leak in)."""
    command = [sys.executable, __file__, "--eval-dir", str(eval_dir), "--rank", "multi" if multi else "plain"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def rank_here(multi: bool, eval_dir: Path) -> None:
    """``--rank``: make the app's Kiwi load the dictionary or not, rank every set, print JSON."""
    if multi:
        setattr(analyzer, "Kiwi", lambda **options: Kiwi(**{**options, "load_multi_dict": True}))  # noqa: B010
    scores = {name: list(lexical_scores(*data)) for name, data in sets(eval_dir).items()}
    print(json.dumps(scores))


def token_differences(texts: Sequence[str]) -> int:
    kiwis = [Kiwi(load_multi_dict=multi) for multi in CONFIGS.values()]
    analysed = [[[(t.form, str(t.tag)) for t in k.tokenize(text)] for text in texts] for k in kiwis]
    return sum(a != b for a, b in zip(*analysed, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--rank", choices=("multi", "plain"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank:
        rank_here(args.rank == "multi", args.eval_dir)
        return
    loads = {name: load_cost(multi) for name, multi in CONFIGS.items()}
    load_rows = [[name, f"{c['seconds']:.2f}", f"{c['rss_mb']:.0f}"] for name, c in loads.items()]
    texts = [
        text
        for documents, queries in sets(args.eval_dir).values()
        for text in [*(d.question for d in documents), *(q.text for q in queries)]
    ]
    rankings = [ranking_with(multi, args.eval_dir) for multi in CONFIGS.values()]
    rank_rows = [[name, *(f"{r[name][0]:.4f} / {r[name][1]:.4f}" for r in rankings)] for name in rankings[0]]
    body = (
        "## Kiwi's multi-word dictionary\n\n"
        "Command: `.venv/bin/python benchmarks/kiwi_dictionary.py --write-docs`. Load: a fresh "
        "interpreter per row (load and one analysis; peak RSS of that process).\n\n"
        + table(["Kiwi", "load s", "peak RSS MB"], load_rows)
        + f"\n\nTokens (form and tag) differ for {token_differences(texts):,} of {len(texts):,} texts "
        "(questions and queries of the sets below).\n\nLexical engine, R@1 / MRR@10:\n\n"
        + table(["set", *CONFIGS], rank_rows)
        + "\n"
    )
    print(body)
    if args.write_docs:
        write_section("kiwi_dictionary", body)


if __name__ == "__main__":
    main()
