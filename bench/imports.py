"""Contact import throughput and memory: the full import of a messy CSV against a plain bulk
load of the same rows already normalized, on PostgreSQL and SQLite.

    python -m bench.imports [--rows 1000000] [--backends sqlite,postgresql]

The file is synthetic and messy the way partners' exports are (a BOM, CRLF, a dozen phone
formats, `.0` and scientific-notation phones, ZIPs that lost their zeros, quoted commas,
language names in several languages, several date formats, repeated phones, blank lines).

- baseline: the rows the importer would stage (normalized, merged by phone), written once
  beforehand as CSV, then loaded into an equivalent table (same columns, phone unique): COPY
  FROM STDIN on PostgreSQL, executemany in one transaction on SQLite. Only the load is timed.
- import: `run_import` in a child process on a freshly migrated database, from the raw file
  to contacts, memberships and consent events; peak RSS is the child's.

PostgreSQL: a throwaway database at TURNOUT_BENCH_POSTGRES_URL (default postgres@127.0.0.1).
`--without-foreign-keys` adds a PostgreSQL run with the foreign keys of memberships and
consent_events dropped (on the throwaway database only), to show what their per-row checks cost.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.scratch import scratch_database
from bot.contacts.imports.columns import FIELDS

RESULTS = Path(__file__).parent / "results"
DATABASE = "turnout_bench_imports"
AREAS = (213, 323, 310, 424, 818, 747, 626, 562, 714, 657, 909, 951, 415, 510, 408)
FORMATS = (
    "({a}) {b}-{c}",
    "{a}-{b}-{c}",
    "+1{a}{b}{c}",
    "{a}.{b}.{c}",
    "1 {a} {b} {c}",
    "{a}{b}{c}",
    "+1 ({a}) {b}-{c}",
    "{a}{b}{c}.0",
)
FIRST = (
    "María José",
    "José",
    "Nguyễn Văn",
    "Wei",
    "Ji-woo",
    "Juan Carlos",
    "Linh",
    "Mei",
    "Ana",
    "Sokha",
    "Somchai",
    "Priya",
    "Rizal",
    "Yuki",
)
LAST = (
    "García",
    "Hernández",
    "Trần",
    "Chen",
    "Kim",
    "Santos",
    "López",
    "Phạm",
    "Wong",
    "Reyes",
    "Sok",
    "Sharma",
    "Tanaka",
    "O'Brien",
    "Smith, Jr.",
)
LANGUAGES = (
    "Spanish",
    "español",
    "es",
    "Chinese (Mandarin)",
    "Cantonese",
    "Tiếng Việt",
    "Korean",
    "Tagalog",
    "Filipino",
    "Hindi",
    "Japanese",
    "Khmer",
    "Thai",
    "English",
    "",
    "N/A",
)
DATES = ("2024-03-05", "3/5/2024", "03/05/24", "2024-03-05 14:30:00", "Mar 5, 2024", "")
ZIPS = ("90012", "2134", "90033-1234", "", "900121234", "91754")
HEADER = (
    "VANID",
    "FirstName",
    "LastName",
    "CellPhone",
    "Zip5",
    "Language",
    "Email",
    "OptInDate",
    "Source",
)
STAGED = FIELDS  # the columns the importer stages
BASELINE_TABLE = (
    "CREATE TABLE bench_baseline (id {pk}, phone VARCHAR(20) NOT NULL UNIQUE, "
    "first_name VARCHAR(100), last_name VARCHAR(100), zip VARCHAR(16), email VARCHAR(254), "
    "external_id VARCHAR(64), language VARCHAR(16), opted_in_at {ts}, "
    "consent_source VARCHAR(200))"
)


def _phone(i: int) -> str:
    # A bijection of i onto valid Los Angeles-area numbers: 7919 is prime to 8,000,000.
    line = (i // len(AREAS) * 7919) % 8_000_000 + 2_000_000
    digits = f"{line:07d}"
    shape = FORMATS[i % len(FORMATS)]
    return shape.format(a=AREAS[i % len(AREAS)], b=digits[:3], c=digits[3:])


def _row(i: int) -> list[str]:
    phone = _phone(i)
    if i % 50 == 49:
        phone = _phone(i - 17)  # a repeat within the file
    elif i % 100 == 1:
        phone = "3.23555E+09"  # a spreadsheet ate it
    elif i % 200 == 3:
        phone = f"555-01{i % 100:02d}"  # no area code
    return [
        str(100_000 + i),
        FIRST[i % len(FIRST)],
        LAST[i % len(LAST)],
        phone,
        ZIPS[i % len(ZIPS)],
        LANGUAGES[i % len(LANGUAGES)],
        f"voter{i}@example.org",
        DATES[i % len(DATES)],
        "door knock" if i % 3 else "",
    ]


def generate(path: Path, rows: int) -> None:
    """A messy partner export of `rows` rows, streamed to disk."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(rows):
            if i % 1000 == 999:
                fh.write("\r\n")  # a blank line
            writer.writerow(_row(i))


def normalized_csv(raw: Path, out: Path) -> int:
    """The rows the importer stages, written as CSV (empty = NULL); how many."""
    from bot.clock import utcnow
    from bot.contacts.imports.batches import batches
    from bot.contacts.imports.columns import resolve
    from bot.contacts.imports.languages import LanguageNames
    from bot.contacts.imports.normalize import RowNormalizer, consent_datetime
    from bot.contacts.imports.reader import open_table
    from messages.catalog import Catalogs

    written = 0
    with open_table(raw) as table, out.open("w", encoding="utf-8", newline="") as fh:
        normalize = RowNormalizer(
            columns=resolve(table.header),
            region="US",
            languages=LanguageNames.from_catalogs(Catalogs.load()),
            opted_in_at=consent_datetime(date(2024, 5, 1)),
            source="festival",
            now=utcnow(),
        )
        writer = csv.writer(fh)
        for batch in batches(table.rows, normalize, size=10_000):
            for staged in batch.staged:
                writer.writerow(
                    [
                        "" if v is None else v.isoformat() if hasattr(v, "isoformat") else v
                        for v in staged[: len(STAGED)]
                    ]
                )
                written += 1
    return written


def database(backend: str, workdir: Path) -> str:
    """A fresh, empty database URL for a backend."""
    return scratch_database(backend, workdir, DATABASE)


def baseline(backend: str, url: str, normalized: Path) -> float:
    """Seconds to bulk-load the normalized rows into an equivalent table."""
    if backend == "postgresql":
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            conn.execute(BASELINE_TABLE.format(pk="SERIAL PRIMARY KEY", ts="TIMESTAMPTZ"))
            conn.commit()
            started = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy(
                    f"COPY bench_baseline ({', '.join(STAGED)}) FROM STDIN (FORMAT csv)"
                ) as copy,
                normalized.open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            conn.commit()
            return time.perf_counter() - started
    lite = sqlite3.connect(url.removeprefix("sqlite:///"))
    lite.execute(BASELINE_TABLE.format(pk="INTEGER PRIMARY KEY", ts="DATETIME"))
    insert = (
        f"INSERT INTO bench_baseline ({', '.join(STAGED)}) "  # noqa: S608  (ours)
        f"VALUES ({', '.join('?' * len(STAGED))})"
    )
    started = time.perf_counter()
    with normalized.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        while rows := [
            [v or None for v in row] for _, row in zip(range(10_000), reader, strict=False)
        ]:
            lite.executemany(insert, rows)
    lite.commit()
    seconds = time.perf_counter() - started
    lite.close()
    return seconds


def _drop_foreign_keys(engine: Any) -> None:
    """An experiment on the throwaway database: no per-row foreign-key checks."""
    from sqlalchemy import inspect

    with engine.begin() as conn:
        for table in ("memberships", "consent_events"):
            for fk in inspect(conn).get_foreign_keys(table):
                conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{fk["name"]}"'))


def child(url: str, raw: Path, without_fks: bool = False) -> dict[str, Any]:
    """In the child process: migrate, then time the whole import."""
    from bot.clock import utcnow
    from bot.contacts.imports.intake import consent_basis, create_import
    from bot.contacts.imports.languages import LanguageNames
    from bot.contacts.imports.runner import ImportOptions, run_import
    from bot.contacts.organizations import create_organization
    from bot.db import make_engine, session_scope
    from bot.migrate import upgrade
    from messages.catalog import Catalogs

    engine = make_engine(url)
    upgrade(engine)
    if without_fks:
        _drop_foreign_keys(engine)
    languages = LanguageNames.from_catalogs(Catalogs.load())
    basis = consent_basis(
        description="Door-knocking sign-up sheets, spring 2024",
        language="es",
        collected_on=date(2024, 5, 1),
        source="festival",
        languages=languages,
        today=date.today(),
    )
    with session_scope(engine) as session:
        org, _ = create_organization(
            session=session, name="Bench", slug=None, is_admin=False, now=utcnow()
        )
        assert org.id is not None
        imp = create_import(
            session=session,
            organization_id=org.id,
            filename=raw.name,
            stored_path=raw,
            basis=basis,
            mapping=None,
            dry_run=False,
            now=utcnow(),
        )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    done = run_import(
        engine=engine,
        import_id=imp.id or 0,
        timings=timings,
        options=ImportOptions(region="US", languages=languages),
    )
    seconds = time.perf_counter() - started
    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    hwm = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
    )
    counted = {
        name: getattr(done, name)
        for name in (
            "rows",
            "new_contacts",
            "new_memberships",
            "duplicates",
            "rejected",
            "warnings",
        )
    }
    return {
        "seconds": seconds,
        "status": done.status,
        "counts": counted,
        "timings": timings,
        "peak_kb": max(hwm, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
    }


def run_child(url: str, raw: Path, without_fks: bool = False) -> dict[str, Any]:
    """The import in its own process, so that its peak memory is its own."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.imports",
            "--child",
            url,
            str(raw),
            *(["--without-foreign-keys"] if without_fks else []),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _tables(rows: int, results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"{rows:,} rows; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs.",
        "",
        "| database | baseline | baseline s | rows/s | import s | rows/s | ratio | peak RSS |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, r in results.items():
        kind = "executemany" if backend == "sqlite" else "COPY"
        lines.append(
            f"| {backend} | {kind} | {r['baseline']:.1f} | {r['staged'] / r['baseline']:,.0f} | "
            f"{r['seconds']:.1f} | {rows / r['seconds']:,.0f} | "
            f"{(rows / r['seconds']) / (r['staged'] / r['baseline']):.2f} | "
            f"{r['peak_kb'] / 1024:.0f} MB |"
        )
    steps = sorted({s for r in results.values() for s in r["timings"]} - {"total"})
    lines += [
        "",
        "Import time by step (seconds; `read+normalize` is time spent waiting for "
        "rows, which overlaps the database's work on PostgreSQL):",
        "",
        f"| database | {' | '.join(steps)} |",
        f"| --- |{' ---: |' * len(steps)}",
    ]
    for backend, r in results.items():
        cells = " | ".join(f"{r['timings'].get(s, 0):.1f}" for s in steps)
        lines.append(f"| {backend} | {cells} |")
    first = next(iter(results.values()))["counts"]
    lines += ["", "Counts: " + ", ".join(f"{k} {v:,}" for k, v in first.items()) + "."]
    return "\n".join(lines)


def main() -> None:
    """Generate, load, import, and print (and save) the Markdown tables."""
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        without = "--without-foreign-keys" in sys.argv[4:]
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]), without)))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--without-foreign-keys",
        action="store_true",
        help="also run PostgreSQL without the foreign keys (an experiment)",
    )
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        raw, normalized = workdir / "partner-export.csv", workdir / "normalized.csv"
        generate(raw, args.rows)
        staged = normalized_csv(raw, normalized)
        print(
            f"{args.rows:,} rows generated ({raw.stat().st_size / 1e6:.0f} MB), "
            f"{staged:,} to stage",
            file=sys.stderr,
        )
        for backend in args.backends.split(","):
            seconds = baseline(backend, database(backend, workdir), normalized)
            print(f"{backend}: baseline {seconds:.1f} s", file=sys.stderr)
            imported = run_child(database(backend, workdir), raw)
            print(f"{backend}: import {imported['seconds']:.1f} s", file=sys.stderr)
            results[backend] = {"baseline": seconds, "staged": staged, **imported}
            if backend == "postgresql" and args.without_foreign_keys:
                bare = run_child(database(backend, workdir), raw, without_fks=True)
                print(
                    f"{backend} without foreign keys: import {bare['seconds']:.1f} s",
                    file=sys.stderr,
                )
                results["postgresql, no FKs"] = {"baseline": seconds, "staged": staged, **bare}
    report = _tables(args.rows, results)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.md").write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
