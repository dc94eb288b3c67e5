"""Property tests of the address parser, which reads whatever a stranger texts as an address.

For any text it never raises and its answer is well typed; in an address-looking text (house
number, street, maybe a unit, city and state, in any order people write them, with or without
framing words in several languages) the ZIP is found wherever it stands, the house number comes
back as an int, and framing words change nothing.
"""

from __future__ import annotations

import os
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.voter.places.address import AddressQuery, looks_like_zip, parse_address

# 200 examples a test (TURNOUT_PROPERTY_DEPTH=10 for ten times as many); usaddress's model
# loads on the first call: no deadline. No example database: nothing written to the checkout.
DEPTH = int(os.environ.get("TURNOUT_PROPERTY_DEPTH", "1"))
SETTINGS = settings(max_examples=200 * DEPTH, deadline=None, database=None, print_blob=True)

STREETS = [
    "Main",
    "Oak",
    "Sunset",
    "Bolsa",
    "Temple",
    "Elm",
    "Maple",
    "Cedar",
    "Vermont",
    "Olympic",
]
SUFFIXES = ["St", "Ave", "Blvd", "Rd", "Dr", "Street", "Avenue", "Ln", "Way", "Pl"]
DIRECTIONS = ["N", "S", "E", "W", "North", "West"]
UNITS = ["apt 4", "Apt 12B", "#4B", "unit 7", "Suite 200", "apto 5"]
CITIES = ["Los Angeles", "Westminster", "Alhambra", "Springfield", "Santa Ana", "Fresno"]
STATES = ["CA", "NY", "TX", "California"]
# Framing as people write it, in English, Spanish, Vietnamese, Chinese, Korean and Tagalog.
FRAMES = [
    "my address is {}",
    "My home address is {}",
    "I live at {}",
    "i'm at {}",
    "vivo en {}",
    "Mi dirección es {}",
    "resido en {}",
    "tôi ở {}",
    "địa chỉ của tôi là {}",
    "住在{}",
    "我住在 {}",
    "{}에 살아요",
    "나는 {} 에 살아요",
    "nakatira ako sa {} po",
    "Ang address ko ay {}",
    "{} thanks",
    "{}, gracias",
    "{} please",
    "{} cảm ơn",
]
# Decimal digits of other scripts, as phones' keyboards type them (full-width, Devanagari ...).
DIGIT_ZEROS = [0x30, 0xFF10, 0x0966, 0x0E50, 0x17E0, 0x0660]


def _digits(number: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in number)


def _ascii_digits(text: str) -> str:
    """The decimal digits of a text, in any script, as ASCII digits."""
    nfkc = unicodedata.normalize("NFKC", text)
    return "".join(
        str(unicodedata.decimal(ch)) for ch in nfkc if unicodedata.decimal(ch, None) is not None
    )


zip5s = st.integers(0, 99999).map(lambda n: f"{n:05d}")
zip4s = st.none() | st.integers(0, 9999).map(lambda n: f"{n:04d}")


@st.composite
def addresses(draw: st.DrawFn, *, with_zip: bool = True) -> tuple[str, int, str, str | None]:
    """(text, house number, ZIP, ZIP+4): a street address with its ZIP somewhere in it."""
    house = draw(st.integers(1, 99999))
    street = " ".join(
        part
        for part in (
            f"{house}{draw(st.sampled_from(['', '', '', 'A', '-2']))}",
            draw(st.none() | st.sampled_from(DIRECTIONS)),
            draw(st.sampled_from(STREETS)),
            draw(st.none() | st.sampled_from(SUFFIXES)),
        )
        if part
    )
    unit = draw(st.none() | st.sampled_from(UNITS))
    city = draw(st.none() | st.sampled_from(CITIES))
    state = draw(st.none() | st.sampled_from(STATES)) if city else None
    zip5, zip4 = draw(zip5s), draw(zip4s)
    zip_code = f"{zip5}-{zip4}" if zip4 else zip5
    sep = draw(st.sampled_from([", ", " ", ",  ", "\n"]))
    parts = [p for p in (street, unit, city, state) if p]
    if not with_zip:
        return sep.join(parts), house, "", None
    # Where the ZIP goes: at the end (most texts), after the street or city, or first.
    at = draw(st.sampled_from(["end", "end", "after_street", "after_city", "first"]))
    if at == "after_street":
        parts.insert(1, zip_code)
    elif at == "after_city" and city:
        parts.insert(parts.index(city) + 1, zip_code)
    elif at == "first":  # with a comma: "90057 1A Main" could be house 90057 on "1A Main"
        return f"{zip_code}, {sep.join(parts)}", house, zip5, zip4
    else:
        parts.append(zip_code)
    return sep.join(parts), house, zip5, zip4


# Random Unicode, with more of what addresses are made of: digits of every kind (² folds to 2;
# ፩ and 𐩀 are digits with no decimal value), spaces, punctuation, the letters of street words.
STRANGER_TEXT = st.lists(
    st.text(max_size=4) | st.sampled_from([*"0123456789  ,.#-/²፩𐩀٣９", "st", "Ave", "N", "zip"]),
    max_size=24,
).map("".join)


# "123 Oak": nothing but the framing tells it is an address.
bare_addresses = st.builds(
    lambda house, street: (f"{house} {street}", house, "", None),
    st.integers(1, 99999),
    st.sampled_from(STREETS),
)


@SETTINGS
@given(STRANGER_TEXT)
def test_any_text_parses_without_raising_into_a_well_typed_query(text: str) -> None:
    query = parse_address(text)
    assert isinstance(looks_like_zip(text), bool)
    if query is None:
        return
    assert isinstance(query, AddressQuery)
    assert query.house_number is None or (
        type(query.house_number) is int and query.house_number >= 0
    )
    assert query.zip is None or re.fullmatch(r"[0-9]{5}", query.zip)
    assert query.zip4 is None or (query.zip is not None and re.fullmatch(r"[0-9]{4}", query.zip4))
    assert query.house_number is not None or query.street_name is None
    assert query.zip is not None or query.has_street


# Text built from the pieces addresses are made of, so that the parser's branches are reached.
PIECES = [
    *STREETS,
    *SUFFIXES,
    *DIRECTIONS,
    *UNITS,
    *CITIES,
    *STATES,
    "123",
    "90057",
    "90057-1234",
    "1/2",
    "12-14",
    "#",
    ",",
    "-",
    "my address is",
    "vivo en",
    "tôi ở",
    "住在",
    "에 살아요",
    "po",
    "thanks",
    "zip",
    "I have",
    "kids",
    "２",
    "٣",
]


@SETTINGS
@given(st.lists(st.sampled_from(PIECES), max_size=12).map(" ".join))
def test_address_like_text_parses_without_raising(text: str) -> None:
    query = parse_address(text)
    if query is not None and query.house_number is not None:
        assert type(query.house_number) is int
        assert str(query.house_number) in _ascii_digits(text)


@SETTINGS
@given(addresses())
def test_zip_is_found_anywhere_and_house_number_is_an_int(
    address: tuple[str, int, str, str | None],
) -> None:
    text, house, zip5, zip4 = address
    query = parse_address(text)
    assert query is not None, text
    assert query.zip == zip5, text
    assert query.zip4 == zip4, text
    assert type(query.house_number) is int and query.house_number == house, text
    assert query.street_name is not None and zip5 not in query.street_name, text
    assert zip5 not in (query.city or "") and zip5 not in (query.unit or ""), text


@pytest.mark.parametrize("frame", FRAMES)
@settings(SETTINGS, max_examples=40 * DEPTH)  # for each frame
@given(addresses() | addresses(with_zip=False) | bare_addresses)
def test_framing_words_are_cut_off(frame: str, address: tuple[str, int, str, str | None]) -> None:
    text = address[0]
    framed = frame.format(text)
    assert parse_address(framed) == parse_address(text), framed


@SETTINGS
@given(
    zip5s,
    zip4s,
    st.sampled_from(DIGIT_ZEROS),
    st.text(" \t\n\u00a0\u3000", max_size=3),
    st.text(" \t\n\u00a0\u3000", max_size=3),
)
def test_a_zip_alone_is_a_zip_in_any_digits(
    zip5: str, zip4: str | None, zero: int, before: str, after: str
) -> None:
    typed = _digits(zip5, zero) + (f"-{_digits(zip4, zero)}" if zip4 else "")
    text = before + typed + after
    assert looks_like_zip(text), text
    assert parse_address(text) == AddressQuery(zip=zip5, zip4=zip4)


@SETTINGS
@given(st.integers(0, 10**9), st.sampled_from(DIGIT_ZEROS))
def test_only_five_digits_look_like_a_zip(number: int, zero: int) -> None:
    digits = str(number)
    assert looks_like_zip(_digits(digits, zero)) is (len(digits) == 5)


ZIPPISH = st.lists(
    st.sampled_from([*"0123456789９٣", "-", " ", "\u00a0", "a", ".", "90057", "1234"]), max_size=8
).map("".join)


@SETTINGS
@given(ZIPPISH | st.text(max_size=12))
def test_a_text_looks_like_a_zip_exactly_when_it_is_one(text: str) -> None:
    typed = "".join(
        str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch
        for ch in unicodedata.normalize("NFKC", text)
    ).strip()
    found = re.fullmatch(r"([0-9]{5})(?:-([0-9]{4}))?", typed)
    assert looks_like_zip(text) is (found is not None), repr(text)
    if found:
        assert parse_address(text) == AddressQuery(zip=found[1], zip4=found[2])
