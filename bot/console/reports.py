"""The console's reports: reach and response by day, language, organization and county, as
charts (SVG drawn on the server, each its own route), the same numbers as tables on the page
(for screen readers) and as CSV. A coalition admin sees the coalition's totals and each
organization side by side, or one organization; a partner sees its own (another's is a 404).
The figures come from `bot.reports`; see docs/console.md."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.access import Caller
from bot.console.charts import Series, bar_chart, csv_response, line_chart, svg_response
from bot.console.deps import given_id, parts, signed_in
from bot.console.pages import page
from bot.console.web import UI_LANGUAGES, catalog
from bot.db import read_only
from bot.errors import NotFound
from bot.reports import figures, scoping
from bot.reports.attention import CONFIG_ERRORS
from bot.reports.figures import Figures, Report
from bot.twilio.codes import REASONS

router = APIRouter()
# Matplotlib says at INFO, for every chart of days, that the labels look like dates.
logging.getLogger("matplotlib.category").setLevel(logging.WARNING)
REUSE_SECONDS = 10.0

# What each figure is called (translated in bot/console/locale/es/reports.po).
LABELS = {
    "inbound": "Texts received",
    "texters": "Voters who texted",
    "answered": "Voters answered",
    "where_to_vote": "Asked where to vote",
    "registration": "Checked registration",
    "reminders": "Opted in to reminders",
    "opt_outs": "Opted out",
    "handoffs": "Asked for a person",
    "answered_handoffs": "Answered by a person",
    "messages": "Blast messages sent",
    "delivered": "Delivered",
    "failed": "Failed or undelivered",
}
WORDS = (
    "Day",
    "Language",
    "County",
    "Organization",
    "Blast",
    "Started",
    "Messages sent",
    "Opt-out rate",
    "Error code",
    "Meaning",
    "Messages",
    "Median minutes to a first answer",
    "Unknown",
    "Whole coalition",
    "Reach by day",
    "Questions by day",
    "By language",
    "By organization",
    "By county",
    "Requests for a person by day",
    "Opt-outs per blast",
    "Blast delivery by day",
    "Failures by error code",
    "voters",
    "messages",
)


@dataclass(frozen=True)
class Table:
    """A chart's numbers: its title, header and rows (the first column labels the rest)."""

    name: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    numeric: int = 1  # columns from this one on are numbers (right-aligned)


def organization_param(request: Request) -> int | None:
    """?organization= as an id, or None (blank or not a number)."""
    return given_id(request.query_params.get("organization"))


def days_param(request: Request) -> int:
    """?days= as one of the offered windows (7 otherwise)."""
    found = given_id(request.query_params.get("days"))
    return found if found in scoping.DAY_CHOICES else 7


def _strings(language: str) -> Callable[[str], str]:
    return catalog(language if language in UI_LANGUAGES else "en").gettext


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _language_names(request: Request) -> dict[str, str]:
    catalogs = parts(request).runtime.catalogs
    return {code: catalogs.by_language[code].name for code in catalogs.languages}


def _row(label: Any, figs: Figures, metrics: Sequence[str]) -> list[Any]:
    return [label, *(figs[m] for m in metrics)]


def tables(report: Report, _: Callable[[str], str], languages: dict[str, str]) -> list[Table]:
    """Every table of a report, in the page's order."""

    def header(first: str, metrics: Sequence[str]) -> list[str]:
        return [_(first), *(_(LABELS[m]) for m in metrics)]

    def day(d: dt.date) -> str:
        return d.isoformat()

    reach = ("inbound", "texters", "answered")
    questions = ("where_to_vote", "registration", "reminders", "opt_outs")
    groups = ("texters", "where_to_vote", "registration", "reminders", "opt_outs")
    requests = ("handoffs", "answered_handoffs")
    delivery = ("messages", "delivered", "failed")
    unknown = _("Unknown")
    found = [
        Table(
            "reach",
            _("Reach by day"),
            header("Day", reach),
            [_row(day(d), f, reach) for d, f in report.by_day],
        ),
        Table(
            "questions",
            _("Questions by day"),
            header("Day", questions),
            [_row(day(d), f, questions) for d, f in report.by_day],
        ),
        Table(
            "languages",
            _("By language"),
            header("Language", groups),
            [
                _row(languages.get(code, code) if code else unknown, f, groups)
                for code, f in report.by_language
            ],
        ),
    ]
    if report.scope.coalition:
        org_metrics = (*groups, "handoffs", "messages")
        found.append(
            Table(
                "organizations",
                _("By organization"),
                [*header("Organization", org_metrics), _("Opt-out rate")],
                [
                    [*_row(name, f, org_metrics), _pct(f.opt_out_rate)]
                    for _id, name, f in report.by_organization
                ]
                + [
                    [
                        _("Whole coalition"),
                        *(report.total[m] for m in org_metrics),
                        _pct(report.total.opt_out_rate),
                    ]
                ],
            )
        )
    found += [
        Table(
            "counties",
            _("By county"),
            header("County", groups),
            [_row(county or unknown, f, groups) for county, f in report.by_county],
        ),
        Table(
            "handoffs",
            _("Requests for a person by day"),
            [*header("Day", requests), _("Median minutes to a first answer")],
            [[*_row(day(d), f, requests), _minutes(f.median_minutes)] for d, f in report.by_day],
        ),
        Table(
            "blasts",
            _("Opt-outs per blast"),
            [
                _("Blast"),
                _("Started"),
                _("Messages sent"),
                _(LABELS["opt_outs"]),
                _("Opt-out rate"),
            ],
            [
                [
                    b.name,
                    b.started_at.date().isoformat() if b.started_at else "",
                    b.sent,
                    b.opt_outs,
                    _pct(b.rate),
                ]
                for b in report.blasts
            ],
            numeric=2,
        ),
        Table(
            "deliveries",
            _("Blast delivery by day"),
            header("Day", delivery),
            [_row(day(d), f, delivery) for d, f in report.by_day],
        ),
        Table(
            "failures",
            _("Failures by error code"),
            [_("Error code"), _("Meaning"), _("Messages")],
            [[code, _meaning(code), n] for code, n in report.failures],
            numeric=2,
        ),
    ]
    return found


def _meaning(code: str) -> str:
    if code.isascii() and code.isdigit():
        number = int(code)
        return CONFIG_ERRORS.get(number) or REASONS.get(number, "").replace("_", " ")
    return code.replace("_", " ")


def chart(table: Table, _: Callable[[str], str]) -> str:
    """A table's chart, as an SVG document."""
    rows = table.rows[:-1] if table.name == "organizations" else table.rows  # not the total
    labels = [str(r[0]) for r in rows]
    if table.name in ("reach", "questions"):
        series = [
            Series.of(table.header[n], labels, [r[n] for r in rows])
            for n in range(1, len(table.header))
        ]
        return line_chart(series, title=table.title, y_label=_("voters"))
    if table.name == "blasts":
        rates = [b / s if s else 0.0 for b, s in ((r[3], r[2]) for r in rows)]
        series = [Series.of(table.header[4], labels, rates)]
        return bar_chart(series, title=table.title, horizontal=True, percent=True)
    if table.name == "failures":
        series = [Series.of(table.header[2], labels, [r[2] for r in rows])]
        return bar_chart(series, title=table.title, horizontal=True, y_label=_("messages"))
    columns = {"languages": 3, "organizations": 3, "counties": 2, "handoffs": 2, "deliveries": 3}
    count = columns.get(table.name, 1)
    series = [Series.of(table.header[n], labels, [r[n] for r in rows]) for n in range(1, 1 + count)]
    horizontal = table.name in ("counties", "organizations")
    return bar_chart(series, title=table.title, horizontal=horizontal)


def _scope(request: Request) -> tuple[scoping.Scope, Any, dt.datetime, Caller, list[Any]]:
    """The scope asked for (NotFound for another's organization), the signed-in person, now,
    and the organizations they may choose from."""
    with signed_in(request) as (conn, signed, now):
        scope = scoping.resolve(
            conn, caller=signed.caller, organization_id=organization_param(request)
        )
        choices = scoping.organizations(conn, caller=signed.caller)
    return scope, signed, now, signed.caller, choices


def _report(
    request: Request, scope: scoping.Scope, now: dt.datetime, *, fresh: bool = False
) -> Report:
    """The report asked for. The page computes it afresh; its charts and CSV files, asked for
    right after the page, reuse it for REUSE_SECONDS (kept by this app, per scope)."""
    days = days_param(request)
    cache: dict[tuple[int | None, int], tuple[float, Report]] = getattr(
        request.app.state, "report_cache", {}
    )
    request.app.state.report_cache = cache
    key = (scope.organization_id, days)
    clock = time.monotonic()
    kept = cache.get(key)
    if kept is not None and not fresh and clock - kept[0] < REUSE_SECONDS:
        return kept[1]
    win = scoping.window(days, zone=parts(request).settings.timezone, now=now)
    with read_only(parts(request).engine.connect()) as conn:
        found = figures.report(conn, scope=scope, win=win)
    for stale in [k for k, (at, _r) in cache.items() if clock - at >= REUSE_SECONDS]:
        cache.pop(stale, None)
    cache[key] = (clock, found)
    return found


def _query(scope: scoping.Scope, days: int) -> str:
    org = f"&organization={scope.organization_id}" if scope.organization_id else ""
    return f"days={days}{org}"


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> Response:
    """The reports page: a section per chart, each with its table and CSV."""
    scope, signed, now, caller, choices = _scope(request)
    found = _report(request, scope, now, fresh=True)
    _ = _strings(signed.ui_language)
    days = days_param(request)
    context = {
        "active": "reports",
        "scope": scope,
        "report": found,
        "tables": tables(found, _, _language_names(request)),
        "query": _query(scope, days) if caller.is_admin else f"days={days}",
        "days": days,
        "day_choices": scoping.DAY_CHOICES,
        "organizations": choices,
        "labels": LABELS,
    }
    return page(request, "reports.html", context, signed)


def _one(request: Request, name: str) -> tuple[Table, Callable[[str], str], Report]:
    scope, signed, now, _caller, _choices = _scope(request)
    found = _report(request, scope, now)
    _ = _strings(signed.ui_language)
    table = next((t for t in tables(found, _, _language_names(request)) if t.name == name), None)
    if table is None:
        raise NotFound()
    return table, _, found


@router.get("/reports/charts/{name}.svg")
def report_chart(request: Request, name: str) -> Response:
    """One chart, as an SVG image."""
    table, _, _found = _one(request, name)
    return svg_response(chart(table, _))


@router.get("/reports/{name}.csv")
def report_csv(request: Request, name: str) -> Response:
    """One chart's numbers, as CSV (formula-safe)."""
    table, _, found = _one(request, name)
    stamp = found.window.today.isoformat()
    who = f"-org{found.scope.organization_id}" if found.scope.organization_id else ""
    return csv_response(table.header, table.rows, f"turnout-{name}{who}-{stamp}.csv")
