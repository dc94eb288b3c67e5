"""`turnout chat`: talk to the bot in the terminal, through the same flows and database, no
Twilio needed."""

from __future__ import annotations

import uuid

import typer

from bot.cli.common import console
from bot.clock import utcnow
from bot.conversation.service import Inbound, handle_inbound
from bot.db import make_engine
from bot.migrate import upgrade
from bot.phones import Address, AddressError, to_e164
from bot.runtime import Runtime
from bot.settings import get_settings


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
            print(f"bot> {reply.text}\n", flush=True)
        if not handled.replies:
            print("(no reply)\n", flush=True)
