"""Election day on one machine: a blast in four languages going out while voters text at a
constant rate, against `turnout serve` (SQLite, the embedded default) or the production shape
(PostgreSQL: `turnout serve --workers 2 --no-scheduler` and 2 `turnout scheduler`).

    python -m bench.election_day [--db sqlite|postgresql] [--recipients 100000] [--rate 200]
                                 [--pace 100 | --unpaced] [--duration S] [--roll-rows 1000000]

- The Twilio double (`tests.helpers.twilio_double`) in a process of its own: 100 ms latency,
  at most 100 creates in flight (429 past that: a ceiling of 1,000 messages/s), status
  callbacks on, posted to the app's /twilio/status as Twilio posts them.
- The database: migrated, the Maricopa 2020 feed and a synthetic roll of `--roll-rows` imported
  (as `bench.lookups` makes it), `--recipients` contacts on one partner's list in four languages.
- The app's processes are started as an operator starts them, then at t = 0 a blast to the
  whole list is created (due at once); the scheduler starts it on its next tick.
- From t = -`--lead-in` to t = `--duration`, an open-loop client posts signed inbound texts at
  `--rate` a second. Each request has an intended send time (slot / rate); its latency is
  measured from that time, not from when it actually left, so a stalled server (or client)
  counts in full (no coordinated omission). The mix: new texters in ten languages, returning
  texters answering menus (where do I vote with a ZIP or an address, registration checks on
  the roll), blast recipients answering the blast, STOP, HELP, and repeated deliveries of the
  same MessageSid. A returning texter's next message waits `--think` seconds.
- Afterwards: per 10-second window and overall, inbound p50/p99/max, errors and timeouts; the
  blast's messages per window (from the outbox's `sent_at`), its rate against the pace, its
  end; double sends and lost recipients from the double's own log (by `To`); inbound rows
  against the MessageSids answered; CPU of the app's processes and of PostgreSQL, fitted per
  window to CPU = a * inbound + b * sent (a: CPU per inbound message, b: per message sent,
  status callbacks included); the peak RSS of every app process.

Results: a summary on stdout, the JSON in bench/results/election-day-<db>-<stamp>.json, and a
chart (inbound p99 and blast rate over time) at docs/benchmarks/election-day-<db>-<mode>.png
(`--chart` to put it elsewhere, `--no-chart` for none).
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import Engine, func, select, text
from twilio.request_validator import RequestValidator

from bench.blast import (
    ACCOUNT,
    CEILING,
    LIMIT,
    SMS_FROM,
    TEXTS,
    TOKEN,
    Double,
    _cpu_seconds,
    _postgres_cpu,
    open_hours,
    phone,
    populate,
    start_double,
)
from bench.blast import baseline as baseline_client
from bench.scratch import drop_scratch, scratch_database
from bot.clock import utcnow
from bot.db import make_engine
from bot.migrate import upgrade
from bot.sending import sends
from bot.tables import INBOUND, OUTBOX

ROOT = Path(__file__).parent.parent
RESULTS = Path(__file__).parent / "results"
CHARTS = ROOT / "docs" / "benchmarks"
DATABASE = "turnout_bench_election_day"
WINDOW = 10.0  # seconds
FINAL = ("sent", "delivered", "skipped", "failed", "undelivered")  # no more sending to do
TIMEOUT = 10.0  # seconds a request may take before it counts as a timeout
TO = SMS_FROM
FEED = ROOT / "tests" / "data" / "vip" / "sample_feed_v6_maricopa_2020.zip"

# First messages of new texters, ten languages.
FIRST = {
    "en": ["Where do I vote?", "hi", "Am I registered to vote?"],
    "es": ["¿Dónde voto?", "hola", "¿Estoy registrado para votar?"],
    "zh": ["我在哪里投票？", "你好"],
    "vi": ["Tôi bỏ phiếu ở đâu?", "xin chào"],
    "ko": ["어디서 투표해요?", "안녕하세요"],
    "tl": ["Saan po ako boboto?", "kumusta"],
    "th": ["ฉันลงคะแนนที่ไหน", "สวัสดี"],
    "ja": ["どこで投票できますか？", "こんにちは"],
    "hi": ["मैं कहाँ वोट करूँ?", "नमस्ते"],
    "km": ["តើខ្ញុំបោះឆ្នោតនៅឯណា?", "សួស្តី"],
}
GREETING = {
    language: found[-1] if language != "en" else "hello" for language, found in FIRST.items()
}
PLACES = [
    "85004",
    "85003",
    "my address is 85260",
    "7410 E Sutton Dr, Scottsdale AZ 85260",
    "vivo en 1 Main St, Phoenix AZ 85003",
    "200 W Washington St, Phoenix AZ 85003",
]
# (weight, kind) of a new script; repeats of a delivered MessageSid come on top (--duplicates).
MIX = [
    (30, "new"),
    (20, "place"),
    (10, "registration"),
    (25, "recipient"),
    (5, "stop"),
    (5, "help"),
]


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Planned:
    """One request of the load: its slot (intended time = start + slot / rate) and form."""

    slot: int
    kind: str
    sid: str
    body: bytes
    signature: str
    repeat: bool = False


@dataclass
class Answer:
    """What one request got: its intended time (s from t = 0), latency, status."""

    at: float
    done: float
    latency: float
    status: int  # 0: timeout, -1: connection error
    kind: str
    repeat: bool
    sid: str


def _scripts(
    rnd: random.Random, recipients: int, sample: list[tuple[str, str, str, str]]
) -> Iterator[tuple[str, str, list[str]]]:
    """Endless (kind, phone, texts) of election morning."""
    kinds = [kind for weight, kind in MIX for _ in range(weight)]
    texter = 0
    returning: list[str] = []
    while True:
        kind = rnd.choice(kinds)
        texter += 1
        new_phone = f"+1602{3_000_000 + texter:07d}"
        language = rnd.choice(list(FIRST))
        if kind == "new":
            returning.append(new_phone)
            yield kind, new_phone, [rnd.choice(FIRST[language])]
        elif kind == "place":
            yield kind, new_phone, [GREETING[language], "2", rnd.choice(PLACES)]
        elif kind == "registration":
            first, last, dob, zip5 = (
                rnd.choice(sample) if sample else ("Ana", "Cruz", "1980-01-01", "85004")
            )
            yield kind, new_phone, ["hola", "1", f"{first} {last}", dob, zip5]
        elif kind == "recipient" and recipients:
            who = phone(rnd.randrange(recipients))
            yield kind, who, rnd.choice([["2", rnd.choice(PLACES)], ["where do I vote?"], ["MENU"]])
        elif kind == "stop" and returning:
            yield kind, returning.pop(rnd.randrange(len(returning))), ["STOP"]
        else:
            yield "help", new_phone, ["HELP"]


def plan(
    *,
    rate: float,
    seconds: float,
    url: str,
    recipients: int,
    sample: list[tuple[str, str, str, str]],
    think: float,
    duplicates: float,
    seed: int = 15,
) -> list[Planned]:
    """The whole load, one request per slot: a script's next text waits `think` seconds
    (or for the next free slot), a repeat of a delivered SID comes 0.2-2 s after it."""
    rnd = random.Random(seed)
    validator = RequestValidator(TOKEN)
    scripts = _scripts(rnd, recipients, sample)
    due: list[tuple[int, int, Any]] = []  # (slot, order, continuation)
    order = 0
    planned: list[Planned] = []
    sids = 0
    for slot in range(int(rate * seconds)):
        if due and due[0][0] <= slot:
            _, _, item = heapq.heappop(due)
        else:
            kind, who, texts = next(scripts)
            item = (kind, who, texts, 0)
        if isinstance(item, Planned):  # a repeated delivery
            planned.append(Planned(slot, item.kind, item.sid, item.body, item.signature, True))
            continue
        kind, who, texts, k = item
        sids += 1
        fields = {
            "MessageSid": f"SM{0xE1EC710 + sids:032x}",
            "AccountSid": ACCOUNT,
            "From": who,
            "To": TO,
            "Body": texts[k],
            "NumMedia": "0",
        }
        request = Planned(
            slot,
            kind,
            fields["MessageSid"],
            urlencode(fields).encode(),
            validator.compute_signature(url, fields),
        )
        planned.append(request)
        if rnd.random() < duplicates:
            order += 1
            heapq.heappush(due, (slot + int(rate * rnd.uniform(0.2, 2.0)), order, request))
        if k + 1 < len(texts):
            order += 1
            heapq.heappush(due, (slot + int(rate * think), order, (kind, who, texts, k + 1)))
    return planned


async def _fire(
    url: str, planned: list[Planned], rate: float, start: float, answers: list[Answer]
) -> float:
    """Post every planned request at its intended time (open loop); the client's worst lag
    (how late a request left after its intended time)."""
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=1024, force_close=False)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    lag = 0.0
    t0 = loop.time() + max(0.0, start - time.perf_counter())  # `start` on the loop's clock

    async def one(request: Planned, intended: float) -> None:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": request.signature,
        }
        try:
            async with session.post(url, data=request.body, headers=headers) as response:
                await response.read()
                status = response.status
        except TimeoutError:
            status = 0
        except aiohttp.ClientError:
            status = -1
        done = loop.time()
        answers.append(
            Answer(
                intended - t0,
                done - t0,
                done - intended,
                status,
                request.kind,
                request.repeat,
                request.sid,
            )
        )

    tasks: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for request in planned:
            intended = t0 + request.slot / rate
            delay = intended - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag = max(lag, -delay)
            task = loop.create_task(one(request, intended))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
    return lag


# -- the processes ------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    found = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += _descendants(int(child))
    except OSError:
        pass
    return found


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Processes:
    """The app's processes by role, their logs, and the double."""

    double: Double
    roles: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)

    def pids(self) -> dict[str, list[int]]:
        """Every live process of each role (uvicorn's workers under their supervisor)."""
        return {
            role: [pid for p in procs for pid in _descendants(p.pid)]
            for role, procs in self.roles.items()
        }


def _env(url: str, double: Double, port: int, pace: float) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_API_BASE_URL": double.url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TURNOUT_QUIET_HOURS": open_hours(),
        "TURNOUT_SENDER_KIND": "short_code",
        "TURNOUT_SEND_RATE": str(pace),
        "TURNOUT_SEND_CONCURRENCY": str(LIMIT),
    }


def _wait_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited ({process.returncode}); see its log")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the app did not answer /healthz")


@contextmanager
def running(
    backend: str, url: str, port: int, pace: float, workdir: Path, workers: int, schedulers: int
) -> Iterator[Processes]:
    """The double, then the app as an operator runs it; all stopped at the end."""
    double = start_double(callbacks=True)
    procs = Processes(double)
    env = _env(url, double, port, pace)
    turnout = [sys.executable, "-m", "bot.cli.main"]
    logs: list[Any] = []

    def start(role: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (workdir / f"{role}-{len(procs.roles.get(role, []))}.log").open("wb")
        logs.append(log)
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log)
        procs.roles.setdefault(role, []).append(process)
        return process

    try:
        serve = [*turnout, "serve", "--port", str(port)]
        if backend == "sqlite":
            web = start("app", serve)
        else:
            web = start("web", [*serve, "--no-scheduler", "--workers", str(workers)])
            for _ in range(schedulers):
                start("scheduler", [*turnout, "scheduler"])
        _wait_healthy(f"http://127.0.0.1:{port}", web)
        yield procs
    finally:
        for role in procs.roles.values():
            for process in role:
                process.terminate()
        for role in procs.roles.values():
            for process in role:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        double.process.terminate()
        double.process.wait(timeout=30)
        for log in logs:
            log.close()


class CpuSampler:
    """CPU seconds of every process of each role (and PostgreSQL's, and the double's), once a
    second, in a thread."""

    def __init__(self, procs: Processes, postgres: bool) -> None:
        self.procs, self.postgres = procs, postgres
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.peak_mb: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._pg: dict[int, float] = {}

    def sample(self) -> None:
        """One sample now."""
        found: dict[str, float] = defaultdict(float)
        for role, pids in self.procs.pids().items():
            for pid in pids:
                found[role] += _cpu_seconds(pid)
                self.peak_mb[pid] = (role, _peak_rss_mb(pid))
        if self.postgres:
            now = _postgres_cpu()
            self._pg.update(now)  # ended backends keep their last figure
            found["postgresql"] = sum(self._pg.values())
        found["double"] = self.procs.double.cpu()
        self.samples.append((time.time(), dict(found)))

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def __enter__(self) -> CpuSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()


# -- one run --------------------------------------------------------------------------------


def prepare(engine: Engine, recipients: int, roll_rows: int, workdir: Path) -> tuple[int, Any]:
    """Feed, roll and the partner's list; (organization id, a sample of the roll)."""
    from bench.lookups import NOW, write_roll
    from bot.voter.places.importer import import_places
    from bot.voter.roll.loader import import_voters

    upgrade(engine)
    sample: list[tuple[str, str, str, str]] = []
    began = time.perf_counter()
    import_places(engine=engine, path=FEED, now=NOW)
    if roll_rows:
        roll = workdir / "roll.csv"
        sample = write_roll(roll, roll_rows)
        import_voters(engine=engine, path=roll, now=NOW)
        roll.unlink()
    org = populate(engine, "coalition", 0, recipients)
    print(f"prepared in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    return org, sample


def _create_blast(engine: Engine, org: int) -> int:
    now = utcnow()
    row = {
        "kind": "blast",
        "organization_id": org,
        "name": "Election day: polls are open",
        "send_at": now,
        "texts": TEXTS,
        "audience": {"organizations": [org]},
    }
    with engine.begin() as conn:
        return sends.create_send(conn, row, now)


def _blast_done(engine: Engine, send_id: int) -> dict[str, int]:
    o = OUTBOX.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.status, func.count()).where(o.send_id == send_id).group_by(o.status)
        )
        return {str(status): int(n) for status, n in rows}


def _epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def quantile(values: list[float], q: float) -> float:
    """A quantile (inclusive method), 0 for none."""
    if not values:
        return 0.0
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """One election morning; its figures."""
    backend = args.db
    url = scratch_database(backend, workdir, DATABASE)
    engine = make_engine(url)
    pace = 0.0 if args.unpaced else args.pace
    duration = args.duration or (args.recipients / (pace or 900.0) + 5)
    try:
        org, sample = prepare(engine, args.recipients, args.roll_rows, workdir)
        if backend == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        planned = plan(
            rate=args.rate,
            seconds=args.lead_in + duration,
            url=f"{base}/twilio/messages",
            recipients=args.recipients,
            sample=sample,
            think=args.think,
            duplicates=args.duplicates,
        )
        with running(backend, url, port, pace, workdir, args.web_workers, args.schedulers) as procs:
            baseline = (
                baseline_client(procs.double, args.baseline_seconds) if args.baseline else None
            )
            answers: list[Answer] = []
            with CpuSampler(procs, postgres=backend == "postgresql") as cpu:
                result = _election_morning(args, procs, engine, org, planned, base, answers)
                deadline = time.monotonic() + args.drain_timeout
                while time.monotonic() < deadline:  # the blast's rest and its callbacks
                    statuses = _blast_done(engine, result["send_id"])
                    done = sum(statuses.get(name, 0) for name in FINAL)
                    stats = procs.double.stats()
                    called = stats["callbacks_sent"] + stats["callback_failures"]
                    if done >= args.recipients and called >= 2 * stats["created"]:
                        break
                    time.sleep(1)
            at_double = procs.double.stats()
            peaks = dict(cpu.peak_mb)
            samples = cpu.samples
            logs_errors = _log_errors(workdir)
        figures = summarize(
            args, engine, result, answers, at_double, samples, peaks, baseline, pace, duration
        )
        figures["app_log_errors"] = logs_errors
        return figures
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_scratch(DATABASE)


def _log_errors(workdir: Path) -> list[str]:
    found: list[str] = []
    for log in sorted(workdir.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if "ERROR" in line or "Traceback" in line:
                found.append(f"{log.name}: {line[:200]}")
    return found[:20]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _profile(procs: Processes, at: float, seconds: float) -> None:
    """py-spy on every app process from `at` for `seconds` (raw stacks, bench/results/)."""
    time.sleep(max(0.0, at - time.time()))
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    RESULTS.mkdir(exist_ok=True)
    running_spies = []
    for role, pids in procs.pids().items():
        for pid in pids:
            out = RESULTS / f"election-day-profile-{role}-{pid}.txt"
            command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
            command += ["--format", "raw", "--nonblocking", "--threads", "-o", str(out)]
            running_spies.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
    for spy_process in running_spies:
        spy_process.wait()


def _election_morning(
    args: argparse.Namespace,
    procs: Processes,
    engine: Engine,
    org: int,
    planned: list[Planned],
    base: str,
    answers: list[Answer],
) -> dict[str, Any]:
    """The load from t = -lead_in, the blast created at t = 0."""
    start = time.perf_counter() + 1.0
    t0_wall = time.time() + 1.0 + args.lead_in
    created: dict[str, Any] = {}

    def blast_at_zero() -> None:
        time.sleep(max(0.0, t0_wall - time.time()))
        created["send_id"] = _create_blast(engine, org)
        created["created"] = time.time() - t0_wall

    maker = threading.Thread(target=blast_at_zero, name="blast")
    maker.start()
    if args.profile:
        threading.Thread(
            target=_profile, args=(procs, t0_wall + 5.0, args.profile), daemon=True
        ).start()
    print(f"load starts ({len(planned):,} requests)", file=sys.stderr, flush=True)
    lag = asyncio.run(_fire(f"{base}/twilio/messages", planned, args.rate, start, answers))
    maker.join()
    for answer in answers:  # times from the load's start to times from t = 0
        answer.at -= args.lead_in
        answer.done -= args.lead_in
    return {"t0": t0_wall, "client_lag_s": lag, **created}


def _windows(values: list[tuple[float, float]]) -> dict[int, list[float]]:
    found: dict[int, list[float]] = defaultdict(list)
    for at, value in values:
        found[int(at // WINDOW)].append(value)
    return found


def summarize(
    args: argparse.Namespace,
    engine: Engine,
    result: dict[str, Any],
    answers: list[Answer],
    at_double: dict[str, Any],
    samples: list[tuple[float, dict[str, float]]],
    peaks: dict[int, tuple[str, float]],
    baseline: dict[str, Any] | None,
    pace: float,
    duration: float,
) -> dict[str, Any]:
    """Every figure of the run."""
    t0 = result["t0"]
    send_id = result["send_id"]
    o = OUTBOX.c
    with engine.connect() as conn:
        sent_at = sorted(
            _epoch(at) - t0
            for (at,) in conn.execute(
                select(o.sent_at).where(o.send_id == send_id, o.sent_at.is_not(None))
            )
        )
        statuses = {
            str(s): int(n)
            for s, n in conn.execute(
                select(o.status, func.count()).where(o.send_id == send_id).group_by(o.status)
            )
        }
        stored_sids = set(conn.execute(select(INBOUND.c.message_sid)).scalars())
    # inbound
    ok = [a for a in answers if a.status == 200]
    by_status = Counter(a.status for a in answers)
    errors = sum(n for status, n in by_status.items() if status not in (200, 0))
    timeouts = by_status.get(0, 0)
    windows = []
    lat = _windows([(a.at, a.latency) for a in answers])
    bad = _windows([(a.at, float(a.status != 200)) for a in answers])
    blast_w = _windows([(t, 1.0) for t in sent_at])
    first = min(lat, default=0)
    last = max([*lat, *blast_w], default=0)
    for w in range(first, last + 1):
        values = lat.get(w, [])
        windows.append(
            {
                "start_s": w * WINDOW,
                "requests": len(values),
                "p50_ms": quantile(values, 0.5) * 1000,
                "p99_ms": quantile(values, 0.99) * 1000,
                "max_ms": max(values, default=0) * 1000,
                "not_200": int(sum(bad.get(w, []))),
                "blast_per_s": len(blast_w.get(w, [])) / WINDOW,
            }
        )
    inbound_windows = [w for w in windows if w["requests"]]
    # MessageSids answered 200 whose inbound row is missing
    unstored = len({a.sid for a in ok} - stored_sids)
    # blast
    sent = len(sent_at)
    achieved = (sent - 1) / (sent_at[-1] - sent_at[0]) if sent > 1 else 0.0
    by_to: dict[str, int] = at_double["by_to"]
    recipients = [phone(i) for i in range(args.recipients)]
    twice = sum(1 for p in recipients if by_to.get(p, 0) > 1)
    never = sum(1 for p in recipients if by_to.get(p, 0) == 0)
    skipped = statuses.get("skipped", 0)
    lost = max(0, never - skipped)
    # CPU per window: fit CPU = a * inbound + b * sent
    cpu = _cpu_fit(samples, t0, answers, sent_at)
    mem_roles: dict[str, float] = defaultdict(float)
    for role, mb in peaks.values():
        mem_roles[role] = max(mem_roles[role], mb)
    figures: dict[str, Any] = {
        "db": args.db,
        "shape": "turnout serve (scheduler in-process)"
        if args.db == "sqlite"
        else f"turnout serve --workers {args.web_workers} --no-scheduler + "
        f"{args.schedulers} x turnout scheduler",
        "recipients": args.recipients,
        "roll_rows": args.roll_rows,
        "rate": args.rate,
        "pace": pace,
        "duration_s": duration,
        "lead_in_s": args.lead_in,
        "python": platform.python_version(),
        "load_1min_end": os.getloadavg()[0],
        "client_lag_ms": result["client_lag_s"] * 1000,
        "blast_created_s": result.get("created"),
        "inbound": {
            "requests": len(answers),
            "repeats": sum(a.repeat for a in answers),
            "p50_ms": quantile([a.latency for a in answers], 0.5) * 1000,
            "p99_ms": quantile([a.latency for a in answers], 0.99) * 1000,
            "max_ms": max((a.latency for a in answers), default=0) * 1000,
            "errors": errors,
            "timeouts": timeouts,
            "statuses": {str(k): v for k, v in sorted(by_status.items())},
            "worst_window_p99_ms": max((w["p99_ms"] for w in inbound_windows), default=0),
            "windows_over_100ms": sum(w["p99_ms"] > 100 for w in inbound_windows),
            "windows": len(inbound_windows),
            "achieved_per_s": len(answers) / max(duration + args.lead_in, 1),
            "stored_rows": len(stored_sids),
            "answered_not_stored": unstored,
        },
        "blast": {
            "sent": sent,
            "first_sent_s": sent_at[0] if sent_at else None,
            "end_s": sent_at[-1] if sent_at else None,
            "achieved_per_s": achieved,
            "vs_pace": achieved / pace if pace else None,
            "vs_ceiling": achieved / CEILING,
            "vs_baseline": achieved / baseline["msg_per_s"] if baseline else None,
            "baseline_per_s": baseline["msg_per_s"] if baseline else None,
            "statuses": statuses,
            "double_created": at_double["created"],
            "double_sends": twice,
            "lost_recipients": lost,
            "skipped": skipped,
            "refused_429": at_double["refused_429"],
            "callbacks_sent": at_double["callbacks_sent"],
            "callback_failures": at_double["callback_failures"],
        },
        "cpu": cpu,
        "peak_rss_mb": dict(mem_roles),
        "peak_rss_mb_total": sum(mb for _, mb in peaks.values()),
        "windows": windows,
    }
    return figures


def _cpu_fit(
    samples: list[tuple[float, dict[str, float]]],
    t0: float,
    answers: list[Answer],
    sent_at: list[float],
) -> dict[str, Any]:
    """CPU seconds by role, and per inbound / sent message, fitted over 10-s windows."""
    import numpy as np

    if len(samples) < 2:
        return {}
    roles = sorted({role for _, found in samples for role in found})
    total = {r: samples[-1][1].get(r, 0.0) - samples[0][1].get(r, 0.0) for r in roles}
    # CPU of the system under test (app processes and PostgreSQL) per window
    app_roles = [r for r in roles if r != "double"]
    edges = [s for s in samples if (s[0] - t0) % WINDOW < 1.0 or s is samples[-1]]
    rows, ys = [], []
    done = sorted(a.done for a in answers)
    for before, after in itertools.pairwise(edges):
        lo, hi = before[0] - t0, after[0] - t0
        if hi - lo < 2:
            continue
        inbound = sum(1 for d in done if lo <= d < hi)
        sent = sum(1 for s in sent_at if lo <= s < hi)
        used = sum(after[1].get(r, 0.0) - before[1].get(r, 0.0) for r in app_roles)
        rows.append([inbound, sent])
        ys.append(used)
    fit: dict[str, Any] = {"seconds_by_role": total}
    if len(rows) >= 3:
        coef, *_ = np.linalg.lstsq(np.array(rows, float), np.array(ys, float), rcond=None)
        fit["ms_per_inbound"] = float(coef[0]) * 1000
        fit["ms_per_sent"] = float(coef[1]) * 1000
    inbound_n = len(answers)
    sent_n = len(sent_at)
    if "web" in total and inbound_n:
        fit["web_ms_per_inbound_and_callback"] = total["web"] * 1000 / inbound_n
    if "scheduler" in total and sent_n:
        fit["scheduler_ms_per_sent"] = total["scheduler"] * 1000 / sent_n
    return fit


# -- the report and the chart ---------------------------------------------------------------


def report(figures: dict[str, Any]) -> str:
    """A Markdown summary of one run."""
    i, b, c = figures["inbound"], figures["blast"], figures["cpu"]
    mode = f"paced at {figures['pace']:g}/s" if figures["pace"] else "unpaced"
    lines = [
        f"### {figures['db']}, blast {mode}: {figures['shape']}",
        "",
        f"{figures['recipients']:,} recipients, roll {figures['roll_rows']:,} rows, inbound "
        f"{figures['rate']:g}/s for {figures['lead_in_s']:g} + {figures['duration_s']:.0f} s; "
        f"load average at the end {figures['load_1min_end']:.1f}; client lag max "
        f"{figures['client_lag_ms']:.0f} ms.",
        "",
        "| inbound requests | p50 ms | p99 ms | max ms | worst window p99 ms "
        "| windows p99 > 100 ms | errors | timeouts | rows stored |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {i['requests']:,} ({i['repeats']:,} repeats) | {i['p50_ms']:.1f} | {i['p99_ms']:.1f} "
        f"| {i['max_ms']:.0f} | {i['worst_window_p99_ms']:.1f} | {i['windows_over_100ms']} of "
        f"{i['windows']} | {i['errors']} | {i['timeouts']} | {i['stored_rows']:,} |",
        "",
        "| blast sent | first s | end s | msg/s | vs pace | vs 1,000 | vs bare client "
        "| double sends | lost | 429s | callbacks |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {b['sent']:,} | {b['first_sent_s'] or 0:.1f} | {b['end_s'] or 0:.1f} | "
        f"{b['achieved_per_s']:.1f} | {_ratio(b['vs_pace'])} | {b['vs_ceiling']:.2f} | "
        f"{_ratio(b['vs_baseline'])} | {b['double_sends']} | {b['lost_recipients']} | "
        f"{b['refused_429']} | {b['callbacks_sent']:,} ({b['callback_failures']} failed) |",
        "",
        "CPU ms per inbound message {:.2f}, per message sent {:.2f} (fit over 10-s windows); "
        "CPU s by process: {}; peak RSS MB: {} (all processes {:.0f}).".format(
            c.get("ms_per_inbound", float("nan")),
            c.get("ms_per_sent", float("nan")),
            ", ".join(f"{k} {v:.1f}" for k, v in c.get("seconds_by_role", {}).items()),
            ", ".join(f"{k} {v:.0f}" for k, v in figures["peak_rss_mb"].items()),
            figures["peak_rss_mb_total"],
        ),
        "",
        "| window s | requests | p50 ms | p99 ms | max ms | not 200 | blast msg/s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for w in figures["windows"]:
        lines.append(
            f"| {w['start_s']:.0f} | {w['requests']} | {w['p50_ms']:.1f} | {w['p99_ms']:.1f} | "
            f"{w['max_ms']:.0f} | {w['not_200']} | {w['blast_per_s']:.1f} |"
        )
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def chart(figures: dict[str, Any], path: Path) -> None:
    """Inbound p99 (and p50) and the blast's rate over time, from the run's windows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    windows = figures["windows"]
    xs = [w["start_s"] + WINDOW / 2 for w in windows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    top.plot(xs, [w["p99_ms"] for w in windows], label="inbound p99", color="#b2182b")
    top.plot(xs, [w["p50_ms"] for w in windows], label="inbound p50", color="#ef8a62")
    top.axhline(100, color="grey", linestyle="--", linewidth=1, label="target p99 100 ms")
    top.set_ylabel("ms")
    top.set_yscale("log")
    top.legend(loc="upper right", fontsize=8)
    mode = f"paced at {figures['pace']:g}/s" if figures["pace"] else "unpaced"
    top.set_title(
        f"Election day, {figures['db']} ({figures['shape']}): "
        f"{figures['rate']:g} texts/s, {figures['recipients']:,}-recipient blast {mode}",
        fontsize=9,
    )
    bottom.plot(xs, [w["blast_per_s"] for w in windows], color="#2166ac", label="blast msg/s")
    if figures["pace"]:
        bottom.axhline(figures["pace"], color="grey", linestyle="--", linewidth=1, label="pace")
    else:
        bottom.axhline(CEILING, color="grey", linestyle="--", linewidth=1, label="double ceiling")
    bottom.set_ylabel("messages/s")
    bottom.set_xlabel("seconds from the blast's creation (10-s windows)")
    bottom.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200.0, help="inbound texts a second")
    parser.add_argument("--pace", type=float, default=100.0, help="blast messages a second")
    parser.add_argument("--unpaced", action="store_true", help="TURNOUT_SEND_RATE=0")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds of load after t = 0 (default: "
        "the blast's length at its pace, or at 900/s unpaced)",
    )
    parser.add_argument("--lead-in", type=float, default=10.0, help="seconds of load before t = 0")
    parser.add_argument("--roll-rows", type=int, default=1_000_000)
    parser.add_argument("--think", type=float, default=3.0, help="seconds between a texter's texts")
    parser.add_argument("--duplicates", type=float, default=0.03, help="share of SIDs repeated")
    parser.add_argument("--web-workers", type=int, default=2, help="PostgreSQL only")
    parser.add_argument("--schedulers", type=int, default=2, help="PostgreSQL only")
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument("--chart", type=Path, default=None)
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--profile",
        type=float,
        default=0,
        help="py-spy the app's processes for S seconds from t = 5",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run it, print the summary, write the JSON and the chart."""
    args = parse(argv)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        figures = run(args, workdir)
    summary = report(figures)
    print(summary)
    mode = "unpaced" if args.unpaced else "paced"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = args.json or RESULTS / f"election-day-{args.db}-{mode}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if not args.no_chart:
        picture = args.chart or CHARTS / f"election-day-{args.db}-{mode}.png"
        chart(figures, picture)
        print(f"(chart: {picture})")
    print(f"(figures: {path})")
    return figures


if __name__ == "__main__":
    main()
