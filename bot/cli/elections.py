"""`turnout elections add|list`: elections' dates, hours, deadlines and official links; each
one's reminder plan is made at once (`bot.sending.reminders`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.access import operator
from bot.cli.common import console, engine, refusals
from bot.clock import utcnow, zone
from bot.sending.reminders import define_election
from bot.settings import get_settings
from bot.voter.elections import LINK_KINDS, ElectionFacts, list_elections
from bot.voter.states import state_abbr

app = typer.Typer(help="Elections: dates, hours, deadlines, links.", no_args_is_help=True)

_LINK = re.compile(r"^(?P<kind>[a-z_]+)(?::(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]+)?))?=(?P<url>\S+)$")


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


@app.command("add")
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
    with refusals(code=1):
        facts = ElectionFacts.model_validate(values)
    now, default_zone, db = utcnow(), get_settings().timezone, engine()
    try:
        with db.begin() as conn:
            election_id, planned = define_election(
                conn,
                caller=operator(),
                values=facts.values(),
                source="cli",
                default_zone=default_zone,
                now=now,
            )
    finally:
        db.dispose()
    console.print(f"[green]Saved[/green] election {election_id}: {name} on {date}.")
    if planned:
        console.print(
            f"Planned {planned} reminder(s): `turnout reminders list --election-date {date}`."
        )


@app.command("list")
def elections_list() -> None:
    """Every election, by date."""
    table = Table(title="Elections")
    for column in ("id", "date", "state", "name", "polls", "registration deadline", "source"):
        table.add_column(column)
    with engine().connect() as conn:
        for row in list_elections(conn):
            polls = f"{row.polls_open:%H:%M}-{row.polls_close:%H:%M}" if row.polls_open else ""
            deadline = str(row.registration_deadline or "")
            table.add_row(
                str(row.id), str(row.date), row.state or "", row.name, polls, deadline, row.source
            )
    Console().print(table)
