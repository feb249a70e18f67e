"""Keeps benchmarks/workers_scaling.py and process_memory.py from rotting: parsing and rendering
on made-up numbers, /proc reading on this process, and one tiny real multi-process server.

It checks what the scripts measure and report, never how fast or how big anything was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

# benchmarks/ is a folder of scripts that import each other by bare name, not a package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import process_memory
import workers_scaling
from wrk_load import WrkResult

SMAPS_ROLLUP = """55d0c0a00000-7ffd6b5f2000 ---p 00000000 00:00 0                          [rollup]
Rss:              204800 kB
Pss:              102400 kB
Pss_Anon:          90000 kB
Shared_Clean:     100000 kB
Private_Clean:      4096 kB
Private_Dirty:     98304 kB
Swap:                  0 kB
"""


def _wrk(per_second: float, failures: int = 0) -> WrkResult:
    first = "500 boom" if failures else None
    return WrkResult(int(per_second * 10), per_second, 5.0, 9.0, 20.0, failures, 0.4, first)


def _run(workers: int, post: float, failures: int = 0) -> workers_scaling.Run:
    bare = _wrk(1000.0 * workers)
    return workers_scaling.Run(workers, bare, bare, _wrk(post, failures), _wrk(post * 2), 3.5, {})


def test_worker_counts_are_sorted_distinct_and_always_include_one() -> None:
    assert workers_scaling.parse_counts("4,2") == (1, 2, 4)
    assert workers_scaling.parse_counts("1, 2,2,") == (1, 2)
    for wrong in ("", "0,2", "-1"):
        with pytest.raises(ValueError, match="positive integers"):
            workers_scaling.parse_counts(wrong)


def test_scaling_is_against_one_worker_and_the_ratio_against_bare_at_the_same_count() -> None:
    report = workers_scaling.BackendScaling("postgres", "16.4", 10_000, (_run(1, 100.0), _run(2, 170.0, failures=3)))
    machine = workers_scaling.Machine(2, "Some CPU", (1.5, 1.0, 0.5), (2.5, 2.0, 1.0))

    body = workers_scaling.render([report], workers_scaling.Options(workers=(1, 2)), machine, "workers_scaling.py")

    row = next(line for line in body.splitlines() if line.startswith("| 2 | Gogaek POST"))
    assert "| 170 |" in row and "| 0.09× |" in row and "| 1.70× |" in row and "| 3 |" in row
    assert "| 2 | bare POST | 2,000 |" in body and "| 2.00× |" in body  # bare scales against bare
    assert "2 cores (`nproc`), Some CPU" in body and "before the run\n1.50, after 2.50" in body
    assert "×1 3.5 s, ×2 3.5 s" in body
    assert "- postgres ×2 POST: 3 failed, first: `500 boom`" in body
    assert "2 workers: 1.70× one worker (the target is ≥ 1.7× on a machine with ≥ 4 cores; met)" in body


def test_the_target_is_not_judged_on_fewer_cores_than_it_asks_for() -> None:
    report = workers_scaling.BackendScaling("postgres", "16.4", 10_000, (_run(1, 100.0), _run(2, 130.0)))
    assert "1.30× one worker" in workers_scaling.target_note([report], 2)
    assert "not judged here: 2 cores" in workers_scaling.target_note([report], 2)
    assert "**not met**" in workers_scaling.target_note([report], 8)
    sqlite_only = workers_scaling.BackendScaling("sqlite", "3.40", 10_000, report.runs)
    assert workers_scaling.target_note([sqlite_only], 8) == ""


def test_cpu_model_comes_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n", encoding="utf-8")
    assert workers_scaling.cpu_model(cpuinfo) == "AMD EPYC 7B13"
    assert workers_scaling.cpu_model(tmp_path / "missing") == "unknown"


def test_smaps_rollup_gives_rss_pss_and_private_pages_in_bytes() -> None:
    memory = process_memory.parse_smaps_rollup(SMAPS_ROLLUP)
    assert memory == process_memory.Memory(rss=200 * 2**20, pss=100 * 2**20, uss=100 * 2**20)


def test_this_process_and_its_children_are_read_from_proc() -> None:
    own = process_memory.memory_of(os.getpid())
    assert 0 < own.uss <= own.rss and 0 < own.pss <= own.rss
    with subprocess.Popen(["sleep", "30"]) as child:
        try:
            assert child.pid in process_memory.children_of(os.getpid())
            # Right after the fork the child has not exec'd yet: its command line is empty or ours.
            deadline = time.monotonic() + 10
            while process_memory.command_line(child.pid) != "sleep 30 " and time.monotonic() < deadline:
                time.sleep(0.01)
            assert process_memory.command_line(child.pid) == "sleep 30 "
        finally:
            child.kill()


def test_children_of_the_supervisor_are_told_apart_by_their_command_line() -> None:
    spawned = "python -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=7, pipe_handle=9)"
    assert process_memory.child_role(spawned) == "web process"
    assert process_memory.child_role("python -B -c from multiprocessing.resource_tracker import main;main(6)") == (
        "resource tracker"
    )
    assert process_memory.child_role("sleep 30") == "other"


def test_memory_report_totals_the_processes_and_compares_fork_with_spawn() -> None:
    mib = 2**20
    web = process_memory.ProcessMemory("web process", process_memory.Memory(300 * mib, 250 * mib, 200 * mib))
    supervisor = process_memory.ProcessMemory("supervisor", process_memory.Memory(60 * mib, 40 * mib, 30 * mib))
    run = process_memory.ServeRun(2, 12.5, (supervisor, web, web))
    children = (process_memory.Memory(400 * mib, 150 * mib, 100 * mib),) * 2
    fork = process_memory.Prototype("fork", process_memory.Memory(400 * mib, 200 * mib, 10 * mib), children)
    component = process_memory.Component("kiwi", 1.2, 95 * mib)
    machine = workers_scaling.Machine(2, "Some CPU", (1.0, 1.0, 1.0))

    body = process_memory.render(30.0, [run], [component], [fork], machine, "process_memory.py")

    assert "| 2 | **total** | 660 | 540 | 430 | 12.5 s |" in body
    assert "| Kiwi (kiwipiepy, no multi-word dictionary) | 1.2 s | 95 |" in body
    assert "| 2 | fork after loading, `gc.freeze()` | 200 | 150 | 100 | 500 |" in body
    assert fork.total_pss == 500 * mib and "took 30.0 s" in body


@pytest.mark.integration
async def test_a_bare_server_with_two_workers_is_ready_and_has_two_web_processes(tmp_path: Path) -> None:
    port = workers_scaling.free_port()
    command = workers_scaling.bare_command(port, 2)
    async with workers_scaling.served(command, port, 2, {}, tmp_path, "bare") as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (
                await http.post("/inquiries", json={"category": "x", "title": "제목", "body": "내용"})
            ).status_code == 201
        roles = process_memory.process_roles(server.pid, 2)
    assert [role for role, _ in roles].count("web process") == 2 and roles[0] == ("supervisor", server.pid)
    assert server.ready_seconds > 0
