"""Single values: phones (the fast path agrees with phonenumbers), language names, ZIPs,
emails, slugs, and CSV cells a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.contacts.imports.copytext import copy_text
from bot.contacts.imports.languages import LanguageProblem
from bot.contacts.imports.normalize import ValueProblem, email, us_zip
from bot.contacts.imports.phone_cells import PhoneNormalizer, PhoneProblem, _slow
from bot.contacts.imports.spreadsheet import csv_chunks, safe_cell
from bot.contacts.organizations import PartnerError, slugify
from tests.helpers.partners import LANGUAGES


def _outcome(convert: Callable[[str], object], raw: str) -> str:
    try:
        return str(convert(raw))
    except PhoneProblem as exc:
        return f"error: {exc}"


def test_fast_path_agrees_with_phonenumbers_on_every_area_code() -> None:
    rng = random.Random(20240501)
    fast = PhoneNormalizer("US")
    numbers = [f"{npa}{rng.randrange(10**7):07d}" for npa in range(200, 1000) for _ in range(12)]
    numbers += ["2684601234", "8095551234", "7875550123", "6045550123", "9005550123"]
    disagree = [n for n in numbers if _outcome(fast, n) != _outcome(lambda v: _slow(v, "US"), n)]
    assert disagree == []
    valid = sum(not _outcome(fast, n).startswith("error") for n in numbers)
    assert 0.3 < valid / len(numbers) < 0.95  # both kinds were really compared


@pytest.mark.parametrize(
    "written",
    [
        "(213) 555-0123",
        "213.555.0123",
        "+1 213-555-0123",
        "1-213-555-0123",
        " 2135550123 ",
        "+12135550123",
    ],
)
def test_north_american_ways_of_writing(written: str) -> None:
    assert PhoneNormalizer("US")(written) == "+12135550123"


def test_the_default_region_is_used_for_numbers_without_a_country_code() -> None:
    assert PhoneNormalizer("MX")("55 1234 5678") == "+525512345678"
    assert PhoneNormalizer("MX")("+1 213 555 0123") == "+12135550123"
    with pytest.raises(PhoneProblem):
        PhoneNormalizer("GB")("(213) 555-0123")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Spanish", "es"),
        ("español", "es"),
        ("ESPAÑOL", "es"),
        ("es", "es"),
        ("es-MX", "es"),
        ("Spanish (Mexico)", "es"),
        ("Spanish/English", "es"),
        ("spa", "es"),
        ("Chinese (Mandarin)", "zh"),
        ("Mandarin", "zh"),
        ("中文", "zh"),
        ("zh-CN", "zh"),
        ("Chinese (Cantonese)", "zh-Hant"),
        ("Cantonese", "zh-Hant"),
        ("繁體中文", "zh-Hant"),
        ("zh_TW", "zh-Hant"),
        ("Tiếng Việt", "vi"),
        ("tieng viet", "vi"),
        ("Vietnamese", "vi"),
        ("Korean", "ko"),
        ("한국어", "ko"),
        ("Tagalog", "tl"),
        ("Filipino", "tl"),
        ("Hindi", "hi"),
        ("Japanese", "ja"),
        ("日本語", "ja"),
        ("Khmer", "km"),
        ("Cambodian", "km"),
        ("Thai", "th"),
        ("English", "en"),
        ("", None),
        ("N/A", None),
        ("unknown", None),
    ],
)
def test_language_names(written: str, code: str | None) -> None:
    assert LANGUAGES.code(written) == code


def test_unknown_and_unsupported_languages_say_which() -> None:
    with pytest.raises(LanguageProblem, match="Portuguese is not one of the supported"):
        LANGUAGES.code("Portuguese")
    with pytest.raises(LanguageProblem, match=r"not recognized \(supported: en, es"):
        LANGUAGES.code("Klingon")


@pytest.mark.parametrize(
    ("raw", "zip_code"),
    [
        ("90012", "90012"),
        ("2134", "02134"),
        ("501", "00501"),
        ("90012-1234", "90012-1234"),
        ("900121234", "90012-1234"),
        ("90012.0", "90012"),
        ("21341234", "02134-1234"),
    ],
)
def test_us_zip_codes(raw: str, zip_code: str) -> None:
    assert us_zip(raw) == zip_code


@pytest.mark.parametrize("raw", ["ABCDE", "12", "9001212345", "90012-12"])
def test_bad_zip_codes(raw: str) -> None:
    with pytest.raises(ValueProblem):
        us_zip(raw)


def test_emails() -> None:
    assert email("Ana.Perez@Example.ORG") == "Ana.Perez@example.org"
    for bad in ("ana", "ana@", "ana@example", "a b@example.org", "x" * 250 + "@example.org"):
        with pytest.raises(ValueProblem):
            email(bad)


def test_slugs() -> None:
    assert slugify("Advancing Justice – LA") == "advancing-justice-la"
    assert slugify("Comité Pro Voto") == "comite-pro-voto"
    with pytest.raises(PartnerError):
        slugify("中文")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+12135550123", "'+12135550123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ana", "Ana"),
        (None, ""),
        (True, "true"),
        (5, "5"),
    ],
)
def test_cells_that_would_be_formulas_are_quoted(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_csv_chunks_round_trip() -> None:
    rows = [("=1+1", f"name {i}", None) for i in range(1234)]
    text = "".join(csv_chunks(("a", "b", "c"), rows, every=100))
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["a", "b", "c"] and len(parsed) == 1235
    assert parsed[1] == ["'=1+1", "name 0", ""]


def test_copy_text_escapes_what_copy_would_misread() -> None:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    rows: list[list[object]] = [
        ["+12135550101", "O\\Brien", None, when, 7],
        ["+12135550102", "a\tb\nc\rd", "x", when, 8],
    ]
    assert copy_text(rows) == (
        b"+12135550101\tO\\\\Brien\t\\N\t2024-05-01T00:00:00+00:00\t7\n"
        b"+12135550102\ta\\tb\\nc\\rd\tx\t2024-05-01T00:00:00+00:00\t8\n"
    )
    assert copy_text([]) == b""
