"""The mixed load of the reliability test, larger: a blast with its status callbacks, voters
texting (two messages each) and an organizer firing 40 test sends at the API, all at once,
against the app and its in-process scheduler (`turnout serve`), on SQLite and PostgreSQL.

    python -m bench.mixed_load [--recipients 2000] [--voters 300] [--rounds 3]

Prints per database: answers by kind and status, p50/p99/max latency of the webhook and of the
API, requests a second, and how long until the blast was delivered with every callback
recorded. The Twilio double answers after 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.scratch import drop_scratch, scratch_database
from bot.db import make_engine
from bot.migrate import upgrade
from tests.helpers.load import Report, election_morning, fire, outbox_statuses, wait_for
from tests.helpers.sending import ACCOUNT
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN


def one_round(backend: str, workdir: Path, recipients: int, voters: int) -> tuple[Report, float]:
    """One run on a fresh database: the report and the seconds until the blast was done."""
    name = f"turnout_bench_mixed_{backend}"
    engine = make_engine(scratch_database(backend, workdir, name))
    upgrade(engine)
    try:
        with (
            TwilioDouble(ACCOUNT, AUTH_TOKEN, latency=0.02) as double,
            election_morning(engine, recipients=recipients, voters=voters, double=double) as w,
        ):
            started = time.perf_counter()
            report = fire(w, texts=2)
            wait_for(
                lambda: outbox_statuses(engine, kind="blast").get("delivered") == recipients,
                "the blast delivered",
                timeout=600,
            )
            delivered = time.perf_counter() - started
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_scratch(name)
    return report, delivered


def summary(backend: str, runs: list[tuple[Report, float]]) -> str:
    """The figures of one database's rounds, medians across rounds."""

    def median(values: list[float]) -> float:
        return statistics.median(values)

    lines = [f"## {backend} ({len(runs)} rounds, medians)"]
    for kind in ("webhook", "test_send"):
        p50 = median([r.quantile(0.50, kind) for r, _ in runs]) * 1000
        p99 = median([r.quantile(0.99, kind) for r, _ in runs]) * 1000
        worst = max(max(s for k, _, s in r.calls if k == kind) for r, _ in runs) * 1000
        lines.append(f"- {kind}: p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms")
    statuses: dict[str, int] = {}
    for report, _ in runs:
        for kind, status, _ in report.calls:
            statuses[f"{kind} {status}"] = statuses.get(f"{kind} {status}", 0) + 1
    lines.append(f"- answers: {dict(sorted(statuses.items()))}")
    rate = median([len(r.calls) / r.seconds for r, _ in runs])
    lines.append(f"- requests a second while the blast went out: {rate:.0f}")
    lines.append(
        f"- blast delivered, callbacks recorded, after {median([d for _, d in runs]):.1f} s"
    )
    return "\n".join(lines)


def main() -> None:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--voters", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            runs = [
                one_round(backend, Path(tmp), args.recipients, args.voters)
                for _ in range(args.rounds)
            ]
            print(summary(backend, runs), flush=True)


if __name__ == "__main__":
    main()
