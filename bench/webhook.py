"""Webhook throughput: a bare FastAPI endpoint versus the full signed webhook path, in the
same uvicorn process (1 worker), at 32 concurrent connections, driven by wrk.

    python -m bench.webhook [--duration 10] [--backends sqlite,postgresql] [--workers 1,2]

Each webhook request is a new texter (new phone number, unique MessageSid), signed with the
twilio package's RequestValidator. Needs `wrk` (Debian: apt-get install wrk) and, for the
PostgreSQL half, a server at TURNOUT_BENCH_POSTGRES_URL (default: postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from bench.scratch import scratch_database
from bot.db import make_engine
from bot.migrate import upgrade
from bot.models import InboundMessage
from scheduler.cli import event_loop

TOKEN = "bench-auth-token-0123456789abcdef"
RESULTS = Path(__file__).parent / "results"
LUA = """
local lines, counter = {}, 0
local tid = 0
function setup(thread)
  thread:set("id", tid)
  tid = tid + 1
end
function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if i % n == id then lines[#lines + 1] = line end
    i = i + 1
  end
end
function request()
  counter = counter + 1
  local line = lines[(counter - 1) % #lines + 1]
  local sig, body = line:match("([^\\t]*)\\t(.*)")
  return wrk.format("POST", "/twilio/messages", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = sig}, body)
end
"""
FIRST_MESSAGES = [
    "Hi, where do I vote?",
    "¿Dónde voto?",
    "我在哪里投票？",
    "Tôi bỏ phiếu ở đâu?",
    "어디서 투표해요?",
    "Saan po ako boboto?",
    "hello",
    "Am I registered to vote?",
]


@dataclass
class Run:
    """One wrk run's figures."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _found(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """The first match of `pattern` in wrk's output, which must have it."""
    match = re.search(pattern, text, flags)
    if match is None:
        raise RuntimeError(f"no {pattern!r} in wrk's output:\n{text}")
    return match


def _ms(value: str) -> float:
    number, unit = _found(r"^([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _wrk(
    url: str, duration: int, connections: int, script: Path | None, env: dict[str, str]
) -> Run:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, env=env, check=True).stdout
    if os.environ.get("BENCH_DEBUG"):
        print(out)
    rps = float(_found(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(_found(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(_found(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(_found(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    return Run(rps, p50, p99, total, errors)


def _requests_file(path: Path, port: int, count: int, start: int) -> None:
    url = f"http://127.0.0.1:{port}/twilio/messages"
    validator = RequestValidator(TOKEN)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(start, start + count):
            fields = {
                "MessageSid": f"SM{i:032x}",
                "AccountSid": "AC" + "0" * 32,
                "From": f"+1213{i % 10_000_000:07d}",
                "To": "+15005550006",
                "Body": FIRST_MESSAGES[i % len(FIRST_MESSAGES)],
                "NumMedia": "0",
            }
            fh.write(f"{validator.compute_signature(url, fields)}\t{urlencode(fields)}\n")


def _database(backend: str, workdir: Path) -> str:
    return scratch_database(backend, workdir, "turnout_bench")


def _serve(url: str, port: int, loop: str, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.webhook_app:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            loop,
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=Path(__file__).parent.parent,
    )
    for _ in range(1200):  # a busy machine takes a while to start several workers
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the benchmark server did not start")


def _median(runs: list[Run]) -> Run:
    """The run with the median throughput (its own latencies, not a mix of runs)."""
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def bench_backend(
    backend: str, duration: int, connections: int, rounds: int, workdir: Path, workers: int = 1
) -> dict[str, Run]:
    """Bare endpoint and full webhook path, alternating `rounds` times against one database
    (this machine's throughput drifts by a fifth over minutes: alternating keeps the ratio
    honest); each path's median round is reported."""
    url = _database(backend, workdir)
    engine = make_engine(url)
    upgrade(engine)
    port = _free_port()
    server = _serve(url, port, event_loop(engine), workers)  # as `turnout serve` runs it
    base = f"http://127.0.0.1:{port}"
    requests = workdir / "req.tsv"
    env = {**os.environ, "BENCH_THREADS": "2", "BENCH_REQUESTS": str(requests)}
    script = workdir / "signed.lua"
    script.write_text(LUA, encoding="utf-8")
    runs: dict[str, list[Run]] = {"bare": [], "full": []}
    try:
        _wrk(f"{base}/bare", 2, connections, None, env)  # warm-up
        _requests_file(requests, port, 2000, 9_000_000)  # numbers no round uses
        _wrk(base, 2, connections, script, env)  # warm-up on other numbers
        sent = 0
        for _ in range(rounds):
            runs["bare"].append(_wrk(f"{base}/bare", duration, connections, None, env))
            count = int(runs["bare"][-1].rps * duration * 1.2) + 1000
            _requests_file(requests, port, count, sent)  # new texters every round
            runs["full"].append(_wrk(base, duration, connections, script, env))
            sent += count
    finally:
        server.terminate()
        server.wait(timeout=30)
    with Session(engine) as s:
        stored = s.scalar(select(func.count()).select_from(InboundMessage)) or 0
    engine.dispose()
    answered = sum(r.requests for r in runs["full"])
    print(f"{backend}: {stored} inbound rows stored for {answered} requests (+ warm-up)")
    return {name: _median(found) for name, found in runs.items()}


def main() -> None:
    """Run the benchmark and print a Markdown table (also written to bench/results/)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--workers", default="1", help="web worker counts to run, e.g. 1,2 (PostgreSQL only)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    rows = [
        "| database | workers | path | requests/s | p50 ms | p99 ms | errors | ratio to bare |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            counts = [int(n) for n in args.workers.split(",")] if backend != "sqlite" else [1]
            for workers in counts:
                runs = bench_backend(
                    backend, args.duration, args.connections, args.rounds, Path(tmp), workers
                )
                for name, run in runs.items():
                    ratio = run.rps / runs["bare"].rps
                    rows.append(
                        f"| {backend} | {workers} | {name} | {run.rps:,.0f} | {run.p50_ms:.1f} | "
                        f"{run.p99_ms:.1f} | {run.errors} | {ratio:.2f} |"
                    )
    table = "\n".join(rows)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "webhook.md").write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
