"""`turnout db upgrade`: the database schema."""

from __future__ import annotations

import typer

from bot.cli.common import console
from bot.db import make_engine
from bot.migrate import upgrade
from bot.settings import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (safe to run again)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    console.print(f"[green]Database is up to date[/green] ({engine.url.get_backend_name()}).")
