"""Voter-data imports and lookups: the Maricopa and Albemarle feeds and a synthetic roll loaded
into SQLite and PostgreSQL, then address/ZIP lookups and registration checks timed one by one.

    python -m bench.lookups [--rows 1000000] [--lookups 2000] [--backends sqlite,postgresql]

PostgreSQL: a throwaway database on TURNOUT_BENCH_POSTGRES_URL (default postgres@127.0.0.1).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from bench.scratch import drop_scratch, scratch_database
from bot.db import make_engine
from bot.migrate import upgrade
from bot.tables import CONTACTS
from bot.voter.places.finder import find_polling_places
from bot.voter.places.importer import import_places
from bot.voter.roll.checker import check_registration
from bot.voter.roll.loader import import_voters

RESULTS = Path(__file__).parent / "results"
SHARED = Path(__file__).resolve().parents[1] / "tests" / "data" / "vip"  # copies of ../shared/vip
FEEDS = [SHARED / "sample_feed_v6_maricopa_2020.zip", SHARED / "sample_feed_v5.xml"]
NOW = dt.datetime(2020, 10, 20, 12, tzinfo=dt.UTC)
FIRST = [
    "José",
    "María",
    "Ana",
    "Juan",
    "Nguyễn",
    "Wei",
    "Ji-woo",
    "Mohammed",
    "Fatima",
    "John",
    "Mary",
    "Luis",
    "Carmen",
    "Thanh",
    "Min-jun",
    "Priya",
    "Arjun",
    "Rosa",
    "Pedro",
    "Sofía",
]
LAST = [
    "García-López",
    "Nguyen",
    "de la Cruz",
    "Kim",
    "Smith",
    "Hernández",
    "O'Brien",
    "Tran",
    "Patel",
    "Wang",
    "Martínez Ruiz",
    "Lee",
    "Johnson",
    "Rodríguez",
    "Pham",
    "Chen",
    "Singh",
    "Santos",
    "Reyes",
    "Cohen",
]
ADDRESSES = [
    "I live at 250 Patterson Mill Lane, Crozet VA 22932",
    "600 Patterson Mill Ln, Crozet VA 22932",
    "my address is 85260",
    "85004",
    "7410 E Sutton Dr, Scottsdale AZ 85260",
    "vivo en 1 Main St, Phoenix AZ 85003",
    "where do I vote?",
    "90057",
]


def write_roll(path: Path, rows: int, seed: int = 7) -> list[tuple[str, str, str, str]]:
    """A synthetic roll; returns a sample of (first, last, dob, zip) that are in it."""
    rnd, sample = random.Random(seed), []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "first_name",
                "middle_name",
                "last_name",
                "dob",
                "address",
                "city",
                "zip",
                "county",
                "status",
                "registration_date",
                "party",
            ]
        )
        for i in range(rows):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            dob = (dt.date(1930, 1, 1) + dt.timedelta(days=rnd.randrange(27_000))).isoformat()
            zip5 = str(85001 + rnd.randrange(350))
            writer.writerow(
                [
                    first,
                    rnd.choice(FIRST) if i % 3 == 0 else "",
                    last,
                    dob,
                    f"{i} Main St",
                    "PHOENIX",
                    zip5,
                    "MARICOPA",
                    "A" if i % 9 else "I",
                    "2012-03-04",
                    "DEM",
                ]
            )
            if i % max(rows // 2000, 1) == 0:
                sample.append((first, last, dob, zip5))
    return sample


def _backend(name: str) -> tuple[Engine, Callable[[], None]]:
    if name == "sqlite":
        folder = tempfile.mkdtemp(prefix="turnout-bench-")
        return make_engine(f"sqlite:///{folder}/bench.db"), lambda: None
    url = scratch_database(name, Path(tempfile.mkdtemp()), "turnout_bench_lookups")
    return make_engine(url), lambda: drop_scratch("turnout_bench_lookups")


def _contacts(engine: Engine, n: int) -> list[int]:
    rows = [
        {
            "phone": f"+1602555{i:04d}",
            "opted_out": False,
            "reminders": False,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(CONTACTS), rows)
        return list(conn.execute(text("SELECT id FROM contacts ORDER BY id")).scalars())


def _ms(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples) * 1000, cuts[98] * 1000


def run(name: str, roll: Path, sample: list[tuple[str, str, str, str]], n: int) -> dict[str, Any]:
    """Import everything into one backend, then time n lookups and n checks."""
    engine, drop = _backend(name)
    try:
        upgrade(engine)
        started = time.perf_counter()
        for feed in FEEDS:
            import_places(engine=engine, path=feed, now=NOW)
        places_s = time.perf_counter() - started
        report = import_voters(engine=engine, path=roll, now=NOW)
        rnd, today = random.Random(1), dt.date(2020, 10, 29)
        place_times, outcomes = [], set()
        for i in range(n):
            query = rnd.choice(ADDRESSES) if i % 2 else str(85001 + rnd.randrange(350))
            t0 = time.perf_counter()
            with engine.connect() as conn:
                answer = find_polling_places(conn, text_or_query=query, today=today, language="es")
            place_times.append(time.perf_counter() - t0)
            outcomes.add(answer.outcome)
        contacts, check_times, found = _contacts(engine, n), [], 0
        for i in range(n):
            first, last, dob, zip5 = sample[i % len(sample)]
            if i % 2:  # not on the roll: another ZIP
                zip5 = str(86001 + rnd.randrange(300))
            with engine.begin() as conn:
                # Timed without the commit: in the bot the check shares the inbound text's
                # transaction, whose commit (a WAL flush on PostgreSQL) is paid once anyway.
                t0 = time.perf_counter()
                checked = check_registration(
                    conn,
                    contact_id=contacts[i],
                    first=last,
                    last=first,
                    dob_text=dob,
                    zip=zip5,
                    language="en",
                    today=today,
                )
                check_times.append(time.perf_counter() - t0)
            found += checked.outcome in ("active", "inactive")
        return {
            "backend": name,
            "places_s": places_s,
            "roll_s": report.seconds,
            "rows": report.counts["imported"],
            "lookup": _ms(place_times),
            "check": _ms(check_times),
            "found": found,
            "outcomes": sorted(outcomes),
        }
    finally:
        engine.dispose()
        drop()


def table(results: list[dict[str, Any]], n: int) -> str:
    """The results as a Markdown table."""
    lines = [
        f"| backend | feeds import (s) | roll import (s) | roll rows/s | {n} place lookups "
        f"p50 / p99 (ms) | {n} registration checks p50 / p99 (ms) | checks found |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['places_s']:.1f} | {r['roll_s']:.1f} | "
            f"{r['rows'] / r['roll_s']:,.0f} | {r['lookup'][0]:.1f} / {r['lookup'][1]:.1f} | "
            f"{r['check'][0]:.1f} / {r['check'][1]:.1f} | {r['found']} of {n} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and write bench/results/lookups.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        roll = Path(folder) / "roll.csv"
        sample = write_roll(roll, args.rows)
        results = [run(b, roll, sample, args.lookups) for b in args.backends.split(",")]
    report = table(results, args.lookups)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    header = (
        f"# Voter-data lookups\n\nMaricopa 2020 (VIP 6, 560 places, 748 precincts) and Albemarle"
        f" 2013 (VIP 5.2) feeds, a synthetic roll of {args.rows:,} rows; `python -m bench.lookups`."
        "\nPlace lookups mix ZIPs and typed addresses; half the checks are on the roll.\n\n"
    )
    (RESULTS / "lookups.md").write_text(header + report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
