"""`turnout reminders ...`: each election's plan of reminder messages (`bot.sending.reminders`).
The command line is the operator's: a coalition admin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.access import operator
from bot.cli.common import console, database, fail, local, print_json, refusals, when
from bot.clock import utcnow
from bot.sending import reminders
from bot.sending.drafts import SendContext
from bot.sending.plans import ensure_plans, reminders_of
from bot.sending.reminders import ReminderEdit, ReminderOut
from bot.settings import Settings
from bot.statuses import SendKind
from bot.tables import SENDS

app = typer.Typer(
    help="Election reminders: each election's plan of reminder messages.", no_args_is_help=True
)
OPERATOR = operator()
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

ReminderId = Annotated[int, typer.Argument(help="The reminder's id (`turnout reminders list`).")]


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"--election-date: {value!r} is not a date (YYYY-MM-DD)") from None


@app.command("list")
def reminders_list(
    election_date: Annotated[
        str | None, typer.Option(help="One election's (YYYY-MM-DD); every upcoming one's else.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The reminder plans of upcoming elections (made first where missing)."""
    day = _date(election_date)
    with database() as (engine, settings):
        now = utcnow()
        if day is not None:
            reminders.plan_now(engine, day, default_zone=settings.timezone, now=now)
        else:
            try:
                with engine.begin() as conn:
                    ensure_plans(conn, default_zone=settings.timezone, now=now)
            except IntegrityError:  # the scheduler planned them at the same moment
                pass
        with engine.connect() as conn:
            if day is not None:
                rows = reminders_of(conn, day)
            else:
                s = SENDS.c
                rows = list(
                    conn.execute(
                        select(SENDS)
                        .where(s.kind == SendKind.REMINDER, s.election_date >= now.date())
                        .order_by(s.send_at, s.id)
                    )
                )
            found = [reminders.reminder_view(conn, row) for row in rows]
    if as_json:
        print_json(found)
        return
    _print_reminders(found, settings)


def _print_reminders(found: list[ReminderOut], settings: Settings) -> None:
    table = Table(
        "id",
        "election",
        "step",
        "send at",
        "until",
        "status",
        "edited",
        "recipients",
        "delivered",
        "skipped",
        title=f"Election reminders (times in {settings.timezone})",
    )
    for r in found:
        table.add_row(
            str(r.id),
            str(r.election_date),
            r.reminder,
            local(r.send_at, settings),
            local(r.expires_at, settings),
            r.status,
            "yes" if r.edited else "",
            f"{r.counts.recipients:,}",
            f"{r.counts.delivered:,}",
            f"{sum(r.counts.skipped.values()):,}",
        )
    Console().print(table)
    if not found:
        Console().print("No reminders: define an election with `turnout elections add`.")


@app.command("move")
def reminders_move(
    reminder_id: ReminderId,
    at: Annotated[
        str,
        typer.Option(
            "--at", help="The new time, ISO 8601; without an offset, in TURNOUT_TIMEZONE."
        ),
    ],
) -> None:
    """Move a reminder; the plan leaves a moved reminder's time alone from then on."""
    with database() as (engine, settings):
        at_time = when(at, "--at", settings)
        ctx = SendContext.load(settings)
        with engine.begin() as conn, refusals(f"no reminder {reminder_id}"):
            moved = reminders.edit(
                conn,
                caller=OPERATOR,
                election_id=None,
                reminder_id=reminder_id,
                body=ReminderEdit(send_at=at_time),
                ctx=ctx,
                now=utcnow(),
            )
    console.print(
        f"Reminder {reminder_id} ({moved.reminder}) now goes at {local(moved.send_at, settings)}.",
        highlight=False,
    )


def _steer_reminder(reminder_id: int, action: str) -> None:
    with database() as (engine, _):
        with engine.begin() as conn, refusals(f"no reminder {reminder_id}"):
            found = reminders.steer(
                conn,
                caller=OPERATOR,
                election_id=None,
                reminder_id=reminder_id,
                action=action,
                now=utcnow(),
            )
        reminders.settle(engine, reminder_id=reminder_id, action=action)
    console.print(f"Reminder {reminder_id} is now [bold]{found.status}[/bold].", highlight=False)


@app.command("pause")
def reminders_pause(reminder_id: ReminderId) -> None:
    """Hold a reminder."""
    _steer_reminder(reminder_id, "pause")


@app.command("resume")
def reminders_resume(reminder_id: ReminderId) -> None:
    """Carry on with a paused reminder."""
    _steer_reminder(reminder_id, "resume")


@app.command("cancel")
def reminders_cancel(reminder_id: ReminderId) -> None:
    """Cancel a reminder: it is not sent, and the plan does not bring it back."""
    _steer_reminder(reminder_id, "cancel")
