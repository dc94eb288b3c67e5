"""Files that are not contact lists: empty, a header and nothing under it, not text at all (an
image, an archive, random bytes, whatever their name says). Each is refused before anything
is stored, with a 422 saying what is wrong in words, never with the file's own bytes, and the
upload is not kept."""

from __future__ import annotations

import io
import random
import sqlite3
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.app import create_app
from bot.models import ContactImport
from bot.settings import Settings
from tests.helpers.cli import turnout
from tests.helpers.partners import BASIS, count, csv_text, finished, make_org, upload

pytestmark = pytest.mark.db
EMPTY = "the file is empty: no header row"
HEADER_ONLY = (
    "the file has a header row but no contacts (its first row is read as the header): "
    "put one contact per row under it"
)
EXPORT = "export the list as CSV or XLSX and upload that"
NOT_TEXT = f"the file is not text: {EXPORT}"
NOT_A_WORKBOOK = f"the file is a ZIP archive, not an XLSX workbook: {EXPORT}"
NO_HEADER = (
    "the first row looks like a contact, not a header: add a header row that names the "
    "columns (phone, first_name, zip ...)"
)


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _zip(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _xlsx(tmp_path: Path, *rows: list[str]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "sheet.xlsx"
    book.save(path)
    return path.read_bytes()


RANDOM = random.Random(20261103).randbytes(4096)
PNG = _png()
ZIP = _zip(**{"list.txt": b"phone\n2135550101\n", "notes.txt": b"secret notes"})


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def api(settings: Settings, engine: Engine, spool: Path) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"import_dir": str(spool)})
    with TestClient(create_app(configured, engine)) as client:
        yield client


@pytest.fixture
def alpha(engine: Engine) -> str:
    return make_org(engine, "Alpha")[2]


def _refused(api: TestClient, key: str, content: bytes, name: str, detail: str) -> None:
    response = upload(api, key, content, name=name)
    assert (response.status_code, response.json()) == (422, {"detail": detail}), name


@pytest.mark.parametrize(
    ("content", "name", "detail"),
    [
        (b"", "list.csv", EMPTY),
        (b"\r\n\r\n  \r\n", "list.csv", EMPTY),
        (b",,,\r\n,,\r\n", "list.csv", EMPTY),
        (b"\xef\xbb\xbf", "list.csv", EMPTY),  # a BOM and nothing else
        (csv_text("phone,first_name"), "list.csv", HEADER_ONLY),
        (csv_text("phone,first_name", "", ",", " , "), "list.csv", HEADER_ONLY),
        (b"Cell;Name", "list.csv", HEADER_ONLY),  # no line end either
        ("phone\tnombre\r\n".encode("utf-16"), "list.txt", HEADER_ONLY),
        (b"2135550101\n", "list.csv", HEADER_ONLY),  # a lone row is read as the header
        (csv_text("(213) 555-0101,Ana", "2135550102,Bo"), "list.csv", NO_HEADER),
        (RANDOM, "list.csv", NOT_TEXT),
        (PNG, "list.csv", f"the file is not text (it looks like a PNG image): {EXPORT}"),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
            "list.csv",
            NOT_TEXT.replace("text:", "text (it looks like a PDF document):"),
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + RANDOM[:512],
            "list.xls",
            f"the file is not text (it looks like an old Excel (.xls) or Word (.doc) file): "
            f"{EXPORT}",
        ),
        (ZIP, "list.xlsx", NOT_A_WORKBOOK),
        (ZIP, "list.csv", NOT_A_WORKBOOK),  # the name does not decide: the content does
        (ZIP[:40], "list.xlsx", f"the file is not text (it looks like a ZIP archive): {EXPORT}"),
    ],
    ids=[
        "empty",
        "blank-lines",
        "only-delimiters",
        "only-a-bom",
        "header-only",
        "header-and-blank-rows",
        "header-without-line-end",
        "utf16-header-only",
        "one-row",
        "no-header",
        "random-bytes",
        "png-named-csv",
        "pdf",
        "old-excel",
        "zip-named-xlsx",
        "zip-named-csv",
        "truncated-zip",
    ],
)
def test_a_file_that_is_no_list_is_refused_and_nothing_kept(
    api: TestClient,
    engine: Engine,
    alpha: str,
    spool: Path,
    content: bytes,
    name: str,
    detail: str,
) -> None:
    _refused(api, alpha, content, name, detail)
    assert count(engine, ContactImport) == 0
    assert list(spool.iterdir()) == []


def test_an_xlsx_with_only_a_header_is_refused(
    api: TestClient, engine: Engine, alpha: str, spool: Path, tmp_path: Path
) -> None:
    _refused(api, alpha, _xlsx(tmp_path, ["CellPhone", "FirstName"]), "list.xlsx", HEADER_ONLY)
    _refused(api, alpha, _xlsx(tmp_path), "empty.xlsx", EMPTY)
    assert count(engine, ContactImport) == 0 and list(spool.iterdir()) == []


def test_refusals_never_echo_the_file(api: TestClient, alpha: str) -> None:
    """Not a byte of the file in the answer: not the PNG's chunks, not the archive's names or
    contents, not a run of the random bytes as any encoding reads them."""
    for content, name in [(RANDOM, "a.csv"), (PNG, "b.csv"), (ZIP, "c.xlsx")]:
        text = upload(api, alpha, content, name=name).text
        for encoding in ("cp1252", "latin-1", "utf-8"):
            shown = content.decode(encoding, errors="ignore")
            runs = {shown[i : i + 6] for i in range(0, len(shown) - 6)}
            assert not [run for run in runs if run in text and run.strip()], (name, encoding)
        for secret in ("IHDR", "IDAT", "list.txt", "notes", "secret"):
            assert secret not in text


def test_headers_quoted_back_never_show_a_phone_number(api: TestClient, alpha: str) -> None:
    """A refusal that names the file's headers masks what reads as a number: a row of
    contacts taken for the header must not send a voter's number back."""
    content = csv_text("first_name,notes: call 213-555-0101 after six", "Ana,x")
    response = upload(api, alpha, content)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "('first_name', 'notes: call [number] after six')" in detail
    assert "555" not in detail


def test_a_real_list_still_goes_through(api: TestClient, alpha: str) -> None:
    """The refusals leave ordinary files alone: a NUL or a stray escape in a cell, a DOS
    end-of-file mark, Windows-1252 accents."""
    content = csv_text("phone,first_name", "2135550101,An\x00a", "2135550102,B\x1bo") + b"\x1a"
    started = upload(api, alpha, content)
    assert started.status_code == 202, started.text
    assert finished(api, alpha, started.json()["id"])["new_memberships"] == 2
    latin = "phone,first_name\r\n2135550103,José\r\n".encode("cp1252")
    accepted = upload(api, alpha, latin)
    assert accepted.status_code == 202 and accepted.json()["file"]["encoding"] == "cp1252"


def test_the_command_line_refuses_them_too(tmp_path: Path) -> None:
    assert turnout(tmp_path, "org", "create", "Alpha").returncode == 0
    for name, content, detail in [
        ("header.csv", csv_text("phone,first_name"), HEADER_ONLY),
        ("photo.csv", PNG, "the file is not text (it looks like a PNG image)"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        refused = turnout(
            tmp_path,
            *("contacts", "import", str(path), "--org", "alpha", "--basis", BASIS),
            *("--consent-language", "es", "--consent-date", "2024-05-01"),
        )
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"Import refused: {detail}" in " ".join(refused.stderr.split())
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        assert conn.execute("SELECT count(*) FROM contact_imports").fetchone() == (0,)
