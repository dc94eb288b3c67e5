"""`turnout outbox ...`: messages a person must settle (in doubt after a crash, Twilio
unreachable for a day)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import database, fail, refusals
from bot.clock import utcnow
from bot.phones import mask
from bot.sending import outbox

app = typer.Typer(
    help="Messages a person must settle (in doubt after a crash, Twilio unreachable).",
    no_args_is_help=True,
)


@app.command("review")
def outbox_review() -> None:
    """List the messages in review: look each up in Twilio's console by recipient and time."""
    with database() as (engine, _), engine.connect() as conn:
        rows = outbox.in_review(conn)
    if not rows:
        Console().print("No message is in review.")
        return
    table = Table("id", "send", "channel", "to", "handed to Twilio at")
    for row in rows:
        table.add_row(
            str(row.id), str(row.send_id), row.channel, mask(row.to_address), str(row.sending_at)
        )
    Console().print(table)


@app.command("settle")
def outbox_settle(
    outbox_id: Annotated[int, typer.Argument(help="The message's id (turnout outbox review).")],
    sid: Annotated[
        str | None, typer.Option("--sent", help="Twilio has it: its SID (SM...).")
    ] = None,
    resend: Annotated[bool, typer.Option("--resend", help="Twilio does not have it.")] = False,
) -> None:
    """Settle a message in review: sent (with Twilio's SID) or to be sent again."""
    if (sid is None) == (not resend):
        raise fail("give exactly one of --sent SID or --resend")
    if sid is not None and not (sid.startswith(("SM", "MM")) and len(sid) == 34):
        raise fail(f"--sent: not a Twilio message SID: {sid!r}")
    with database() as (engine, _), engine.begin() as conn, refusals():
        status = outbox.settle_review(conn, outbox_id, sid=sid, now=utcnow())
    Console().print(f"Message {outbox_id} is now [bold]{status}[/bold].", highlight=False)
