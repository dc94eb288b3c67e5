"""Voter-data imports started from the console: the importers of `turnout places import` and
`turnout voters import`, run one at a time in a thread of the web process. Their progress is
kept in memory for the page to poll (the sources' own status is in the database: `importing`,
`active`, `failed`); the report, its problems grouped by kind, goes into the audit log, where
the voter-data page reads it back.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import Connection, Engine, select

from bot.access import Caller
from bot.accounts import audit
from bot.clock import utcnow
from bot.errors import Conflict, Invalid, TooLarge, TurnoutError
from bot.tables import AUDIT_EVENTS, PLACE_SOURCES, VOTER_ROLLS
from bot.voter.bulk import ImportReport
from bot.voter.places.importer import import_places
from bot.voter.roll.loader import import_voters

log = logging.getLogger(__name__)
Kind = Literal["places", "roll"]
KINDS: tuple[Kind, ...] = ("places", "roll")
PLACE_STAGES = ("places", "precincts", "street_segments")
EXAMPLES = 5  # problems shown per group
GROUPS = 50  # groups kept per report
KEPT = 20  # finished imports kept in memory
ACTION = "voterdata.import"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"[-+]?\d[\d.,:/-]*")


@dataclass
class Upload:
    """One import started from the console, as it goes."""

    id: str
    kind: Kind
    file_name: str
    user_id: int | None
    organization_id: int | None
    started_at: dt.datetime
    stage: str = "reading"
    done: int = 0
    total: int | None = None  # rows of a roll (its lines); a feed's stages are its steps
    status: str = "running"  # running, done, failed
    error: str | None = None
    summary: dict[str, Any] | None = None
    finished_at: dt.datetime | None = None

    @property
    def step(self) -> tuple[int, int]:
        """(value, max) for a progress bar: rows of a roll, stages of a feed."""
        if self.kind == "roll":
            total = max(self.total or 0, self.done, 1)
            return (total if self.status != "running" else min(self.done, total)), total
        if self.status != "running":
            return len(PLACE_STAGES), len(PLACE_STAGES)
        index = PLACE_STAGES.index(self.stage) if self.stage in PLACE_STAGES else -1
        return index + 1, len(PLACE_STAGES)


@dataclass
class _Registry:
    jobs: dict[str, Upload] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: dict[str, threading.Thread] = field(default_factory=dict)


_REGISTRY = _Registry()


def job(job_id: str) -> Upload | None:
    """An import started from this process, by id."""
    return _REGISTRY.jobs.get(job_id)


def jobs() -> list[Upload]:
    """The imports started from this process, newest first."""
    return sorted(_REGISTRY.jobs.values(), key=lambda j: j.started_at, reverse=True)


def running() -> Upload | None:
    """The import running now, if any."""
    return next((j for j in _REGISTRY.jobs.values() if j.status == "running"), None)


def wait(job_id: str, timeout: float = 60.0) -> Upload | None:
    """Wait for an import to end (tests, the command line)."""
    thread = _REGISTRY.threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
    return job(job_id)


def start(
    engine: Engine,
    *,
    caller: Caller,
    kind: str,
    file_name: str,
    stream: IO[bytes],
    max_bytes: int,
    folder: str | None,
    now: dt.datetime,
) -> Upload:
    """Keep the uploaded file and import it in a thread (coalition admins; one at a time)."""
    caller.require_admin()
    if kind not in KINDS:
        raise Invalid("kind: choose polling places or the voter roll", where="kind")
    name = _SAFE.sub("_", Path(file_name or "").name)[-120:].strip("._") or "upload"
    if kind == "places" and not name.lower().endswith((".xml", ".zip", ".csv")):
        raise Invalid("file: a VIP feed (.xml or .zip) or a places CSV (.csv)", where="file")
    if kind == "roll" and not name.lower().endswith((".csv", ".txt")):
        raise Invalid("file: the voter roll as a CSV file (.csv)", where="file")
    with _REGISTRY.lock:
        if running() is not None:
            raise Conflict("an import is running: wait until it has finished")
        where = Path(tempfile.mkdtemp(prefix="turnout-voterdata-", dir=folder))
        path = where / name
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        size = path.stat().st_size
        if size == 0 or size > max_bytes:
            shutil.rmtree(where, ignore_errors=True)
            if size == 0:
                raise Invalid("file: the file is empty", where="file")
            raise TooLarge(f"file: larger than {max_bytes:,} bytes")
        upload = Upload(
            id=secrets.token_hex(8),
            kind="places" if kind == "places" else "roll",
            file_name=name,
            user_id=caller.user_id,
            organization_id=caller.organization_id,
            started_at=now,
            total=_lines(path) if kind == "roll" else None,
        )
        _forget_old()
        _REGISTRY.jobs[upload.id] = upload
        thread = threading.Thread(
            target=_run, args=(engine, upload, path), name=f"voterdata-{upload.id}", daemon=True
        )
        _REGISTRY.threads[upload.id] = thread
        thread.start()
    return upload


def _forget_old() -> None:
    """Keep the last KEPT finished imports in memory (their reports are in the audit log)."""
    finished = [j for j in jobs() if j.status != "running"]
    for old in finished[KEPT:]:
        _REGISTRY.jobs.pop(old.id, None)
        _REGISTRY.threads.pop(old.id, None)


def _lines(path: Path) -> int:
    """A roll's rows, about (its lines but the header)."""
    count = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count - 1, 0)


def _run(engine: Engine, upload: Upload, path: Path) -> None:
    report: ImportReport | None = None

    def places_progress(stage: str, done: int) -> None:
        upload.stage, upload.done = stage, done

    def roll_progress(done: int) -> None:
        upload.stage, upload.done = "rows", done

    try:
        if upload.kind == "places":
            report = import_places(
                engine=engine, path=path, now=upload.started_at, on_progress=places_progress
            )
        else:
            report = import_voters(
                engine=engine, path=path, now=upload.started_at, on_progress=roll_progress
            )
    except TurnoutError as exc:
        upload.status, upload.error = "failed", exc.detail[:2000]
    except Exception as exc:  # a bug or a broken database: said, and logged with its trace
        log.exception("voter-data import %s failed", upload.id)
        upload.status, upload.error = "failed", f"the import stopped: {type(exc).__name__}"
    else:
        upload.status = "done"
        if upload.kind == "roll":
            upload.done = report.counts.get("rows", upload.done)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    upload.finished_at = utcnow()
    upload.summary = summarize(upload, report)
    try:
        with engine.begin() as conn:
            subject = None
            if report is not None:
                table = "place_source" if upload.kind == "places" else "voter_roll"
                subject = f"{table}:{report.source_id}"
            audit.record(
                conn,
                user_id=upload.user_id,
                organization_id=upload.organization_id,
                action=ACTION,
                subject=subject,
                now=upload.finished_at,
                detail=upload.summary,
            )
    except Exception:
        log.exception("voter-data import %s: its audit row was not written", upload.id)


def problem_kind(text: str) -> str:
    """A problem's text without its values: what problems of one kind share."""
    return _NUMBER.sub("N", _QUOTED.sub("'…'", text)).strip()


def grouped(report: ImportReport) -> list[dict[str, Any]]:
    """A report's problems by kind (the element or column, and the problem without its
    values), the most frequent first, each with a few examples."""
    groups: dict[str, dict[str, Any]] = {}

    def add(key: str, example: str) -> None:
        group = groups.setdefault(key, {"kind": key, "count": 0, "examples": []})
        group["count"] += 1
        if len(group["examples"]) < EXAMPLES:
            group["examples"].append(example[:300])

    for problem in report.problems:
        key = f"{problem.element}: {problem_kind(problem.problem)}"
        add(key, f"{problem.source_id}: {problem.problem}")
    for error in report.row_errors:
        where = f"column {error.column}" if error.column else "row"
        add(f"{where}: {problem_kind(error.problem)}", f"row {error.row}: {error.problem}")
    ordered = sorted(groups.values(), key=lambda g: (-g["count"], g["kind"]))
    return ordered[:GROUPS]


def summarize(upload: Upload, report: ImportReport | None) -> dict[str, Any]:
    """What the audit row keeps of an import: the file, the outcome, counts, problems."""
    summary: dict[str, Any] = {
        "kind": upload.kind,
        "file": upload.file_name,
        "status": upload.status,
        "error": upload.error,
    }
    if report is not None:
        summary |= {
            "source_id": report.source_id,
            "counts": dict(report.counts),
            "problem_count": report.problem_count,
            "problems": grouped(report),
            "seconds": round(report.seconds, 1),
        }
    return summary


@dataclass(frozen=True)
class SourceStatus:
    """A polling-place source or a voter roll, as the voter-data page lists it."""

    kind: Kind
    id: int
    name: str
    file_name: str
    status: str
    dated: dt.date | None  # a feed's own date
    imported_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, int]
    problem_count: int
    error: str | None
    problems: list[dict[str, Any]]  # grouped, when the console imported it


def _reports(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    a = AUDIT_EVENTS.c
    rows = conn.execute(
        select(a.subject, a.detail).where(a.action == ACTION).order_by(a.id.desc()).limit(200)
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for subject, detail in rows:
        if subject and subject not in found and isinstance(detail, dict):
            found[subject] = list(detail.get("problems") or [])
    return found


def sources(conn: Connection, *, caller: Caller, limit: int = 20) -> list[SourceStatus]:
    """Polling-place sources and voter rolls, newest first (coalition admins)."""
    caller.require_admin()
    reports = _reports(conn)
    s, r = PLACE_SOURCES.c, VOTER_ROLLS.c
    found: list[SourceStatus] = []
    for row in conn.execute(select(PLACE_SOURCES).order_by(s.id.desc()).limit(limit)):
        found.append(
            SourceStatus(
                "places",
                row.id,
                row.name,
                row.file_name,
                row.status,
                row.feed_date,
                row.imported_at,
                row.finished_at,
                dict(row.counts or {}),
                int(row.problems or 0),
                row.error,
                reports.get(f"place_source:{row.id}", []),
            )
        )
    for row in conn.execute(select(VOTER_ROLLS).order_by(r.id.desc()).limit(limit)):
        counts = {
            "rows": row.rows,
            "imported": row.imported,
            "rejected": row.rejected,
            "not_registered": row.not_registered,
        }
        found.append(
            SourceStatus(
                "roll",
                row.id,
                row.file_name,
                row.file_name,
                row.status,
                None,
                row.imported_at,
                row.finished_at,
                counts,
                int(row.rejected or 0),
                row.error,
                reports.get(f"voter_roll:{row.id}", []),
            )
        )
    return found
