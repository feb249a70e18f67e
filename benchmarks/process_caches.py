"""What the per-process caches save, measured against the same work without them in one run.

Rows: a search-index rebuild of the demo FAQ with the derived terms kept against derived again
(Kiwi's analyses kept in both, as before this cache); the same rebuild with the typo words filed
again for the new index against the filing shared by the process; a first typo correction after a rebuild;
the memory the kept terms take for a larger FAQ; a second Jinja environment loading every page
template with and without the shared compiled code; and an HTTP client for a webhook delivery
with httpx's own TLS context against the shared one. Medians of several repetitions, one process.

    .venv/bin/python benchmarks/process_caches.py [--write-docs]
"""

import argparse
import gc
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx
from jinja2 import Environment

from common import DEFAULT_EVAL_DIR, DEMO_FAQ, PAYCENTER_QUERIES, load_paycenter, table, write_section
from gogaek.config import Settings
from gogaek.korean import typo
from gogaek.notify.webhooks import tls_context
from gogaek.search import index as index_module
from gogaek.search.engine import SearchEngine
from gogaek.web import templating
from search_latency import corpus

REPEATS = 7


def median_ms(run: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    samples = []
    for _ in range(REPEATS):
        before()
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def fresh_typo_filing() -> None:
    """As before the filing was shared: the next index files every word again (each word's
    bucket keys still kept per process, as they were then)."""
    typo._filings[0] = typo._Filing()


def rebuild_rows() -> list[list[str]]:
    documents, _ = load_paycenter(DEMO_FAQ, PAYCENTER_QUERIES)
    engine = SearchEngine(semantic=False)
    engine.rebuild(documents)  # Kiwi loaded, every text analysed once
    kept = median_ms(lambda: engine.rebuild(documents))
    derived = median_ms(lambda: engine.rebuild(documents), before=index_module._derived.clear)
    refiled = median_ms(lambda: engine.rebuild(documents), before=fresh_typo_filing)
    first = median_ms(lambda: engine.did_you_mean("비밀번허 변경"), before=lambda: engine.rebuild(documents))
    name = f"rebuild, demo FAQ ({len(documents)} articles)"
    return [
        [name, f"{derived:.1f} ms (terms derived again)", f"{kept:.1f} ms (terms kept)", f"{derived / kept:.1f}×"],
        [
            f"{name}, terms kept",
            f"{refiled:.1f} ms (typo words filed again)",
            f"{kept:.1f} ms (typo filing shared)",
            f"{refiled / kept:.1f}×",
        ],
        ["first typo correction after that rebuild", "–", f"{first:.1f} ms", "–"],
    ]


def memory_row() -> list[str]:
    documents = corpus(index_module._derived.size, DEFAULT_EVAL_DIR)
    index_module.forget_prepared()
    engine = SearchEngine(semantic=False)
    tracemalloc.start()
    engine.rebuild(documents)
    gc.collect()
    with_terms = tracemalloc.get_traced_memory()[0]
    index_module._derived.clear()
    gc.collect()
    kept = with_terms - tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    articles = index_module._derived.size
    return [f"kept terms of {articles:,} articles (the bound)", "–", f"{kept / 2**20:.1f} MB", "–"]


def template_row(data_dir: Path) -> list[str]:
    settings = Settings(env="test", data_dir=data_dir)
    names = templating.create_templates(settings).env.list_templates(extensions=["html"])

    def load_all(environment: Environment) -> None:
        for name in names:
            environment.get_template(name)

    def fresh_without_cache() -> None:
        environment = templating.create_templates(settings).env
        environment.bytecode_cache = None
        load_all(environment)

    compiled = median_ms(fresh_without_cache)
    shared = median_ms(lambda: load_all(templating.create_templates(settings).env))
    row = f"a new app's Jinja environment loads {len(names)} templates"
    return [row, f"{compiled:.0f} ms (compiled)", f"{shared:.0f} ms (shared code)", f"{compiled / shared:.0f}×"]


def webhook_client_row() -> list[str]:
    own = median_ms(lambda: httpx.AsyncClient(trust_env=False))
    shared = median_ms(lambda: httpx.AsyncClient(trust_env=False, verify=tls_context()))
    row = "a webhook delivery's HTTP client"
    return [row, f"{own:.1f} ms (httpx's TLS context)", f"{shared:.2f} ms (shared context)", f"{own / shared:.0f}×"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        rows = [*rebuild_rows(), memory_row(), template_row(Path(data_dir)), webhook_client_row()]
    markdown = "\n\n".join(
        [
            "Command: `.venv/bin/python benchmarks/process_caches.py --write-docs`; one process, "
            f"medians of {REPEATS} repetitions; the baseline is the same work without the cache, in the same run.",
            table(["what", "without", "with", "ratio"], rows),
        ]
    )
    print(markdown)
    if args.write_docs:
        write_section("process_caches", markdown)


if __name__ == "__main__":
    main()
