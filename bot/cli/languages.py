"""`turnout languages`: per language, how much is translated and how much is reviewed."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from messages.catalog import Catalogs

COUNTED = ("translated", "reviewed", "drafts")


def languages() -> None:
    """Per language: how much is translated and how much a native speaker has reviewed."""
    catalogs = Catalogs.load()
    table = Table(title="Turnout languages")
    for column in ("code", "name", *COUNTED):
        table.add_column(column, justify="right" if column in COUNTED else "left")
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
