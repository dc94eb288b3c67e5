"""Reading partners' files as streams of rows: CSV in whatever encoding and delimiter the
exporting tool chose, or XLSX. Nothing here loads a whole file into memory.

Rows are numbered as a spreadsheet numbers them (the header is row 1, blank rows count), so
the error report points at the row a partner will see when they open the file.

A file that is not a table (an image, a PDF, an archive, random bytes) is refused by what it
is, never by quoting it: its bytes could be anything.
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


EXPORT = "export the list as CSV or XLSX and upload that"
# What a file that is not a table usually is, by its first bytes.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or Word (.doc) file"),
    (b"{\\rtf", "an RTF document"),
)
MAX_CONTROL = 0.01  # a text's share of control characters (tab and line ends aside), at most
_CONTROLS = frozenset(
    [chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r\f\v"]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\ufffd"]
)


class FileProblem(Invalid):
    """A file that cannot be read as a table; the message says what to do."""


def not_text(what: str | None = None) -> FileProblem:
    """The refusal of a file that is not text, saying what it looks like when we can tell."""
    looks = f" (it looks like {what})" if what else ""
    return FileProblem(f"the file is not text{looks}: {EXPORT}")


def _signature(head: bytes) -> str | None:
    return next((what for magic, what in SIGNATURES if head.startswith(magic)), None)


def _is_binary(sample: str) -> bool:
    """Whether decoded text is too full of control characters (or of bytes that decode to
    nothing) to be a list someone exported. NULs (some exports pad cells with them: the reader
    drops them), a stray escape or a DOS end-of-file mark do not make a file binary."""
    sample = sample.rstrip("\x1a")
    bad = sum(1 for ch in sample if ch in _CONTROLS)
    return bad > 1 and bad > len(sample) * MAX_CONTROL


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


def _refuse_binary(path: Path) -> None:
    """FileProblem for a file whose first bytes say it is not a CSV (an image, an archive)."""
    with path.open("rb") as fh:
        what = _signature(fh.read(16))
    if what is not None:
        raise not_text(what)


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


def require_rows(table: Table) -> None:
    """FileProblem unless a row with anything in it follows the header (it is read, so call
    this on a table opened only to check it)."""
    for _number, cells in table.rows:
        if any(cell.strip() for cell in cells):
            return
    raise FileProblem(
        "the file has a header row but no contacts (its first row is read as the header): "
        "put one contact per row under it"
    )


@contextmanager
def _open_csv(path: Path, encoding: str | None) -> Iterator[Table]:
    encoding = encoding or detect_encoding(path)
    raw = path.open("rb")
    try:
        # Windows-1252 leaves five bytes undefined; one of them in a name is not worth failing
        # an import over. Other encodings were checked or carry a mark: strict.
        errors = "replace" if encoding == "cp1252" else "strict"
        text = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")
        sample = text.read(SAMPLE)
        if _is_binary(sample):
            raise not_text()
        delimiter = sniff_delimiter(sample)
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


def _workbook_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[str]]:
    """A sheet's rows as text; a sheet damaged part-way is a FileProblem, not a crash."""
    number = 1
    try:
        for row in rows:
            yield [cell_text(v) for v in row]
            number += 1
    except Exception as exc:  # openpyxl raises many kinds for a damaged sheet
        raise FileProblem(
            f"row {number}: the workbook is damaged ({type(exc).__name__}); open it in "
            f"a spreadsheet and save it again, or {EXPORT}"
        ) from None


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    if not _is_workbook(path):
        raise FileProblem(f"the file is a ZIP archive, not an XLSX workbook: {EXPORT}")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(
            f"not a readable XLSX workbook ({type(exc).__name__}): {EXPORT}"
        ) from None
    try:
        if not book.worksheets:
            raise FileProblem("the workbook has no sheet: no header row")
        sheet = book.worksheets[0]
        total = sheet.max_row or 0
        counter = _Counter(_workbook_rows(sheet.iter_rows(values_only=True)))
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
    if _is_xlsx(path):
        opener = _open_xlsx(path)
    else:
        _refuse_binary(path)
        opener = _open_csv(path, encoding)
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
