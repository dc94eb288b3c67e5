"""Commands that need only the bot: `turnout db upgrade`, `turnout chat`.

The `turnout` entry point itself is `scheduler.cli`, which adds `serve` and `scheduler` (the
composition root: `bot` never imports `scheduler`).
"""

from __future__ import annotations

import logging
import sys
import uuid

import typer
from rich.console import Console
from rich.table import Table

from bot.channels import ConsoleChannel
from bot.clock import utcnow
from bot.conversation.service import Inbound, handle_inbound
from bot.db import make_engine
from bot.migrate import upgrade
from bot.phones import Address, AddressError, to_e164
from bot.runtime import Runtime
from bot.settings import get_settings
from messages.catalog import Catalogs

app = typer.Typer(
    help="Turnout: a multilingual SMS/WhatsApp get-out-the-vote bot.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr; phone numbers are masked by the code that logs them."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of every job at INFO: the dispatcher's runs every second.
    # Our jobs log what they did; the scheduler's own warnings (missed runs) still show.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (safe to run again)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    console.print(f"[green]Database is up to date[/green] ({engine.url.get_backend_name()}).")


@app.command()
def languages() -> None:
    """Per language: how much is translated and how much a native speaker has reviewed."""
    catalogs = Catalogs.load()
    table = Table(title="Turnout languages")
    for column in ("code", "name", "translated", "reviewed", "drafts"):
        table.add_column(
            column, justify="right" if column in ("translated", "reviewed", "drafts") else "left"
        )
    for code, (total, translated, reviewed) in catalogs.review_status().items():
        table.add_row(
            code,
            catalogs.by_language[code].name,
            f"{translated}/{total} ({100 * translated // total}%)",
            f"{reviewed}/{total} ({100 * reviewed // total}%)",
            str(translated - reviewed),
        )
    Console().print(table)
    Console().print(
        "Drafts are marked fuzzy in messages/catalogs/<code>.po; see docs/translating.md."
    )


@app.command()
def chat(
    phone: str = typer.Option("+15555550100", help="The phone number you are texting as."),
) -> None:
    """Talk to the bot in the terminal, through the same flows and database, no Twilio needed."""
    settings = get_settings()
    try:
        number = to_e164(phone, settings.default_region)
    except AddressError as exc:
        raise typer.BadParameter(f"--phone: {exc}") from None
    engine = make_engine(settings.database_url)
    upgrade(engine)
    runtime = Runtime.load(settings)
    out = ConsoleChannel()
    console.print(f"Texting Turnout as {number}. Type a message; Ctrl-D or Ctrl-C to leave.\n")
    while True:
        try:
            text = input("you> ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        msg = Inbound(f"console-{uuid.uuid4().hex}", Address("console", number), "console", text)
        with engine.begin() as conn:
            handled = handle_inbound(conn, runtime, msg, utcnow())
        for reply in handled.replies:
            out.send(number, f"bot> {reply.text}")
        if not handled.replies:
            print("(no reply)\n", file=sys.stdout)


from bot.cli import partners as _cli_partners  # noqa: E402,F401  (registers org, contacts)
from bot.cli import sends as _cli_sends  # noqa: E402,F401  (registers blasts, reminders)
from bot.cli import voter as _cli_voter  # noqa: E402,F401  (registers places, voters, elections)
