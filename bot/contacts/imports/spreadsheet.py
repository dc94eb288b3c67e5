"""CSV for people to open in spreadsheets: safe against formula injection.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets; a name like `=HYPERLINK("http://evil", "click")` in a
partner's list would run on the next person's computer. Such cells are written with a leading
apostrophe (OWASP's advice), phone numbers in E.164 included, which also keeps their `+`.
The importer strips that apostrophe from phone numbers, so an export can be imported back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A value as a CSV cell no spreadsheet will evaluate."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, every: int = 500
) -> Iterator[str]:
    """CSV text (header first, CRLF line ends) in chunks of `every` rows, for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for count, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in row])
        if count % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
