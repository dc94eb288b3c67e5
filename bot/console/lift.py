"""The console's lift pages (see docs/console.md): an election's holdout and measured lift,
turnout by arm with 95% interval bars per organization and language (SVG charts, the numbers as
tables and CSV), the vote-history upload (coalition admins), and the blast composer's
minimum-detectable-effect preview. A partner sees the results of its own contacts only.
Thin routes over `bot.lift`."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Connection, select
from starlette.datastructures import UploadFile

from bot.accounts.sessions import Signed
from bot.console.blasts import _audience
from bot.console.charts import Series, bar_chart, csv_response, svg_response
from bot.console.deps import MAX_ID, audited, check_csrf, given_id, parts, path_id, signed_in
from bot.console.holdout import holdout_share
from bot.console.pages import page
from bot.console.web import UI_LANGUAGES, catalog
from bot.contacts.imports.reader import stream_to
from bot.errors import Invalid, NotFound, TooLarge
from bot.lift.estimate import CSV_COLUMNS, Report, lift_report, report_rows
from bot.lift.history import import_history, imports_of
from bot.lift.holdouts import default_baseline, reminder_holdout
from bot.lift.mde import minimum_detectable_effect
from bot.sending import progress
from bot.sending.drafts import AudienceIn, SendContext
from bot.tables import ELECTIONS, LIFT_EXPERIMENTS

router = APIRouter()
Z95 = 1.959963984540054


def _gettext(language: str) -> Callable[[str], str]:
    return catalog(language if language in UI_LANGUAGES else "en").gettext


def _elections(conn: Connection) -> list[Any]:
    """Elections with a holdout, newest first."""
    e, x = ELECTIONS.c, LIFT_EXPERIMENTS.c
    return list(
        conn.execute(
            select(e.id, e.name, e.date, x.share)
            .join(LIFT_EXPERIMENTS, x.election_date == e.date)
            .order_by(e.date.desc(), e.id)
        )
    )


def _chosen(request: Request, conn: Connection) -> int | None:
    raw = request.query_params.get("election", "")
    if raw:
        return path_id(raw)
    found = _elections(conn)
    return int(found[0].id) if found else None


def _arm_interval(rate: float | None, n: int) -> tuple[float, float]:
    """A 95% interval of one arm's turnout (normal approximation), for the chart's bars."""
    if rate is None or n <= 0:
        return 0.0, 0.0
    half = Z95 * math.sqrt(max(rate * (1 - rate), 0.0) / n)
    return max(0.0, rate - half), min(1.0, rate + half)


def _context(
    request: Request, conn: Connection, signed: Signed, election_id: int | None
) -> dict[str, Any]:
    report: Report | None = None
    holdout = None
    imports: list[Any] = []
    if election_id is not None:
        report = lift_report(conn, caller=signed.caller, election_id=election_id)
        holdout = reminder_holdout(conn, election_id=election_id)
        if signed.caller.is_admin:
            imports = imports_of(conn, report.election_date)
    e = ELECTIONS.c
    return {
        "active": "lift",
        "elections": _elections(conn),
        "all_elections": list(conn.execute(select(e.id, e.name, e.date).order_by(e.date.desc()))),
        "election_id": election_id,
        "report": report,
        "rows": report_rows(report) if report is not None else [],
        "holdout": holdout,
        "imports": imports,
        "problems": [],
    }


@router.get("/lift", response_class=HTMLResponse)
def lift_page(request: Request) -> Response:
    """An election's holdout and lift (the newest with a holdout unless one is chosen)."""
    with signed_in(request) as (conn, signed, _now):
        election_id = _chosen(request, conn)
        context = _context(request, conn, signed, election_id)
    return page(request, "lift.html", context, signed)


def _report(request: Request, election_id: int) -> tuple[Report, Signed]:
    if not 0 < election_id <= MAX_ID:
        raise NotFound()
    with signed_in(request) as (conn, signed, _now):
        return lift_report(conn, caller=signed.caller, election_id=election_id), signed


@router.get("/lift/{election_id}.csv")
def lift_csv(request: Request, election_id: int) -> Response:
    """The report's rows as CSV (a partner: its own contacts only)."""
    report, _signed = _report(request, election_id)
    rows = report_rows(report)
    return csv_response(
        CSV_COLUMNS,
        ([row[c] for c in CSV_COLUMNS] for row in rows),
        f"lift-{report.election_date.isoformat()}.csv",
    )


@router.get("/lift/{election_id}/{group}.svg")
def lift_chart(request: Request, election_id: int, group: str) -> Response:
    """Turnout by arm with 95% interval bars: overall and per organization (`organization`)
    or per language (`language`)."""
    if group not in ("organization", "language"):
        raise NotFound()
    report, signed = _report(request, election_id)
    _ = _gettext(signed.ui_language)
    rows = [r for r in report_rows(report) if r["group"] in ("all", group)]
    labels = [_("Everyone") if r["group"] == "all" else (r["value"] or _("none")) for r in rows]
    series = []
    for arm, name in (("treated", _("Messaged")), ("control", _("Held back"))):
        values = [r[f"turnout_{arm}"] or 0.0 for r in rows]
        bounds = [_arm_interval(r[f"turnout_{arm}"], r[arm]) for r in rows]
        series.append(
            Series(
                name,
                tuple(labels),
                tuple(values),
                low=tuple(b[0] for b in bounds),
                high=tuple(b[1] for b in bounds),
            )
        )
    title = _("Turnout by organization") if group == "organization" else _("Turnout by language")
    return svg_response(bar_chart(series, title=title, y_label=_("Turnout"), percent=True))


@router.post("/lift/upload", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    """Import a vote-history file for an election (coalition admins)."""
    form = await request.form()
    try:
        return _upload(request, form)
    finally:
        await form.close()


def _upload(request: Request, form: Any) -> Response:
    console = parts(request)
    settings = console.settings
    sent = form.get("file")
    raw_election = str(form.get("election") or "")
    mapping_text = str(form.get("mapping") or "")
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_admin()
        _ = _gettext(signed.ui_language)
        problems: list[tuple[str, str]] = []
        if given_id(raw_election) is None:
            problems.append(("election", _("Election: choose one.")))
        if not isinstance(sent, UploadFile) or not sent.filename:
            problems.append(("file", _("File: choose a vote-history file.")))
        mapping: dict[str, str] = {}
        for line in mapping_text.splitlines():
            if not line.strip():
                continue
            column, sep, target = line.rpartition("=")
            if not sep or not column.strip():
                problems.append(("mapping", _("Columns: write one COLUMN=field a line.")))
                break
            mapping[column.strip()] = target.strip()
        if problems:
            context = _context(request, conn, signed, None)
            context["problems"] = problems
            return page(request, "lift.html", context, signed, 422)
    election_id = int(raw_election)
    assert isinstance(sent, UploadFile) and sent.filename
    folder = Path(settings.import_dir) if settings.import_dir else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as work:
        stored = Path(work) / "history.csv"
        try:
            stream_to(sent.file, stored, limit=settings.import_max_bytes)
            report = import_history(
                console.engine,
                path=stored,
                election_id=election_id,
                mapping=mapping,
                filename=sent.filename,
                now=now,
                default_language=settings.default_language,
            )
        except (Invalid, TooLarge, NotFound) as exc:
            with signed_in(request) as (conn, signed, _now):
                context = _context(request, conn, signed, None)
                missing = isinstance(exc, NotFound)
                detail = _("No such election.") if missing else exc.detail
                context["problems"] = [("file", detail)]
                status = 404 if missing else 413 if isinstance(exc, TooLarge) else 422
                return page(request, "lift.html", context, signed, status)
    with signed_in(request) as (conn, signed, now):
        audited(
            conn,
            signed,
            "lift.history_import",
            f"lift_import:{report.import_id}",
            now,
            detail={
                "election_id": election_id,
                "file": sent.filename,
                "rows": report.rows,
                "matched": report.matched_contacts,
            },
        )
    return RedirectResponse(f"/console/lift?election={election_id}#imports", status_code=303)


@router.post("/lift/mde", response_class=HTMLResponse)
async def mde_preview(request: Request) -> Response:
    """The composer's preview of what a holdout can tell: arm sizes and the minimum
    detectable effect at 80% power, two-sided 5%, for the audience and a baseline."""
    form = await request.form()
    ctx = SendContext.of(parts(request).runtime)
    with signed_in(request) as (conn, signed, _now):
        check_csrf(request, signed, form)
        share = holdout_share(form)
        audience = 0
        problem = None
        try:
            body = AudienceIn.model_validate(_audience(form))
            audience = sum(
                progress.audience_counts(conn, caller=signed.caller, body=body, ctx=ctx).values()
            )
        except (ValidationError, Invalid):
            problem = "audience"
        raw = str(form.get("holdout_baseline") or "").strip().rstrip("%")
        try:
            baseline = float(raw) / 100 if raw else default_baseline(conn)
        except ValueError:
            baseline = default_baseline(conn)
        found = minimum_detectable_effect(audience, share, baseline) if 0 < share <= 0.5 else None
    context = {"found": found, "share": share, "problem": problem, "audience": audience}
    return page(request, "blast_holdout_mde.html", context, signed)
