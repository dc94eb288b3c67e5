"""Voter-data commands: `turnout places import`, `turnout voters import|purge`,
`turnout elections add|list`. Input is checked before anything is written."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from bot.api.reminders import plan_in_transaction
from bot.cli.main import app, console
from bot.clock import utcnow, zone
from bot.db import make_engine
from bot.migrate import upgrade
from bot.settings import get_settings
from bot.voter.bulk import ImportFailed, ImportReport
from bot.voter.elections import LINK_KINDS, list_elections, save_election
from bot.voter.places.importer import import_places
from bot.voter.records import FeedError
from bot.voter.roll.loader import import_voters
from bot.voter.roll.loader import purge_voters as purge_roll
from bot.voter.states import state_abbr

places_app = typer.Typer(
    help="Polling places (VIP 5/6 feeds, the places CSV).", no_args_is_help=True
)
voters_app = typer.Typer(help="The voter roll, for registration checks.", no_args_is_help=True)
elections_app = typer.Typer(help="Elections: dates, hours, deadlines, links.", no_args_is_help=True)
app.add_typer(places_app, name="places")
app.add_typer(voters_app, name="voters")
app.add_typer(elections_app, name="elections")
SHOWN_PROBLEMS = 200
_LINK = re.compile(r"^(?P<kind>[a-z_]+)(?::(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]+)?))?=(?P<url>\S+)$")


def _engine() -> Engine:
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    return engine


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)  # a path broken is no path
    return typer.Exit(1)


@contextmanager
def _progress() -> Iterator[Any]:
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage.replace("_", " "), total=None)
            progress.update(tasks[stage], completed=done)

        yield update


def _print_report(report: ImportReport, what: str) -> None:
    table = Table(title=f"{what} ({report.seconds:.1f} s)")
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, count in report.counts.items():
        table.add_row(kind.replace("_", " "), f"{count:,}")
    Console().print(table)
    problems = [f"{p.element} {p.source_id}: {p.problem}" for p in report.problems]
    problems += [
        f"row {e.row}" + (f", column {e.column}" if e.column else "") + f": {e.problem}"
        for e in report.row_errors
    ]
    for line in problems[:SHOWN_PROBLEMS]:
        Console().print(line, markup=False, highlight=False)
    if report.problem_count > SHOWN_PROBLEMS:
        Console().print(f"... and {report.problem_count - SHOWN_PROBLEMS:,} more problems")


@places_app.command("import")
def places_import(
    file: Annotated[Path, typer.Argument(help="VIP 5/6 XML or zip, or places CSV.")],
) -> None:
    """Import polling places; a re-import of the same feed replaces it at once."""
    engine = _engine()
    try:
        with _progress() as update:
            report = import_places(engine=engine, path=file, now=utcnow(), on_progress=update)
    except (FeedError, ImportFailed) as exc:
        raise _fail(str(exc)) from None
    _print_report(report, f"Polling places from {file.name}")
    console.print(f"[green]Imported[/green] {file.name}: {report.problem_count} problem(s).")


@voters_app.command("import")
def voters_import(file: Annotated[Path, typer.Argument(help="The voter roll, CSV.")]) -> None:
    """Import the voter roll (names hashed; addresses, party, phone dropped); replaces it."""
    engine = _engine()
    try:
        with _progress() as update:
            report = import_voters(
                engine=engine, path=file, now=utcnow(), on_progress=lambda n: update("rows", n)
            )
    except ImportFailed as exc:
        raise _fail(str(exc)) from None
    _print_report(report, f"Voter roll from {file.name}")
    console.print(f"[green]Imported[/green] {report.counts['imported']:,} voters.")


@voters_app.command("purge")
def voters_purge(yes: bool = typer.Option(False, "--yes", help="Do not ask.")) -> None:
    """Delete the whole voter roll."""
    if not yes:
        typer.confirm("Delete every voter of the roll?", abort=True)
    deleted = purge_roll(engine=_engine())
    console.print(f"[green]Deleted[/green] {deleted:,} voters.")


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def _time(value: str | None, option: str) -> dt.time | None:
    if value is None:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time (HH:MM)", param_hint=option) from None


def _links(links: list[str], lookup: str | None, office_url: str | None) -> dict[str, Any]:
    """--link KIND[:LANG]=URL, plus the named shortcuts, as {kind: {lang or default: url}}."""
    found: dict[str, dict[str, str]] = {}
    shortcuts = [f"registration_lookup={lookup}"] if lookup else []
    shortcuts += [f"county_office={office_url}"] if office_url else []
    for item in [*shortcuts, *links]:
        match = _LINK.match(item)
        if match is None or match["kind"] not in LINK_KINDS:
            kinds = ", ".join(LINK_KINDS)
            raise typer.BadParameter(
                f"{item!r} is not KIND[:LANG]=URL with KIND one of {kinds}", param_hint="--link"
            )
        if not match["url"].startswith(("https://", "http://")):
            raise typer.BadParameter(f"{match['url']!r} is not a web address", param_hint="--link")
        found.setdefault(match["kind"], {})[match["lang"] or "default"] = match["url"]
    return dict(found)


def _zone(value: str | None) -> str | None:
    if value is None:
        return None
    if zone(value) is None:
        message = f"{value!r} is not an IANA time zone (America/Los_Angeles)"
        raise typer.BadParameter(message, param_hint="--timezone")
    return value


def _state(value: str) -> str:
    abbr = state_abbr(value)
    if abbr is None:
        raise typer.BadParameter(f"{value!r} is not a US state", param_hint="--state")
    return abbr


@elections_app.command("add")
def elections_add(
    name: str = typer.Option(..., help="The election's name, as voters know it."),
    date: str = typer.Option(..., help="Election day, YYYY-MM-DD."),
    state: str = typer.Option(..., help="Two-letter state: CA."),
    county: Annotated[
        list[str] | None, typer.Option(help="A county it covers (repeatable).")
    ] = None,
    polls_open: str | None = typer.Option(None, help="HH:MM, local time."),
    polls_close: str | None = typer.Option(None, help="HH:MM, local time."),
    timezone: str | None = typer.Option(None, help="IANA zone: America/Los_Angeles."),
    registration_deadline: str | None = typer.Option(None, help="YYYY-MM-DD."),
    same_day_registration: bool | None = typer.Option(
        None, "--same-day-registration/--no-same-day-registration"
    ),
    same_day_where: str | None = typer.Option(None, help="Where to register on the day."),
    early_voting_start: str | None = typer.Option(None, help="YYYY-MM-DD."),
    early_voting_end: str | None = typer.Option(None, help="YYYY-MM-DD."),
    registration_lookup: str | None = typer.Option(None, help="Official registration lookup."),
    county_office_name: str | None = typer.Option(None, help="County election office."),
    county_office_phone: str | None = typer.Option(None, help="Its phone number."),
    county_office_url: str | None = typer.Option(None, help="Its web page."),
    link: Annotated[
        list[str] | None, typer.Option(help="KIND[:LANG]=URL, repeatable: registration_lookup:es=…")
    ] = None,
) -> None:
    """Define an election (or update the one of the same name and date)."""
    start = _date(early_voting_start, "--early-voting-start")
    end = _date(early_voting_end, "--early-voting-end")
    if start and end and start > end:
        raise typer.BadParameter("starts after it ends", param_hint="--early-voting-start")
    day = _date(date, "--date")
    assert day is not None
    values = {
        "name": name.strip()[:200],
        "date": day,
        "state": _state(state),
        "counties": list(county or []) or None,
        "polls_open": _time(polls_open, "--polls-open"),
        "polls_close": _time(polls_close, "--polls-close"),
        "timezone": _zone(timezone),
        "registration_deadline": _date(registration_deadline, "--registration-deadline"),
        "same_day_registration": same_day_registration,
        "same_day_where": same_day_where,
        "early_voting_start": start,
        "early_voting_end": end,
        "links": _links(link or [], registration_lookup, county_office_url) or None,
        "office_name": county_office_name,
        "office_phone": county_office_phone,
        "office_url": county_office_url,
    }
    now, zone, engine = utcnow(), get_settings().timezone, _engine()
    try:
        with engine.begin() as conn:
            election_id = save_election(conn, values=values, source="cli", now=now)
            planned = plan_in_transaction(conn, day, default_zone=zone, now=now)
    finally:
        engine.dispose()
    console.print(f"[green]Saved[/green] election {election_id}: {name} on {date}.")
    if planned:
        console.print(
            f"Planned {planned} reminder(s): `turnout reminders list --election-date {date}`."
        )


@elections_app.command("list")
def elections_list() -> None:
    """Every election, by date."""
    table = Table(title="Elections")
    for column in ("id", "date", "state", "name", "polls", "registration deadline", "source"):
        table.add_column(column)
    with _engine().connect() as conn:
        for row in list_elections(conn):
            polls = f"{row.polls_open:%H:%M}-{row.polls_close:%H:%M}" if row.polls_open else ""
            deadline = str(row.registration_deadline or "")
            table.add_row(
                str(row.id), str(row.date), row.state or "", row.name, polls, deadline, row.source
            )
    Console().print(table)
