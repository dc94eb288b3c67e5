"""`turnout contacts ...`: partners' contact lists, imported with a progress bar and a report of
the rows to fix (`bot.contacts.imports`)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session

from bot.cli.common import console, engine, fail
from bot.clock import utcnow
from bot.contacts.imports.intake import (
    ImportRefused,
    consent_basis,
    create_import,
    error_rows,
    parse_mapping,
)
from bot.contacts.imports.languages import LanguageNames
from bot.contacts.imports.runner import ImportBusy, ImportOptions, run_import
from bot.contacts.imports.spreadsheet import csv_chunks
from bot.contacts.organizations import find_organization
from bot.db import session_scope
from bot.models import ContactImport
from bot.settings import get_settings
from messages.catalog import Catalogs

app = typer.Typer(help="Partners' contact lists.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    """A refusal: these commands exit 1 when they cannot do what was asked."""
    return fail(message, code)


COUNTS = (
    ("rows", "rows with anything in them"),
    ("new_contacts", "phones the coalition did not know"),
    ("new_memberships", "added to the organization's list, each with its consent"),
    ("updated", "already on the list, took new values"),
    ("unchanged", "already on the list as they are"),
    ("duplicates", "repeat a phone seen earlier in the file (merged)"),
    ("suppressed", "voters who opted out: left opted out"),
    ("rejected", "not imported: see the problems"),
    ("warnings", "values left out of imported rows"),
)


def _options() -> ImportOptions:
    settings = get_settings()
    return ImportOptions(
        region=settings.default_region,
        batch_rows=settings.import_batch_rows,
        languages=LanguageNames.from_catalogs(Catalogs.load()),
    )


def _run(db: Engine, import_id: int, options: ImportOptions, force: bool) -> ContactImport:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Importing", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        try:
            return run_import(
                engine=db, import_id=import_id, options=options, progress=report, force=force
            )
        except ImportBusy as exc:
            raise _fail(str(exc)) from None


def _summary(db: Engine, imp: ContactImport) -> None:
    title = f"Import {imp.id} of {imp.filename}: {imp.status}" + (
        " (dry run: nothing was changed)" if imp.dry_run else ""
    )
    table = Table("", "count", "meaning", title=title)
    for name, meaning in COUNTS:
        table.add_row(name.replace("_", " "), f"{getattr(imp, name):,}", meaning)
    out = Console()
    out.print(table)
    if imp.error:
        out.print(f"[red]{imp.error}[/red]")
    assert imp.id is not None
    with Session(db) as session:
        problems = Table("row", "column", "value", "problem", title="Problems (first 20)")
        shown = 0
        for e in error_rows(session, imp.id, chunk=20):
            problems.add_row(str(e.row_number), e.column_name or "", e.value or "", e.problem)
            shown += 1
            if shown == 20:
                break
    if shown:
        out.print(problems)
        out.print(f"Every problem: turnout contacts errors {imp.id} > errors.csv")


@app.command("import")
def contacts_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.", exists=True, dir_okay=False)],
    org: str = typer.Option(..., "--org", help="The organization whose list this is (slug)."),
    basis: str | None = typer.Option(
        None,
        help="How and when these contacts agreed to be texted, and what they were told (required).",
    ),
    consent_date: str | None = typer.Option(None, help="YYYY-MM-DD, when rows have no date."),
    consent_language: str | None = typer.Option(
        None, help="The language they were asked in: a code or a name (required)."
    ),
    source: str | None = typer.Option(None, help="Where: event, canvass, web form ..."),
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="'Their Header=field' (repeatable).")
    ] = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count; change nothing."),
) -> None:
    """Import a partner's contact list, with a progress bar and a report of rows to fix."""
    try:
        day = date.fromisoformat(consent_date) if consent_date else None
    except ValueError:
        raise _fail("--consent-date: write it as YYYY-MM-DD", 2) from None
    db, options = engine(), _options()
    try:
        found = consent_basis(
            description=basis,
            language=consent_language,
            collected_on=day,
            source=source,
            languages=options.languages,
            today=date.today(),
        )
        with session_scope(db) as session:
            owner = find_organization(session=session, slug=org)
            if owner is None or owner.id is None:
                raise _fail(f"no organization {org!r} (see `turnout org list`)", 2)
            imp = create_import(
                session=session,
                organization_id=owner.id,
                filename=file.name,
                stored_path=file.resolve(),
                basis=found,
                mapping=parse_mapping(map_ or []),
                dry_run=dry_run,
                now=utcnow(),
            )
    except ImportRefused as exc:
        raise _fail(f"Import refused: {exc}", 2) from None
    assert imp.id is not None
    done = _run(db, imp.id, options, force=False)
    _summary(db, done)
    if done.status != "done":
        raise typer.Exit(1)


@app.command("resume")
def contacts_resume(
    import_id: int = typer.Argument(..., help="The import's id."),
    force: bool = typer.Option(False, "--force", help="Even if it looks busy elsewhere."),
) -> None:
    """Continue an interrupted import from where it stopped (its file must be unchanged)."""
    db = engine()
    done = _run(db, import_id, _options(), force=force)
    _summary(db, done)
    if done.status != "done":
        raise typer.Exit(1)


@app.command("errors")
def contacts_errors(import_id: int = typer.Argument(..., help="The import's id.")) -> None:
    """Every problem of an import as CSV on standard output: row, column, value, problem."""
    db = engine()
    with Session(db) as session:
        cells = (
            (
                e.row_number,
                e.column_name,
                e.value,
                e.problem,
                "row rejected" if e.rejected else "value left out",
            )
            for e in error_rows(session, import_id)
        )
        for chunk in csv_chunks(("row", "column", "value", "problem", "outcome"), cells):
            sys.stdout.write(chunk)
