"""`turnout voters import|purge`: the voter roll, for registration checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import console, engine, fail
from bot.cli.places import print_report, progress
from bot.clock import utcnow
from bot.voter.bulk import ImportFailed
from bot.voter.roll.loader import import_voters
from bot.voter.roll.loader import purge_voters as purge_roll

app = typer.Typer(help="The voter roll, for registration checks.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    """A refusal: these commands exit 1 when they cannot do what was asked."""
    return fail(message, code)


@app.command("import")
def voters_import(file: Annotated[Path, typer.Argument(help="The voter roll, CSV.")]) -> None:
    """Import the voter roll (names hashed; addresses, party, phone dropped); replaces it."""
    db = engine()
    try:
        with progress() as update:
            report = import_voters(
                engine=db, path=file, now=utcnow(), on_progress=lambda n: update("rows", n)
            )
    except ImportFailed as exc:
        raise _fail(str(exc)) from None
    print_report(report, f"Voter roll from {file.name}")
    console.print(f"[green]Imported[/green] {report.counts['imported']:,} voters.")


@app.command("purge")
def voters_purge(yes: bool = typer.Option(False, "--yes", help="Do not ask.")) -> None:
    """Delete the whole voter roll."""
    if not yes:
        typer.confirm("Delete every voter of the roll?", abort=True)
    deleted = purge_roll(engine=engine())
    console.print(f"[green]Deleted[/green] {deleted:,} voters.")
