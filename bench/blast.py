"""Blast throughput, pacing and CPU: a blast sent by the dispatcher to the Twilio double, on
SQLite and PostgreSQL.

    python -m bench.blast [--db sqlite|postgresql|both] [--recipients 100000] [--rounds 1]
                          [--skip-pacing]

The double (`tests.helpers.twilio_double`) runs as a process of its own with 100 ms latency and at
most 100 creates in flight (past that it answers 429): its ceiling is 1,000 messages/s. This
process runs the dispatcher as `turnout scheduler` does (`Sending.start_sends`, then
`pass_once` on asyncio's loop, 100 workers), and measures per database:

- unpaced (TURNOUT_SEND_RATE=0): N recipients (a fresh database per round; contacts,
  memberships and the blast row bulk-inserted), the expansion (`start_sends`: one outbox row
  per recipient) timed apart from the dispatch; messages/s from the first request to the
  last; the CPU time of this process (dispatcher and, on SQLite, the database) per message;
  the CPU the double and the PostgreSQL server used meanwhile; 429s.
- baseline, in the same run against the same double: plain aiohttp, 100 connections,
  pre-built form bodies, no database, for `--baseline-seconds`: the ceiling a client reaches.
- pacing (TURNOUT_SEND_RATE=10 and 100), `--pacing-seconds` of messages each: the achieved
  rate (n - 1) / (last - first) and its error against the configured rate, and the most
  requests in any 1-second window. The double keeps no arrival times, so the times are taken
  in this process when each request starts (a wrapper around the sender).

After each blast the outbox and the double are checked: every row sent, one message per
recipient at the double, none twice; the benchmark fails loudly otherwise. Results: a
summary on stdout, everything in bench/results/blast-<timestamp>.json.

PostgreSQL: a throwaway database `turnout_bench_blast` at TURNOUT_BENCH_POSTGRES_URL (default
postgres@127.0.0.1), dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import datetime as dt
import itertools
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import Engine, insert, literal, select, text

from bench.scratch import drop_scratch, scratch_database
from bot import tables
from bot.clock import utcnow
from bot.db import make_engine
from bot.migrate import upgrade
from bot.sending import outbox, sends
from bot.sending.senders import Outgoing, Sender, SendResult
from bot.settings import Settings
from bot.twilio.client import TwilioSender
from scheduler.process import Sending

ROOT = Path(__file__).parent.parent
RESULTS = Path(__file__).parent / "results"
DATABASE = "turnout_bench_blast"
ACCOUNT = "AC" + "0" * 32
TOKEN = "bench-auth-token-0123456789abcdef"
SMS_FROM = "+15005550006"
LATENCY = 0.1  # seconds the double takes per create
LIMIT = 100  # creates in flight at the double, and the dispatcher's workers
CEILING = LIMIT / LATENCY  # messages/s
CHUNK = 10_000  # contacts per INSERT
LANGUAGES = ("en", "es", "zh", "vi")
TEXTS = {
    "en": "Early voting starts Saturday. Find your vote center: https://example.org/vote",
    "es": "La votación anticipada empieza el sábado. Busque su centro: https://example.org/vote",
    "zh": "提前投票星期六開始。查找您的投票中心：https://example.org/vote",
    "vi": "Bỏ phiếu sớm bắt đầu thứ Bảy. Tìm trung tâm bỏ phiếu: https://example.org/vote",
}
TICK = os.sysconf("SC_CLK_TCK")


# -- the double, in a process of its own ---------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL server process on this machine."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        found[int(entry.name)] = _cpu_seconds(int(entry.name))
    return found


@dataclasses.dataclass
class Double:
    """The Twilio double's process and URL."""

    process: subprocess.Popen[str]
    url: str

    def _call(self, method: str, path: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}{path}", method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            found: dict[str, Any] = json.load(response)
        return found

    def stats(self) -> dict[str, Any]:
        """`GET /_double/stats`."""
        return self._call("GET", "/_double/stats")

    def reset(self) -> None:
        """`POST /_double/reset`: forget every message and count."""
        self._call("POST", "/_double/reset")

    def cpu(self) -> float:
        """The double's CPU seconds so far."""
        return _cpu_seconds(self.process.pid)

    @property
    def messages_url(self) -> str:
        """Twilio's Messages resource at the double."""
        return f"{self.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def start_double(*, callbacks: bool) -> Double:
    """The Twilio double in its own process, with the benchmark's latency and limit (the
    caller stops it)."""
    command = [
        sys.executable,
        "-m",
        "tests.helpers.twilio_double",
        "--account-sid",
        ACCOUNT,
        "--auth-token",
        TOKEN,
        "--latency",
        str(LATENCY),
        "--limit",
        str(LIMIT),
        "--callbacks" if callbacks else "--no-callbacks",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("URL "):
        process.kill()
        raise RuntimeError(f"the Twilio double did not start: {line!r}")
    return Double(process, line.removeprefix("URL "))


@contextmanager
def twilio_double() -> Iterator[Double]:
    """The double without status callbacks, stopped at the end."""
    double = start_double(callbacks=False)
    try:
        yield double
    finally:
        double.process.terminate()
        double.process.wait(timeout=30)


# -- databases and recipients -------------------------------------------------------------


def database(backend: str, workdir: Path) -> str:
    """A fresh, empty database URL for a backend."""
    return scratch_database(backend, workdir, DATABASE)


def drop_database() -> None:
    """Drop the throwaway PostgreSQL database."""
    drop_scratch(DATABASE)


def phone(i: int) -> str:
    """The i-th recipient's number: Los Angeles (213), all the same length (i < 8,000,000)."""
    return f"+1213{2_000_000 + i:07d}"


def populate(engine: Engine, slug: str, first: int, count: int) -> int:
    """An organization with `count` new contacts on its list (numbers `first`...); its id."""
    now = utcnow()
    c = tables.CONTACTS.c
    with engine.begin() as conn:
        org = int(
            conn.execute(
                insert(tables.ORGANIZATIONS)
                .values(slug=slug, name=slug.title(), is_admin=False, created_at=now)
                .returning(tables.ORGANIZATIONS.c.id)
            ).scalar_one()
        )
        for start in range(first, first + count, CHUNK):
            rows = [
                {
                    "phone": phone(i),
                    "language": LANGUAGES[i % len(LANGUAGES)],
                    "opted_out": False,
                    "reminders": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(start, min(start + CHUNK, first + count))
            ]
            conn.execute(insert(tables.CONTACTS), rows)
        members = select(literal(org), c.id, literal("90012"), literal(now), literal(now)).where(
            c.phone.between(phone(first), phone(first + count - 1))
        )
        columns = ["organization_id", "contact_id", "zip", "created_at", "updated_at"]
        conn.execute(insert(tables.MEMBERSHIPS).from_select(columns, members))
    if engine.dialect.name == "postgresql":  # a list imported a while ago: autovacuum's work
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE contacts"))
            conn.execute(text("ANALYZE memberships"))
    return org


def open_hours(zone: str = "America/Los_Angeles") -> str:
    """A TURNOUT_QUIET_HOURS window open from six hours before now to six hours after."""
    local = utcnow().astimezone(ZoneInfo(zone))
    start = (local - dt.timedelta(hours=6)).strftime("%H:%M")
    end = (local + dt.timedelta(hours=6)).strftime("%H:%M")
    return f"{start}-{end}"


def make_settings(url: str, double: Double, rate: float) -> Settings:
    """The dispatcher's settings: SMS only, to the double, at `rate` messages/s (0: unpaced)."""
    values: dict[str, Any] = {
        "DATABASE_URL": url,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_API_BASE_URL": double.url,
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",  # the double makes no callbacks
        "TURNOUT_QUIET_HOURS": open_hours(),
        "TURNOUT_SEND_RATE": str(rate),
        "TURNOUT_SEND_CONCURRENCY": str(LIMIT),
    }
    return Settings(**values, _env_file=None)


# -- one blast ----------------------------------------------------------------------------


@dataclasses.dataclass
class Recording:
    """A sender that notes when each request starts (the double keeps no arrival times)."""

    inner: Sender
    starts: list[float]

    async def send(self, message: Outgoing) -> SendResult:
        """Note the time, then send."""
        self.starts.append(time.time())
        return await self.inner.send(message)

    async def find(self, message: Outgoing, since: datetime) -> str | bool | None:
        """As the inner sender."""
        return await self.inner.find(message, since)

    async def close(self) -> None:
        """As the inner sender."""
        await self.inner.close()


def blast(
    engine: Engine, settings: Settings, org: int, recipients: int, double: Double
) -> dict[str, Any]:
    """Create a blast to `org`'s list, expand it, dispatch it (one timed pass), finish any
    retries in further passes, check it; the figures."""
    now = utcnow()
    row = {
        "kind": "blast",
        "organization_id": org,
        "name": "bench blast",
        "send_at": now,
        "texts": TEXTS,
        "audience": {"organizations": [org]},
    }
    with engine.begin() as conn:
        send_id = sends.create_send(conn, row, now)
    starts: list[float] = []
    sending = Sending.from_settings(engine, settings)
    sending = dataclasses.replace(
        sending, make_sender=lambda: Recording(TwilioSender.from_settings(settings), starts)
    )
    try:
        began = time.perf_counter()
        if sending.start_sends() != 1:
            raise SystemExit("the blast did not start")
        expansion = time.perf_counter() - began
        double.reset()
        cpu, double_cpu, pg_cpu = time.process_time(), double.cpu(), _postgres_cpu()
        began = time.perf_counter()
        stats = asyncio.run(sending.pass_once())
        wall = time.perf_counter() - began
        load = os.getloadavg()[0]  # the machine is shared: how busy it was meanwhile
        cpu = time.process_time() - cpu
        double_cpu = double.cpu() - double_cpu
        pg_after = _postgres_cpu()
        pg_seconds = sum(t - pg_cpu.get(pid, 0.0) for pid, t in pg_after.items())
        at_double = double.stats()
        passes = 1
        deadline = time.monotonic() + 120
        while _open_rows(engine) and time.monotonic() < deadline:  # retries after a 429
            time.sleep(0.5)
            asyncio.run(sending.pass_once())
            passes += 1
        sending.start_sends()  # marks the blast done
    finally:
        sending.role.release()
    verify(engine, send_id, recipients, double.stats())
    first, last = stats.first_request or 0.0, stats.last_request or 0.0
    per_second = _per_second(sorted(starts))
    return {
        "recipients": recipients,
        "expansion_s": expansion,
        "dispatch_s": wall,
        "first_to_last_s": last - first,
        "sent_in_pass": stats.sent,
        "msg_per_s": (stats.sent - 1) / (last - first) if last > first else 0.0,
        "retried": stats.retried,
        "failed": stats.failed,
        "passes": passes,
        "refused_429": at_double["refused_429"],
        "max_in_flight": at_double["max_in_flight"],
        "cpu_s": cpu,
        "cpu_ms_per_msg": cpu * 1000 / max(stats.sent, 1),
        "double_cpu_s": double_cpu,
        "postgres_cpu_s": pg_seconds if engine.dialect.name == "postgresql" else None,
        "load_1min": load,
        "starts": sorted(starts),
        "per_second": per_second,
        "slowest_second": min(per_second[1:-1], default=0),
        "fastest_second": max(per_second[1:-1], default=0),
    }


def _open_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return outbox.open_rows(conn)


def _per_second(starts: list[float]) -> list[int]:
    """Requests started in each whole second from the first."""
    if not starts:
        return []
    counts = [0] * (int(starts[-1] - starts[0]) + 1)
    for t in starts:
        counts[int(t - starts[0])] += 1
    return counts


def verify(engine: Engine, send_id: int, recipients: int, at_double: dict[str, Any]) -> None:
    """Every outbox row sent with a SID, one message per recipient at the double: or fail."""
    o = tables.OUTBOX.c
    with engine.connect() as conn:
        counts = sends.counts(conn, send_id)
        without_sid = conn.execute(
            select(o.id).where(o.send_id == send_id, o.twilio_sid.is_(None)).limit(1)
        ).first()
    by_to: dict[str, int] = at_double["by_to"]
    twice = sorted(to for to, n in by_to.items() if n != 1)
    problems = []
    if counts["recipients"] != recipients or counts["sent"] != recipients:
        problems.append(f"outbox: {counts}")
    if without_sid is not None:
        problems.append("an outbox row has no Twilio SID")
    if at_double["created"] != recipients or len(by_to) != recipients:
        problems.append(f"double: {at_double['created']} created for {len(by_to)} numbers")
    if twice:
        problems.append(f"double: {len(twice)} numbers had more than one message: {twice[:5]}")
    if problems:
        raise SystemExit(f"blast {send_id} went wrong ({recipients} recipients): {problems}")


# -- the baseline client ------------------------------------------------------------------


async def _baseline(url: str, seconds: float) -> tuple[int, int, float]:
    """(201s, other answers, seconds): LIMIT connections posting pre-built forms."""
    count = int(CEILING * seconds * 1.5)
    bodies = [
        urlencode({"To": f"+1415{i:07d}", "From": SMS_FROM, "Body": TEXTS["en"]}).encode()
        for i in range(count)
    ]
    credentials = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    headers = {
        "Authorization": f"Basic {credentials}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    taken = itertools.count()
    answers = {"created": 0, "other": 0}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def work(session: aiohttp.ClientSession) -> None:
        while loop.time() < deadline:
            body = bodies[next(taken) % count]
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                answers["created" if response.status == 201 else "other"] += 1

    connector = aiohttp.TCPConnector(limit=LIMIT)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(work(session) for _ in range(LIMIT)))
        elapsed = time.perf_counter() - began
    return answers["created"], answers["other"], elapsed


def baseline(double: Double, seconds: float) -> dict[str, Any]:
    """The double's ceiling as a bare client reaches it, measured now; the double is reset."""
    double.reset()
    cpu = time.process_time()
    created, other, elapsed = asyncio.run(_baseline(double.messages_url, seconds))
    cpu = time.process_time() - cpu
    refused = double.stats()["refused_429"]
    double.reset()
    return {
        "msg_per_s": created / elapsed,
        "seconds": elapsed,
        "created": created,
        "other": other,
        "refused_429": refused,
        "cpu_ms_per_msg": cpu * 1000 / max(created, 1),
    }


# -- pacing ---------------------------------------------------------------------------------


def busiest_window(starts: list[float], width: float = 1.0) -> int:
    """The most requests started within any `width` seconds (sorted times)."""
    best, j = 0, 0
    for i, t in enumerate(starts):
        j = max(j, i)
        while j < len(starts) and starts[j] < t + width:
            j += 1
        best = max(best, j - i)
    return best


def pacing(
    engine: Engine, url: str, double: Double, rate: float, count: int, first: int
) -> dict[str, Any]:
    """A paced blast of `count` recipients: achieved rate, error, busiest second."""
    org = populate(engine, f"paced-{int(rate)}", first, count)
    result = blast(engine, make_settings(url, double, rate), org, count, double)
    starts: list[float] = result.pop("starts")
    achieved = (len(starts) - 1) / (starts[-1] - starts[0])
    return {
        "rate": rate,
        "recipients": count,
        "achieved": achieved,
        "error_pct": (achieved / rate - 1) * 100,
        "busiest_second": busiest_window(starts),
        "seconds": starts[-1] - starts[0],
        **{k: result[k] for k in ("refused_429", "retried", "passes", "cpu_ms_per_msg")},
    }


# -- one database ---------------------------------------------------------------------------


def bench_database(
    backend: str, args: argparse.Namespace, double: Double, workdir: Path
) -> dict[str, Any]:
    """Unpaced rounds (a fresh database each), then the pacing runs on the last one."""
    rounds: list[dict[str, Any]] = []
    url = ""
    engine: Engine | None = None
    try:
        for number in range(args.rounds):
            url = database(backend, workdir)
            engine = make_engine(url)
            upgrade(engine)
            began = time.perf_counter()
            org = populate(engine, "coalition", 0, args.recipients)
            populated = time.perf_counter() - began
            measured = baseline(double, args.baseline_seconds)
            result = blast(engine, make_settings(url, double, 0), org, args.recipients, double)
            result.pop("starts")
            result |= {"populate_s": populated, "baseline": measured}
            rounds.append(result)
            print(
                f"{backend} round {number + 1}: expansion {result['expansion_s']:.1f} s, "
                f"{result['msg_per_s']:,.0f} msg/s (baseline {measured['msg_per_s']:,.0f}), "
                f"{result['cpu_ms_per_msg']:.2f} ms CPU/msg, {result['refused_429']} 429s, "
                f"load {result['load_1min']:.1f}",
                file=sys.stderr,
            )
            if number < args.rounds - 1:
                engine.dispose()
        paced: list[dict[str, Any]] = []
        if not args.skip_pacing:
            assert engine is not None
            first = args.recipients
            for rate in (10.0, 100.0):
                count = int(rate * args.pacing_seconds)
                paced.append(pacing(engine, url, double, rate, count, first))
                first += count
                print(
                    f"{backend} paced at {rate:g}/s: {paced[-1]['achieved']:.2f}/s "
                    f"({paced[-1]['error_pct']:+.2f} %), busiest second "
                    f"{paced[-1]['busiest_second']}",
                    file=sys.stderr,
                )
        assert engine is not None
        version = f"SQLite {sqlite3.sqlite_version}"
        if backend == "postgresql":
            with engine.connect() as conn:
                found = str(conn.execute(text("SHOW server_version")).scalar())
            version = f"PostgreSQL {found.split()[0]}"
    finally:
        if engine is not None:
            engine.dispose()
        if backend == "postgresql":
            drop_database()
    median = sorted(rounds, key=lambda r: r["msg_per_s"])[len(rounds) // 2]
    return {"version": version, "rounds": rounds, "median": median, "pacing": paced}


def report(results: dict[str, dict[str, Any]], recipients: int) -> str:
    """The summary tables (Markdown)."""
    lines = [
        f"{recipients:,} recipients; double: {LATENCY * 1000:.0f} ms latency, limit {LIMIT} "
        f"(ceiling {CEILING:,.0f} msg/s); Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; "
        + ", ".join(found["version"] for found in results.values())
        + ".",
        "",
        "| database | recipients | expansion s | dispatch s | msg/s | ratio to 1,000 | "
        "baseline msg/s | ratio to baseline | CPU ms/msg | 429s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, found in results.items():
        r = found["median"]
        base = r["baseline"]["msg_per_s"]
        lines.append(
            f"| {backend} | {r['recipients']:,} | {r['expansion_s']:.1f} | "
            f"{r['dispatch_s']:.1f} | {r['msg_per_s']:,.0f} | {r['msg_per_s'] / CEILING:.2f} | "
            f"{base:,.0f} | {r['msg_per_s'] / base:.2f} | {r['cpu_ms_per_msg']:.2f} | "
            f"{r['refused_429']} |"
        )
    lines += [
        "",
        "| database | CPU s: bench process | double | PostgreSQL | baseline client CPU ms/msg "
        "| slowest / fastest second | populate s | load (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, found in results.items():
        r = found["median"]
        pg = "—" if r["postgres_cpu_s"] is None else f"{r['postgres_cpu_s']:.1f}"
        lines.append(
            f"| {backend} | {r['cpu_s']:.1f} | {r['double_cpu_s']:.1f} | {pg} | "
            f"{r['baseline']['cpu_ms_per_msg']:.2f} | "
            f"{r['slowest_second']} / {r['fastest_second']} | {r['populate_s']:.1f} | "
            f"{r['load_1min']:.1f} |"
        )
    if any(found["pacing"] for found in results.values()):
        lines += [
            "",
            "| database | configured msg/s | recipients | achieved msg/s | error % "
            "| busiest 1 s window |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for backend, found in results.items():
            for p in found["pacing"]:
                lines.append(
                    f"| {backend} | {p['rate']:g} | {p['recipients']:,} | {p['achieved']:.3f} | "
                    f"{p['error_pct']:+.2f} | {p['busiest_second']} |"
                )
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark, print the summary, write the JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1, help="unpaced blasts per database")
    parser.add_argument("--skip-pacing", action="store_true")
    parser.add_argument("--pacing-seconds", type=float, default=30.0)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, twilio_double() as double:
        for backend in backends:
            results[backend] = bench_database(backend, args, double, Path(tmp))
    summary = report(results, args.recipients)
    print(summary)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"blast-{stamp}.json"
    document = {
        "args": vars(args),
        "latency_s": LATENCY,
        "limit": LIMIT,
        "ceiling": CEILING,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": results,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\n(written to {path.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
