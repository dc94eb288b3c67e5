"""`turnout history import` and `turnout lift report|holdout`: the official vote history, an
election's reminder holdout, and the measured lift (docs/lift.md)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.access import operator
from bot.cli.common import console, database, refusals, refuse
from bot.clock import utcnow
from bot.lift.estimate import CSV_COLUMNS, Report, lift_report, report_rows
from bot.lift.history import import_history
from bot.lift.holdouts import set_reminder_holdout

history_app = typer.Typer(help="Official vote history, for the lift.", no_args_is_help=True)
app = typer.Typer(help="Holdouts and the measured lift in turnout.", no_args_is_help=True)


def _maps(values: list[str]) -> dict[str, str]:
    found = {}
    for value in values:
        column, sep, target = value.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            refuse(f"--map: {value!r} is not COLUMN=field")
        found[column.strip()] = target.strip()
    return found


@history_app.command("import")
def history_import(
    file: Annotated[Path, typer.Argument(help="The vote-history file (CSV or XLSX).")],
    election: Annotated[int, typer.Option("--election", help="The election's id.")],
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="COLUMN=field (voter_id, first_name, last_name, name, "
            "birth_date, zip, address, election_date, voted, method, ignore).",
        ),
    ] = None,
) -> None:
    """Match a vote-history file to the contacts and keep who voted (nothing else of it)."""
    with database() as (engine, settings), refusals("no such election"):
        report = import_history(
            engine,
            path=file,
            election_id=election,
            mapping=_maps(maps or []),
            now=utcnow(),
            default_language=settings.default_language,
        )
    console.print(
        f"Read {report.rows:,} rows ({report.layout} layout); {report.unreadable:,} could not "
        f"be read; {report.matched_contacts:,} contacts matched "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(report.by_method.items())) or 'none'}); "
        f"{report.voted:,} of them voted.",
        highlight=False,
        soft_wrap=True,
    )
    for group in report.groups:
        console.print(
            f"  organization {group['organization_id']} · {group['language']}: "
            f"{group['matched']:,} of {group['contacts']:,} matched ({group['match_rate']:.0%})",
            highlight=False,
            soft_wrap=True,
        )
    for problem in report.problems[:20]:
        console.print(
            f"  row {problem['row']}: {problem['column']}: {problem['problem']}",
            highlight=False,
            soft_wrap=True,
        )


def _pct(value: Any, digits: int = 1) -> str:
    return "" if value is None else f"{100 * value:.{digits}f}%"


def _points(value: Any) -> str:
    return "" if value is None else f"{100 * value:+.1f}"


def print_report(report: Report) -> None:
    """The report as a table on stdout."""
    table = Table(
        title=f"Lift: {report.election_name} ({report.election_date}), "
        f"{report.share:.0%} held back",
        title_justify="left",
    )
    for name in (
        "group",
        "value",
        "treated",
        "control",
        "turnout treated",
        "turnout control",
        "lift (points)",
        "95% interval",
        "p",
        "complier",
        "note",
    ):
        table.add_column(name, justify="left" if name in ("group", "value", "note") else "right")
    for row in report_rows(report):
        interval = ""
        if row["ci_low"] is not None:
            interval = f"{_points(row['ci_low'])} to {_points(row['ci_high'])}"
        note = "too few voters to tell" if row["too_few"] else ""
        table.add_row(
            row["group"],
            row["value"],
            f"{row['treated']:,}",
            f"{row['control']:,}",
            _pct(row["turnout_treated"]),
            _pct(row["turnout_control"]),
            _points(row["itt"]),
            interval,
            "" if row["p_value"] is None else f"{row['p_value']:.3f}",
            _points(row["complier"]),
            note,
        )
    Console(width=200).print(table)
    if not report.history_imported:
        print("No vote history imported for this election yet: turnout counts as 0.")
    print(f"Intervals wider than {100 * report.too_wide:.0f} points: too few voters to tell.")


@app.command("report")
def lift_report_command(
    election: Annotated[int, typer.Option("--election", help="The election's id.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """Turnout among treated and control contacts, the lift and its 95% interval, per
    organization, language, channel and voter history."""
    with database() as (engine, _settings), refusals("no such election"), engine.connect() as conn:
        report = lift_report(conn, caller=operator(), election_id=election)
    if report.share <= 0:
        refuse("this election has no holdout: nothing to compare")
    rows = report_rows(report)
    if as_json:
        print(
            json.dumps(
                {
                    "election_date": report.election_date.isoformat(),
                    "share": report.share,
                    "rows": rows,
                },
                indent=2,
            )
        )
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    else:
        print_report(report)


@app.command("holdout")
def holdout_command(
    election: Annotated[int, typer.Option("--election", help="The election's id.")],
    share: Annotated[float, typer.Option("--share", help="0 to 0.5, of each block.")],
) -> None:
    """Hold back a share of an election's reminders (fixed once set)."""
    with database() as (engine, settings), refusals("no such election"), engine.begin() as conn:
        view = set_reminder_holdout(
            conn,
            caller=operator(),
            election_id=election,
            share=share,
            default_language=settings.default_language,
            now=utcnow(),
        )
    if view is None:
        print("Nobody held back: this election's reminders are not measured.")
        return
    print(
        f"Holding back {view.share:.0%}: {view.treated:,} treated, {view.control:,} control "
        f"in {len(view.blocks)} blocks."
    )
