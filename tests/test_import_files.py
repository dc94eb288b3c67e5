"""Partners' files as they come: encodings, BOMs, delimiters, quoted newlines, blank lines,
missing and extra columns, spreadsheet-mangled numbers, Spoke and NGP VAN exports, XLSX.
No database: the reader, the column mapping and the row normalizer."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.contacts.imports.batches import batches
from bot.contacts.imports.columns import MappingProblem, resolve
from bot.contacts.imports.normalize import Problem, RowNormalizer
from bot.contacts.imports.reader import FileProblem, detect_encoding, open_table
from tests.helpers.partners import LANGUAGES

NOW = datetime(2024, 6, 1, tzinfo=UTC)
DEFAULT_DAY = datetime(2024, 5, 1, tzinfo=UTC)


@dataclass
class Read:
    """What the importer made of a file."""

    info: dict[str, Any]
    columns: dict[str, str]
    ignored: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    counted: int = 0

    @property
    def phones(self) -> list[str]:
        return [r["phone"] for r in self.rows]

    def problem_at(self, row: int) -> Problem:
        found = [p for p in self.problems if p.row == row]
        assert len(found) == 1, self.problems
        return found[0]


def read(
    tmp_path: Path, content: bytes, name: str = "list.csv", mapping: dict[str, str] | None = None
) -> Read:
    path = tmp_path / name
    path.write_bytes(content)
    with open_table(path) as table:
        columns = resolve(table.header, mapping)
        normalize = RowNormalizer(
            columns=columns,
            region="US",
            languages=LANGUAGES,
            opted_in_at=DEFAULT_DAY,
            source="festival",
            now=NOW,
        )
        result = Read(dict(table.info), columns.describe(), columns.ignored)
        names = (
            "phone",
            "first_name",
            "last_name",
            "zip",
            "email",
            "external_id",
            "language",
            "opted_in_at",
            "consent_source",
            "tags",
            "row",
            "count",
        )
        for batch in batches(table.rows, normalize, size=3):
            result.rows += [dict(zip(names, staged, strict=True)) for staged in batch.staged]
            result.problems += batch.problems
            result.counted += batch.rows
    return result


SPOKE = "firstName,lastName,cell,zip,external_id\r\nAna,García,2135550123,90012,A-1\r\n"


def test_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    got = read(tmp_path, codecs.BOM_UTF8 + SPOKE.encode())
    assert got.info == {"format": "csv", "encoding": "utf-8-sig", "delimiter": ","}
    assert got.columns == {
        "phone": "cell",
        "first_name": "firstName",
        "last_name": "lastName",
        "zip": "zip",
        "external_id": "external_id",
    }
    assert got.rows[0]["first_name"] == "Ana" and got.rows[0]["last_name"] == "García"
    assert got.phones == ["+12135550123"] and got.problems == []


def test_utf16_tab_separated_as_excel_saves_unicode_text(tmp_path: Path) -> None:
    text = "First Name\tLast Name\tMobile\tLanguage\r\nNguyễn\tLinh\t(213) 555-0124\tTiếng Việt\r\n"
    got = read(tmp_path, codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "list.txt")
    assert (got.info["encoding"], got.info["delimiter"]) == ("utf-16", "\t")
    assert got.rows[0]["first_name"] == "Nguyễn" and got.rows[0]["language"] == "vi"


def test_utf16_without_a_mark(tmp_path: Path) -> None:
    got = read(tmp_path, "phone,name\n2135550125,Wei\n".encode("utf-16-le"))
    assert got.info["encoding"] == "utf-16-le" and got.phones == ["+12135550125"]


def test_windows_1252_with_semicolons_as_european_excel_writes(tmp_path: Path) -> None:
    text = "Nombre;Apellido;Teléfono;Idioma\r\nJosé;Peña;213-555-0126;Español\r\n"
    got = read(tmp_path, text.encode("cp1252"))
    assert (got.info["encoding"], got.info["delimiter"]) == ("cp1252", ";")
    assert got.rows[0]["first_name"] == "José" and got.rows[0]["last_name"] == "Peña"
    assert got.rows[0]["language"] == "es" and got.phones == ["+12135550126"]


def test_one_invalid_byte_at_the_end_decides_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(b"phone,last name\n" + b"2135550127,Ana\n" * 20000 + b"2135550128,Mu\xf1oz\n")
    assert detect_encoding(path) == "cp1252"
    got = read(tmp_path, path.read_bytes())
    assert got.counted == 20001 and got.rows[-1]["last_name"] == "Muñoz"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = [
        delimiter.join(["cell", "first name", "zip"]),
        delimiter.join(["2135550129", "Ana María", "90012"]),
    ]
    got = read(tmp_path, "\n".join(lines).encode())
    assert got.info["delimiter"] == delimiter and got.rows[0]["first_name"] == "Ana María"


def test_quoted_newlines_and_delimiters_stay_in_their_value(tmp_path: Path) -> None:
    content = csv_lines(
        "phone,first_name,last_name,source",
        '2135550130,"Mary\nAnn","Smith, Jr.","door knock"',
        '2135550131,Bo,Li,"said ""yes"" at the door"',
    )
    got = read(tmp_path, content)
    assert [r["first_name"] for r in got.rows] == ["Mary Ann", "Bo"]
    assert got.rows[0]["last_name"] == "Smith, Jr."
    assert got.rows[1]["consent_source"] == 'said "yes" at the door'
    assert [r["row"] for r in got.rows] == [2, 3]  # one record each, as a spreadsheet shows


def csv_lines(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def test_blank_lines_and_rows_of_delimiters_are_not_rows(tmp_path: Path) -> None:
    content = csv_lines("phone,name", "", "2135550132,Ana", ",", "  ,  ", "", "2135550133,Bo", "")
    got = read(tmp_path, content)
    assert got.phones == ["+12135550132", "+12135550133"] and got.problems == []
    assert got.counted == 2
    assert [r["row"] for r in got.rows] == [3, 7]  # rows as the spreadsheet numbers them


def test_missing_and_extra_columns(tmp_path: Path) -> None:
    content = csv_lines(
        "phone,first_name,last_name,zip",
        "2135550134,Ana",  # short: the rest is empty
        "2135550135,Bo,Li,90012,,,",  # trailing empty cells: fine
        "2135550136,Smith, Jr.,Al,90012",
    )  # fmt: skip  (an unquoted comma)
    got = read(tmp_path, content)
    assert got.phones == ["+12135550134", "+12135550135"]
    assert got.rows[0]["last_name"] is None and got.rows[1]["zip"] == "90012"
    problem = got.problem_at(4)
    assert problem.rejected and "5 values but the header has 4 columns" in problem.problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2135550123.0", "+12135550123"),  # a number column's decimal
        ('="2135550123"', "+12135550123"),  # Excel's text-preserving formula
        ("'+12135550123", "+12135550123"),  # a leading apostrophe (our own exports have one)
        ("1 (213) 555-0123", "+12135550123"),
        ("+1.213.555.0123", "+12135550123"),
        ("+44 20 7183 8750", "+442071838750"),
        ("011 52 55 1234 5678", "+525512345678"),
        ("+84 28 3822 9999", "+842838229999"),
    ],
)
def test_phones_are_repaired_or_normalized(tmp_path: Path, raw: str, expected: str) -> None:
    got = read(tmp_path, csv_lines("phone,name", f'"{raw.replace(chr(34), chr(34) * 2)}",Ana'))
    assert got.phones == [expected], got.problems


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("3.23555E+09", "scientific notation by a spreadsheet and its digits are lost"),
        ("2.13556e9", "scientific notation"),
        ("555-0123", "no area code"),
        ("213-555-012", "too short"),
        ("+999 555 0123", "unknown country code"),
        ("call me", "not a phone number"),
        ("", "phone is empty"),
        ("199-555-0123", "not a valid number in US"),
    ],
)
def test_bad_phones_are_rejected_with_the_reason(tmp_path: Path, raw: str, reason: str) -> None:
    got = read(tmp_path, csv_lines("cell,first name", f"{raw},Ana"))
    assert got.rows == []
    problem = got.problem_at(2)
    assert problem.rejected and problem.column == "cell" and reason in problem.problem
    assert problem.value == (raw or None)


def test_ngp_van_export(tmp_path: Path) -> None:
    header = (
        "VANID,LastName,FirstName,MiddleName,Suffix,Address,City,State,Zip5,Zip4,"
        "HomePhone,Phone,CellPhone,PreferredEmail,Language"
    )
    row = (
        "1234567,Hernández,María,,,100 Main St,Los Angeles,CA,2134,5678,"
        "3235550100,3235550101,(213) 555-0140,Maria@Example.ORG,Spanish"
    )
    got = read(tmp_path, csv_lines(header, row))
    assert got.columns == {
        "phone": "CellPhone",
        "first_name": "FirstName",
        "last_name": "LastName",
        "zip": "Zip5",
        "email": "PreferredEmail",
        "external_id": "VANID",
        "language": "Language",
    }
    assert {"HomePhone", "Phone", "Address", "Zip4"} <= set(got.ignored)
    assert got.rows[0] | {"opted_in_at": None} == {
        "phone": "+12135550140",
        "first_name": "María",
        "last_name": "Hernández",
        "zip": "02134",
        "email": "Maria@example.org",
        "external_id": "1234567",
        "language": "es",
        "opted_in_at": None,
        "consent_source": "festival",
        "tags": None,
        "row": 2,
        "count": 1,
    }


def test_an_explicit_mapping_wins(tmp_path: Path) -> None:
    content = csv_lines("Tel (casa),Tel celular,Quien", "3235550100,2135550141,Ana")
    got = read(tmp_path, content, mapping={"tel celular": "phone", "Quien": "first_name"})
    assert got.phones == ["+12135550141"] and got.rows[0]["first_name"] == "Ana"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Nope": "phone"}, "mapping names a column the file does not have: 'Nope'"),
        ({"a": "telephone"}, "unknown field 'telephone'"),
        ({"a": "phone", "b": "phone"}, "two columns to phone"),
    ],
)
def test_bad_mappings_say_what_is_wrong(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(MappingProblem, match=message.replace("(", r"\(")):
        resolve(["a", "b"], mapping)


def test_no_phone_column_names_the_headers_and_the_fix() -> None:
    with pytest.raises(MappingProblem) as info:
        resolve(["Name", "Tel (casa)"])
    assert "'Name', 'Tel (casa)'" in str(info.value) and "--map" in str(info.value)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="empty"):
        read(tmp_path, b"\r\n\r\n")


def test_an_unclosed_quote_is_reported_with_its_row(tmp_path: Path) -> None:
    content = b'phone,name\n2135550142,Ana\n2135550143,"Bo\n' + b"x" * 140_000 + b"\n"
    with pytest.raises(FileProblem, match=r"row 3: .*a quote \(\"\) that opens a value"):
        read(tmp_path, content)


def test_values_left_out_are_reported_and_the_row_kept(tmp_path: Path) -> None:
    content = csv_lines(
        "phone,zip,email,language,VANID",
        "2135550144,ABCDE,not-an-email,Klingon,1.23E+07",
        "2135550145,90012-1234,ok@example.org,Portuguese,",
    )
    got = read(tmp_path, content)
    assert got.phones == ["+12135550144", "+12135550145"]
    assert got.rows[0]["zip"] is None and got.rows[1]["zip"] == "90012-1234"
    by_column = {(p.row, p.column): p for p in got.problems}
    assert not any(p.rejected for p in got.problems)
    assert "not a US ZIP code" in by_column[(2, "zip")].problem
    assert "not an email address" in by_column[(2, "email")].problem
    assert "language not recognized" in by_column[(2, "language")].problem
    assert "scientific notation" in by_column[(2, "VANID")].problem
    assert "Portuguese is not one of the supported languages" in by_column[(3, "language")].problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("3/5/2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("03/05/24", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05T18:30:00-08:00", datetime(2024, 3, 6, 2, 30, tzinfo=UTC)),
        ("3/5/2024 6:30 PM", datetime(2024, 3, 5, 18, 30, tzinfo=UTC)),
        ("Mar 5, 2024", datetime(2024, 3, 5, tzinfo=UTC)),
    ],
)
def test_opt_in_dates(tmp_path: Path, raw: str, expected: datetime) -> None:
    got = read(tmp_path, csv_lines("phone,opt-in date", f'2135550146,"{raw}"'))
    assert got.rows[0]["opted_in_at"] == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("next week", "date not understood; write it as YYYY-MM-DD"),
        ("2025-01-01", "in the future"),
        ("1900-01-00", "date not understood"),
        ("1899-12-31", "before 1990"),
    ],
)
def test_unreadable_opt_in_dates_reject_the_row(tmp_path: Path, raw: str, reason: str) -> None:
    got = read(tmp_path, csv_lines("phone,OptInDate", f"2135550147,{raw}"))
    assert got.rows == [] and reason in got.problem_at(2).problem
    assert got.problem_at(2).column == "OptInDate"


def test_repeats_in_a_file_merge_first_row_first(tmp_path: Path) -> None:
    content = csv_lines(
        "phone,first_name,last_name,zip",
        "(213) 555-0148,Ana,,",
        "2135550148,Anna,García,",
        "+1 213 555 0148,,Garcia,90012",
    )
    got = read(tmp_path, content)
    assert len(got.rows) == 1
    assert got.rows[0] | {"opted_in_at": None} == {
        "phone": "+12135550148",
        "first_name": "Ana",
        "last_name": "García",
        "zip": "90012",
        "email": None,
        "external_id": None,
        "language": None,
        "opted_in_at": None,
        "consent_source": "festival",
        "tags": None,
        "row": 2,
        "count": 3,
    }


def test_xlsx_numbers_dates_and_blank_rows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Cell Phone", "First Name", "Zip", "Opt In Date"])
    sheet.append([2135550149, "Ana", 2134, datetime(2024, 2, 10)])
    sheet.append([None, None, None, None])
    sheet.append(["(213) 555-0150", "Bo", "90012", date(2024, 2, 11)])
    sheet.append([1.23e9, "Cy", None, None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    got = read(tmp_path, path.read_bytes(), "list.xlsx")
    assert got.info["format"] == "xlsx"
    assert got.phones == ["+12135550149", "+12135550150"]
    assert [r["zip"] for r in got.rows] == ["02134", "90012"]
    assert [r["opted_in_at"] for r in got.rows] == [
        datetime(2024, 2, 10, tzinfo=UTC),
        datetime(2024, 2, 11, tzinfo=UTC),
    ]
    assert [r["row"] for r in got.rows] == [2, 4]
    # A whole number in a cell is its digits ("1230000000", not "1.23E+09"): checked as such.
    problem = got.problem_at(5)
    assert problem.value == "1230000000" and "not a valid number in US" in problem.problem
