"""`turnout places import`: polling places from VIP 5/6 feeds or the places CSV."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.common import console, engine, fail
from bot.clock import utcnow
from bot.voter.bulk import ImportFailed, ImportReport
from bot.voter.places.importer import import_places
from bot.voter.records import FeedError

app = typer.Typer(help="Polling places (VIP 5/6 feeds, the places CSV).", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    """A refusal: these commands exit 1 when they cannot do what was asked."""
    return fail(message, code)


SHOWN_PROBLEMS = 200


@contextmanager
def progress() -> Iterator[Any]:
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


def print_report(report: ImportReport, what: str) -> None:
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


@app.command("import")
def places_import(
    file: Annotated[Path, typer.Argument(help="VIP 5/6 XML or zip, or places CSV.")],
) -> None:
    """Import polling places; a re-import of the same feed replaces it at once."""
    db = engine()
    try:
        with progress() as update:
            report = import_places(engine=db, path=file, now=utcnow(), on_progress=update)
    except (FeedError, ImportFailed) as exc:
        raise _fail(str(exc)) from None
    print_report(report, f"Polling places from {file.name}")
    console.print(f"[green]Imported[/green] {file.name}: {report.problem_count} problem(s).")
