"""Reading partners' files as streams of rows: CSV in whatever encoding and delimiter the
exporting tool chose, or XLSX. Nothing here loads a whole file into memory.

Rows are numbered as a spreadsheet numbers them (the header is row 1, blank rows count), so
the error report points at the row a partner will see when they open the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bot.errors import Invalid, TooLarge

CHUNK = 1 << 20
SAMPLE = 64 * 1024
DELIMITERS = ",;\t|"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class FileProblem(Invalid):
    """A file that cannot be read as a table; the message says what to do."""


@dataclass
class Table:
    """A file opened as rows: its header, then (row number, cells) for every later row."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    info: dict[str, Any] = field(default_factory=dict)  # format, encoding, delimiter
    progress: Any = None  # () -> (done, total) in the file's own unit, for progress bars


def detect_encoding(path: Path) -> str:
    """UTF-8/UTF-16 by their byte-order mark, else UTF-8 if every byte of the file is valid
    UTF-8 (checked to the end: one accented name at row 900,000 decides), else Windows-1252."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name
        if head[1::2].count(0) > len(head) // 4:  # UTF-16 without a mark: ASCII's NULs
            return "utf-16-le"
        if head[0::2].count(0) > len(head) // 4:
            return "utf-16-be"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def sniff_delimiter(sample: str) -> str:
    """The delimiter: csv.Sniffer's guess when the header line agrees, else the candidate the
    header line has most of (headers rarely contain delimiters; values often do)."""
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        return ","
    header = lines[0]
    try:
        guess = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = ""
    if guess and guess in header:
        return guess
    best = max(DELIMITERS, key=header.count)
    return best if header.count(best) else ","


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04" and zipfile.is_zipfile(path)


def _numbered(rows: Iterator[list[str]], first: int) -> Iterator[tuple[int, list[str]]]:
    number = first
    try:
        for row in rows:
            yield number, row
            number += 1
    except csv.Error as exc:
        raise FileProblem(
            f'row {number}: {exc}; look for a quote (") that opens a value and never closes'
        ) from None


def _first_row(rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    for _number, cells in rows:
        if any(cell.strip() for cell in cells):
            return [cell.strip().lstrip("\ufeff") for cell in cells]
    raise FileProblem("the file is empty: no header row")


@contextmanager
def _open_csv(path: Path, encoding: str | None) -> Iterator[Table]:
    encoding = encoding or detect_encoding(path)
    raw = path.open("rb")
    try:
        # Windows-1252 leaves five bytes undefined; one of them in a name is not worth failing
        # an import over. Other encodings were checked or carry a mark: strict.
        errors = "replace" if encoding == "cp1252" else "strict"
        text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
        delimiter = sniff_delimiter(text.read(SAMPLE))
        text.seek(0)
        # NUL is valid in a CSV cell and in no PostgreSQL text: it goes.
        lines = (line.replace("\0", "") if "\0" in line else line for line in text)
        rows = _numbered(csv.reader(lines, delimiter=delimiter), 1)
        header = _first_row(rows)
        size = path.stat().st_size
        info = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
        yield Table(header, rows, info, lambda: (min(raw.tell(), size), size))
    except UnicodeDecodeError as exc:
        raise FileProblem(f"the file is not valid {encoding}: {exc.reason}") from None
    finally:
        raw.close()


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    return str(value)


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(f"not a readable XLSX workbook: {type(exc).__name__}") from None
    try:
        sheet = book.worksheets[0]
        total = sheet.max_row or 0
        cells = ([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
        counter = _Counter(cells)
        rows = _numbered(counter, 1)
        header = _first_row(rows)
        info = {"format": "xlsx", "sheet": sheet.title}
        yield Table(header, rows, info, lambda: (counter.count, max(total, counter.count)))
    finally:
        book.close()


class _Counter(Iterator[list[str]]):
    """Counts the rows an iterator has given, for progress."""

    def __init__(self, inner: Iterator[list[str]]) -> None:
        self.inner, self.count = inner, 0

    def __next__(self) -> list[str]:
        row = next(self.inner)
        self.count += 1
        return row


@contextmanager
def open_table(path: Path, *, encoding: str | None = None) -> Iterator[Table]:
    """Open a CSV (any delimiter, UTF-8 with or without BOM, UTF-16, Windows-1252) or an XLSX
    file (its first sheet) as a header and a stream of numbered rows."""
    if not path.is_file():
        raise FileProblem(f"no such file: {path.name}")
    opener = _open_xlsx(path) if _is_xlsx(path) else _open_csv(path, encoding)
    with opener as table:
        yield table


def _size(count: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


def stream_to(source: IO[bytes], target: Path, *, limit: int) -> int:
    """Copy an upload to disk in chunks; FileProblem when it is larger than `limit` bytes."""
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise TooLarge(f"the file is larger than the {_size(limit)} allowed")
            out.write(chunk)
    return written
