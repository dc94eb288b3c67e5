"""`turnout languages`: per language, how much is translated and how much is reviewed, the
coalition's reviews in the console (kept in the database) counted."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import database
from bot.translations import reviews
from messages.catalog import Catalogs

COUNTED = ("translated", "reviewed", "drafts", "reviewed here")


def languages() -> None:
    """Per language: how much is translated and how much a native speaker has reviewed (in
    the catalog files or in the console)."""
    catalogs = Catalogs.load()
    note = ""
    try:
        with database() as (engine, _), engine.connect() as conn:
            found = reviews.overview(conn, catalogs=catalogs)
    except SQLAlchemyError as exc:  # no database: the files alone
        note = f"The database did not answer ({type(exc).__name__}): the files' counts only."
        found = [
            reviews.LanguageStatus(code, catalogs.by_language[code].name, *counts, 0, 0)
            for code, counts in catalogs.review_status().items()
        ]
    table = Table(title="Turnout languages")
    for column in ("code", "name", *COUNTED):
        table.add_column(column, justify="right" if column in COUNTED else "left")
    for s in found:
        table.add_row(
            s.code,
            s.name,
            f"{s.translated}/{s.total} ({100 * s.translated // s.total}%)",
            f"{s.reviewed}/{s.total} ({100 * s.reviewed // s.total}%)",
            str(s.drafts),
            str(s.reviewed_here),
        )
    Console().print(table)
    Console().print(
        "Drafts are marked fuzzy in messages/catalogs/<code>.po; reviewers mark them reviewed "
        "in the console (/console/translations); see docs/translating.md."
    )
    if note:
        Console().print(note)
