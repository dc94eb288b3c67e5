"""Lift at scale, on SQLite: a vote-history import of 2,000,000 rows matched to 200,000
contacts, then the lift report over those contacts' holdout.

    python -m bench.lift [--contacts 200000] [--rows 2000000] [--share 0.1]

The world (contacts, memberships, the election, the holdout drawn for every contact) is made
first and timed apart. The history file is rows layout: one row per voter per election, five
elections (the measured one and four before), so `--rows` / 5 voters: half of them contacts
(40% matched by voter id, 30% by name + date of birth + ZIP, 30% by name + ZIP, 5% of those
with a typo), half strangers. Import and report then run in a child process, whose wall time
and peak RSS (`ru_maxrss`) are the figures: the target is under 60 s and 300 MB.
Results: a summary on stdout and bench/results/lift-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from bot import tables
from bot.access import operator
from bot.clock import utcnow
from bot.db import make_engine
from bot.lift.assign import Member, assign, ensure_experiment
from bot.lift.estimate import lift_report, report_rows
from bot.lift.history import import_history
from bot.migrate import upgrade
from bot.voter.elections import save_election

DATE = dt.date(2026, 11, 3)
PRIOR = ("2024-11-05", "2024-03-05", "2022-11-08", "2022-06-07")
GIVEN = [
    "Maria",
    "Jose",
    "Wei",
    "Linh",
    "Minh",
    "Jae",
    "Ana",
    "Luis",
    "Carmen",
    "Rosa",
    "Hector",
    "Mei",
    "Duc",
    "Thanh",
    "Jorge",
    "Elena",
    "Raul",
    "Lucia",
    "Bao",
    "Hoa",
]
FAMILY = [
    f"{a}{b}"
    for a in (
        "Her",
        "Gon",
        "Ram",
        "Cas",
        "Mor",
        "Vil",
        "San",
        "Dom",
        "Fer",
        "Gue",
        "Med",
        "Ros",
        "Sal",
        "Val",
        "Zam",
        "Car",
        "Esc",
        "Fig",
    )
    for b in (
        "nandez",
        "zalez",
        "irez",
        "tillo",
        "ales",
        "anueva",
        "tiago",
        "inguez",
        "ndez",
        "rrero",
        "ina",
        "ales",
        "azar",
        "encia",
        "ora",
        "denas",
        "obar",
    )
]
STRANGERS = ["Okafor", "Lindqvist", "Abernathy", "Kowalczyk", "Papadakis", "Oyelaran"]
LANGUAGES = ("es", "zh", "vi", "ko", "tl", "en")


def _typo(word: str) -> str:
    i = len(word) // 2
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def build_world(engine: Engine, contacts: int, share: float) -> tuple[int, list[dict[str, Any]]]:
    """Organizations, contacts with memberships, the election, the holdout drawn."""
    rng = random.Random(1)
    now = utcnow()
    with engine.begin() as conn:
        orgs = [
            int(
                conn.execute(
                    insert(tables.ORGANIZATIONS)
                    .values(slug=f"org-{i}", name=f"Org {i}", is_admin=i == 0, created_at=now)
                    .returning(tables.ORGANIZATIONS.c.id)
                ).scalar_one()
            )
            for i in range(8)
        ]
        election_id = save_election(
            conn, values={"name": "General", "date": DATE}, source="cli", now=now
        )
    people: list[dict[str, Any]] = []
    for i in range(contacts):
        kind = "voter_id" if i % 10 < 4 else "keys" if i % 10 < 7 else "name_zip"
        people.append(
            {
                "i": i,
                "phone": f"+1213{i:07d}",
                "language": LANGUAGES[i % len(LANGUAGES)],
                "org": orgs[i % len(orgs)],
                "first": GIVEN[i % len(GIVEN)],
                "last": FAMILY[(i // len(GIVEN)) % len(FAMILY)],
                "zip": f"9{(i // (len(GIVEN) * len(FAMILY))) % 10000:04d}",
                "dob": dt.date(
                    1940 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28)
                ),
                "kind": kind,
            }
        )
    with engine.begin() as conn:
        for start in range(0, contacts, 20_000):
            chunk = people[start : start + 20_000]
            conn.execute(
                insert(tables.CONTACTS),
                [
                    {
                        "phone": p["phone"],
                        "language": p["language"],
                        "opted_out": False,
                        "reminders": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in chunk
                ],
            )
        c = tables.CONTACTS.c
        ids = dict(conn.execute(select(c.phone, c.id)).all())
        for p in people:
            p["contact_id"] = int(ids[p["phone"]])
        for start in range(0, contacts, 20_000):
            conn.execute(
                insert(tables.MEMBERSHIPS),
                [
                    {
                        "organization_id": p["org"],
                        "contact_id": p["contact_id"],
                        "first_name": p["first"],
                        "last_name": p["last"],
                        "zip": p["zip"],
                        "external_id": f"CA{p['i']:09d}" if p["kind"] == "voter_id" else None,
                        "birth_date": p["dob"] if p["kind"] == "keys" else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in people[start : start + 20_000]
                ],
            )
        experiment = ensure_experiment(conn, election_date=DATE, share=share, now=now, seed=42)
        assign(conn, experiment, [Member(p["contact_id"], p["language"]) for p in people], now)
    return election_id, people


def write_history(path: Path, people: list[dict[str, Any]], rows: int) -> int:
    """The rows-layout file: five elections per voter, half the voters strangers."""
    rng = random.Random(2)
    voters = rows // 5
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("VoterID,FirstName,LastName,DOB,Zip,Address,ElectionDate,Voted,VoteMethod\n")
        for v in range(voters):
            if v % 2 == 0 and v // 2 < len(people):
                p = people[v // 2]
                vid = f"CA{p['i']:09d}" if p["kind"] == "voter_id" else f"X{v:09d}"
                last = (
                    _typo(p["last"]) if p["kind"] == "name_zip" and p["i"] % 20 == 0 else p["last"]
                )
                first, zip_code, dob = p["first"], p["zip"], p["dob"].strftime("%m/%d/%Y")
                house = f"{p['i'] // 2} Main St"
            else:
                vid = f"X{v:09d}"
                first, last = GIVEN[v % len(GIVEN)], STRANGERS[v % len(STRANGERS)]
                zip_code, dob, house = f"9{v % 10000:04d}", "01/02/1970", f"{v} Elm St"
            for n, when in enumerate((DATE.isoformat(), *PRIOR)):
                voted = rng.random() < (0.55 if n == 0 else 0.5)
                method = "VBM" if voted and rng.random() < 0.7 else ("P" if voted else "")
                out.write(
                    f"{vid},{first},{last},{dob},{zip_code},{house},{when},"
                    f"{'Y' if voted else 'N'},{method}\n"
                )
                written += 1
    return written


def measure(db: str, file: str) -> None:
    """The child: import and report, timed; prints JSON."""
    engine = make_engine(f"sqlite:///{db}")
    started = time.perf_counter()
    report = import_history(engine, path=Path(file), election_id=1, now=utcnow())
    imported = time.perf_counter() - started
    with engine.connect() as conn:
        lift = lift_report(conn, caller=operator(), election_id=1)
    total = time.perf_counter() - started
    overall = report_rows(lift)[0]
    print(
        json.dumps(
            {
                "rows": report.rows,
                "unreadable": report.unreadable,
                "matched_contacts": report.matched_contacts,
                "by_method": report.by_method,
                "import_seconds": round(imported, 2),
                "report_seconds": round(total - imported, 2),
                "total_seconds": round(total, 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "cpu_seconds": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_utime
                    + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
                    1,
                ),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "report_rows": len(lift.rows),
                "overall": {
                    k: overall[k] for k in ("treated", "control", "itt", "ci_low", "ci_high")
                },
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--measure", nargs=2, metavar=("DB", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return
    with tempfile.TemporaryDirectory() as work:
        db = Path(work) / "lift.db"
        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        started = time.perf_counter()
        _election, people = build_world(engine, args.contacts, args.share)
        world_seconds = time.perf_counter() - started
        engine.dispose()
        history = Path(work) / "history.csv"
        rows = write_history(history, people, args.rows)
        size_mb = history.stat().st_size / 1e6
        child = subprocess.run(
            [sys.executable, "-m", "bench.lift", "--measure", str(db), str(history)],
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(child.stdout.strip().splitlines()[-1])
    found |= {
        "contacts": args.contacts,
        "file_rows": rows,
        "file_mb": round(size_mb, 1),
        "world_and_assignment_seconds": round(world_seconds, 1),
        "database": "sqlite",
    }
    print(json.dumps(found, indent=2))
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"lift-{stamp}.json").write_text(json.dumps(found, indent=2) + "\n")


if __name__ == "__main__":
    main()
