"""Throughput with wrk: a native load generator, so the client is not what limits the rate.

A Python client tops out at a few hundred requests per second on these cores, which hid how far
the bare framework really goes and so the true Gogaek/bare ratio. wrk runs one thread
(``-t1``) against one server; the Lua script this module writes rotates the customers' bearer
tokens, sends a fresh ``Idempotency-Key`` with every POST and counts every answer whose status
is not the expected one (wrk's own "Non-2xx or 3xx" line would let a 200 replay pass for a 201).
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_SECONDS = 30  # wrk's default (2 s) would turn a slow write into a "timeout" instead of a latency
MISSING_WRK = (
    "wrk is not on PATH: install the Debian package wrk (`apt-get install wrk`, or `scripts/setup.sh test`). "
    "The throughput rows need a native load generator; there is no Python fallback."
)
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_UNEXPECTED = re.compile(r"^gogaek-unexpected: (\d+)$", re.MULTILINE)
_FIRST = re.compile(r"^gogaek-first: (.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One timed wrk run as wrk reported it, plus the client's own CPU use."""

    requests: int
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    failures: int  # socket errors + answers with another status than expected
    client_cpu: float  # wrk's CPU seconds / wall seconds: near 1.0 means one core was the client's limit
    first_failure: str | None = None


def wrk_binary() -> str:
    """wrk's path; exits with how to install it, never falling back to a Python client."""
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(MISSING_WRK)
    return found


def lua_string(value: str) -> str:
    """A Lua string literal of ``value``'s UTF-8 bytes (non-ASCII and quotes as ``\\ddd``)."""
    safe = (chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in value.encode())
    return '"' + "".join(safe) + '"'


def write_script(
    path: Path,
    method: str,
    target: str,
    tokens: Sequence[str],
    expected: int,
    bodies: Sequence[Mapping[str, str]] = (),
    targets: Sequence[str] = (),
) -> Path:
    """The Lua script for one kind of request; POSTs rotate ``bodies``, JSON objects with a "body".

    GETs rotate ``targets`` (paths with their query strings) when given, else all go to ``target``:
    the search benchmark sends thousands of distinct queries so no server cache answers them.

    Each POST gets ``Idempotency-Key: <run>-<thread>-<n>`` (the run prefix is a fresh argument
    per wrk process), and the key goes into the body too, so a reused key would be answered
    with a replay or a conflict, both counted as failures.
    """
    if method == "POST" and not bodies:
        raise ValueError("a POST script needs bodies")
    # "body" goes last and loses its closing "}: the Lua appends the key to it and closes the object.
    prefixes = [
        json.dumps({**{k: v for k, v in body.items() if k != "body"}, "body": body["body"]}, ensure_ascii=False)[:-2]
        for body in bodies
    ]
    lua = f"""-- Written by benchmarks/wrk_load.py for one benchmark run.
local method, target, expected = {lua_string(method)}, {lua_string(target)}, {expected}
local tokens = {{{", ".join(lua_string(f"Bearer {token}") for token in tokens)}}}
local bodies = {{{", ".join(lua_string(prefix) for prefix in prefixes)}}}
local targets = {{{", ".join(lua_string(path) for path in targets)}}}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  run, sent, unexpected, first = args[1], 0, 0, nil
end

function request()
  sent = sent + 1
  local headers = {{Authorization = tokens[(sent + id * 7919) % #tokens + 1]}}
  if method ~= "POST" then
    return wrk.format(method, #targets > 0 and targets[sent % #targets + 1] or target, headers, nil)
  end
  local key = run .. "-" .. id .. "-" .. sent
  headers["Idempotency-Key"] = key
  headers["Content-Type"] = "application/json"
  local body = bodies[sent % #bodies + 1] .. " (#" .. key .. ")\\""
  if sent % 3 == 0 then
    body = body .. string.format(",\\"transaction_ref\\":\\"T%011d\\"", sent)
  end
  return wrk.format(method, target, headers, body .. "}}")
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if first == nil then
      first = status .. " " .. string.sub(body, 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local count, sample = 0, nil
  for _, thread in ipairs(threads) do
    count = count + thread:get("unexpected")
    sample = sample or thread:get("first")
  end
  io.write("gogaek-unexpected: " .. count .. "\\n")
  if sample then
    io.write("gogaek-first: " .. string.gsub(sample, "%s+", " ") .. "\\n")
  end
end
"""
    path.write_text(lua, encoding="utf-8")
    return path


def parse(output: str, client_cpu: float) -> WrkResult:
    """wrk's ``--latency`` report (and the script's ``done`` lines) as numbers."""
    requests, per_second, unexpected = _REQUESTS.search(output), _PER_SECOND.search(output), _UNEXPECTED.search(output)
    if requests is None or per_second is None or unexpected is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    percentiles = {int(p): float(value) * _UNITS_MS[unit] for p, value, unit in _PERCENTILE.findall(output)}
    socket_errors = _SOCKET_ERRORS.search(output)
    first = _FIRST.search(output)
    return WrkResult(
        requests=int(requests.group(1)),
        per_second=float(per_second.group(1)),
        p50_ms=percentiles[50],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        failures=int(unexpected.group(1)) + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
        client_cpu=client_cpu,
        first_failure=first.group(1) if first else None,
    )


async def run_wrk(url: str, script: Path, connections: int, seconds: int) -> WrkResult:
    """One wrk process. Its CPU time is the RUSAGE_CHILDREN delta around it: the benchmark runs
    one thing at a time, so no other child of this process ends (and is counted) meanwhile."""
    command = [
        wrk_binary(),
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={TIMEOUT_SECONDS}s",
        "--latency",
        f"--script={script}",
        url,
        uuid.uuid4().hex[:12],  # the run prefix of every Idempotency-Key
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise RuntimeError(f"wrk exited with {process.returncode}: {(err + out).decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return parse(out.decode("utf-8", errors="replace"), cpu / wall)


async def throughput(url: str, script: Path, connections: int, seconds: int, warmup_seconds: int) -> WrkResult:
    """An untimed warm-up run (connections, the server's first-use costs), then the timed one."""
    await run_wrk(url, script, connections, warmup_seconds)
    return await run_wrk(url, script, connections, seconds)
