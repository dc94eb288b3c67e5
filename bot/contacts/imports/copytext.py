"""Rows in PostgreSQL COPY's text format: tab-separated, `\\N` for NULL, backslash escapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_cell(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def copy_text(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows in COPY's text format. Built where the rows are read (a thread ahead of the
    writer), so that the writer only sends bytes."""
    known: dict[Any, str] = {None: "\\N"}  # dates repeat: each is formatted once
    lines = []
    for row in rows:
        texts = "".join([v for v in row if type(v) is str])
        if "\\" in texts or "\t" in texts or "\n" in texts or "\r" in texts:
            lines.append("\t".join(map(_copy_cell, row)))
            continue
        cells = []
        for value in row:  # nothing to escape: the common case, kept fast
            if type(value) is str:
                cells.append(value)
            elif (text := known.get(value)) is not None:
                cells.append(text)
            else:
                cells.append(known.setdefault(value, _copy_cell(value)))
        lines.append("\t".join(cells))
    return ("\n".join(lines) + "\n").encode() if lines else b""
