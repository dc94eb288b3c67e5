"""What a voter texts as an address, parsed into a query, and matched to VIP street segments.

Framing words in several languages are cut off first ("vivo en", "my address is", "tôi ở",
"住在", "에 살아요", "nakatira ako sa"); the ZIP code is taken out wherever it stands (the
model reads "90057 Los Angeles" as a unit number); then `usaddress` (a CRF model trained on US
addresses) labels the rest, and Publication 28 (`bot.voter.places.usps`) normalizes the street.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

import usaddress

from bot.voter.geo import zip_info
from bot.voter.places.usps import fold, normalize_direction, normalize_street, normalize_suffix
from bot.voter.records import StreetSegment
from bot.voter.states import state_abbr

_FRAMING = re.compile(
    r"my (?:home |street )?address is|(?:the |my )?address(?: is|\s*:)|i live (?:at|on|in)"
    r"|i(?:'m| am) (?:at|on)|vivo en(?: la| el)?|resido en|estoy en"
    r"|mi (?:direcci[oó]n|domicilio)(?: es|\s*:)?|(?:la )?direcci[oó]n(?: es|\s*:)"
    r"|t[oô]i (?:s[oố]ng )?[oở]|nh[aà] t[oô]i(?: [oở])?"
    r"|[dđ][iị]a ch[iỉ](?: c[uủ]a t[oô]i)?(?: l[aà])?"
    r"|(?:ako ay )?nakatira(?: ako)? sa|(?:ang )?address ko(?: ay)?",
    re.IGNORECASE,
)
# A house number: digits (maybe "123A", "12-14"), then a word with a letter ("Main", "5th").
_HOUSE = re.compile(r"(?<![\w/-])\d+[A-Za-z]?(?:-\d+)?(?=\s+(?:\d+/\d+\s+)?\d*[^\W\d_])")
_ZIP = re.compile(r"(?<![\w-])(\d{5})(?:-(\d{4}))?(?![\w-])")
_ZIP_AT_END = re.compile(r"[\s,]+(\d{5}(?:-\d{4})?)[\s.]*$")
# What introduces a ZIP: "zip 90057", "and my zip is 90057", "código postal: 90057".
_ZIP_WORDS = re.compile(
    r"[\s,]*(?:\b(?:and|y)\s+)?(?:\b(?:my|mi)\s+)?"
    r"\b(?:zip(?:\s*code)?|postal code|c[oó]digo postal)(?:\s+(?:is|es))?[\s:#]*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"[\s,.!]*\b(?:please|pls|thanks?(?: you)?|thx|gracias|por favor|salamat(?: po)?|po"
    r"|c[aả]m [oơ]n|ạ)[\s.!]*$",
    re.IGNORECASE,
)
# A word that announces a unit's number ("Apt 10001" is no ZIP).
_UNIT_TYPE = re.compile(
    r"#|(?:apt|apartment|unit|suite|ste|rm|room|fl|floor|bldg|lot|spc|space|no|num)\.?",
    re.IGNORECASE,
)
_UNIT_WORDS = re.compile(
    r"\b(?:apto|apartamento|depto|departamento|unidad|c[aă]n h[oộ]|ph[oò]ng)\b\.?", re.IGNORECASE
)


@dataclass(frozen=True)
class AddressQuery:
    """An address as typed, structured and normalized for matching (street parts upper case)."""

    house_number: int | None = None
    street_name: str | None = None
    street_suffix: str | None = None
    pre_direction: str | None = None
    post_direction: str | None = None
    unit: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    zip4: str | None = None

    @property
    def has_street(self) -> bool:
        """True when a house and street were given, not only a ZIP or city."""
        return self.house_number is not None and self.street_name is not None


def looks_like_zip(text: str) -> bool:
    """True when the whole text is a ZIP code: "90057", " 90057-1234 "."""
    return _ZIP.fullmatch(_plain(text).strip()) is not None


def _plain(text: str) -> str:
    """NFKC (full-width digits), every script's digits as ASCII, other scripts' letters off."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isdigit() and unicodedata.decimal(ch, None) is not None:
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isdigit():
            out.append(" ")  # a numeral of no decimal place ("፩", Ethiopic one): not a number
        elif ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            out.append(" ")  # 住在, 에 살아요: not part of a US address
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def parse_address(text: str) -> AddressQuery | None:
    """The address in a voter's text, or None when there is nothing address-like."""
    plain = _plain(text)
    framing = list(_FRAMING.finditer(plain))
    start = framing[-1].end() if framing else 0
    rest = plain[start:]
    house = _HOUSE.search(rest)
    if house is None:
        zips = _ZIP.findall(rest)
        return AddressQuery(zip=zips[0][0], zip4=zips[0][1] or None) if len(zips) == 1 else None
    chatter = re.search(r"[^\W\d_]", rest[: house.start()]) is not None
    zips_before = _ZIP.findall(plain[: start + house.start()])  # "90057, 123 Main St"
    rest = rest[house.start() :]
    while (thanks := _THANKS.search(rest)) is not None and thanks.start() > 0:
        rest = rest[: thanks.start()]
    # Taken off before tagging, wherever it is: after "apto 5," the model reads "5, 90057" as
    # the unit, and "Main St 90057 Los Angeles" as a unit number.
    rest, zip_code = _take_zip(_UNIT_WORDS.sub(" APT ", rest))
    labels, found = _labels(rest), {"ZipCode": zip_code} if zip_code else {}
    query = _from_labels(labels | found)
    if query is None or query.house_number is None:
        query = _from_labels(_number_and_street(rest, house[0], labels) | found)
    if query and chatter and not _street_like(query):
        query = None  # "I have 2 kids": words before a number that nothing marks as a street
    if zips_before and (query is None or query.zip is None):
        zip5, zip4 = zips_before[-1]  # "my zip is 90057, I live at 123 Main St"
        return replace(query or AddressQuery(), zip=zip5, zip4=zip4 or None)
    return query


def _number_and_street(text: str, house: str, labels: dict[str, str]) -> dict[str, str]:
    """The house number we found, and the words after it up to a comma or the ZIP as the
    street, for when the model does not read them so ("1 Oak" as a unit, "10-2 Sunset" as a
    landmark, "10000 Oak" as a ZIP and a country, "1000A E Cedar" as a number and a city)."""
    found = labels.get("ZipCode")
    zip_code = {"ZipCode": found} if found and found != house else {}
    words: list[str] = []
    for word in text[len(house) :].split():
        if zip_code and word.strip(",.") == found:
            break
        words.append(word.strip(","))
        if word.endswith(","):
            break
    return {"AddressNumber": house, "StreetName": " ".join(words)} | zip_code


def _take_zip(text: str) -> tuple[str, str | None]:
    """The text without its ZIP code (and the words that announce it), and the ZIP."""
    found = _ZIP_AT_END.search(text)
    if found is not None:
        zip_code, head, tail = found[1], text[: found.start()], ""
    else:
        middle = _zip_inside(text)
        if middle is None:
            return text, None
        zip_code, head, tail = middle[0], text[: middle.start()], text[middle.end() :]
    head = _ZIP_WORDS.sub("", head).rstrip(" ,")
    tail = tail.lstrip(" ,.")
    return (f"{head}, {tail}" if tail else head), zip_code


def _zip_inside(text: str) -> re.Match[str] | None:
    """A ZIP before the end of an address that the model takes for something else ("90057 Los
    Angeles" for a unit, "Los Angeles 90057 CA" for a city): a five-digit token after the
    house number, unless it is the number of a unit ("Apt 10001") or the whole name of a
    street ("1234 W 10000 S" on Utah's grid, "123 Highway 10001"; not "1 Oak Rd 90057")."""
    tagged = usaddress.parse(text)
    if any(label == "ZipCode" for _, label in tagged):
        return None  # the model found it: its reading of the rest is the better one
    house_or_direction = ("AddressNumber", "StreetNamePreDirectional")
    for at in range(1, len(tagged)):
        token, label = tagged[at]
        before, label_before = tagged[at - 1]
        digits = token.strip(",;.()")
        if not _ZIP.fullmatch(digits) or _UNIT_TYPE.fullmatch(before):
            continue
        word = before.strip(",.")
        if label == "StreetName" and not before.endswith(","):
            grid = label_before == "StreetNamePreDirectional" and normalize_direction(word)
            road = (
                label_before == "StreetNamePreType"
                and normalize_suffix(word)
                and at >= 2
                and tagged[at - 2][1] in house_or_direction
            )
            if label_before == "AddressNumber" or grid or road:
                continue
        return next((m for m in _ZIP.finditer(text) if m[0] == digits and m.start() > 0), None)
    return None


def _street_like(query: AddressQuery) -> bool:
    """True when something beyond "number word" says this is an address."""
    parts = (query.street_suffix, query.pre_direction, query.post_direction, query.unit)
    return any(parts) or query.zip is not None or query.state is not None


def _labels(text: str) -> dict[str, str]:
    """The first run of tokens of each usaddress label ("StreetName": "misty mountain")."""
    runs: dict[str, list[str]] = {}
    previous = ""
    for token, label in usaddress.parse(text):
        token = token.strip(",;")
        if label != previous and label in runs:
            previous = label
            continue  # a label seen again later is the model's guess gone astray: keep the first
        if token:
            runs.setdefault(label, []).append(token)
        previous = label
    return {label: " ".join(tokens) for label, tokens in runs.items()}


def _from_labels(labels: dict[str, str]) -> AddressQuery | None:
    number = re.match(r"\d+", labels.get("AddressNumber", ""))
    zip_found = _ZIP.search(labels.get("ZipCode", ""))
    zip5, zip4 = (zip_found[1], zip_found[2]) if zip_found else (None, None)
    name = " ".join(
        labels[key]
        for key in ("StreetNamePreModifier", "StreetNamePreType", "StreetName")
        if key in labels
    )
    suffix = normalize_suffix(labels.get("StreetNamePostType"))
    if labels.get("StreetNamePostType") and suffix is None:
        name = f"{name} {labels['StreetNamePostType']}"  # not a Pub 28 suffix: part of the name
    if "StreetNamePostModifier" in labels:
        name = f"{name} {labels['StreetNamePostModifier']}"
    if number is None or not re.search(r"[^\W\d_]|\d", name):
        return AddressQuery(zip=zip5, zip4=zip4 or None) if zip5 else None
    city, state = _city_state(labels.get("PlaceName"), labels.get("StateName"))
    unit = labels.get("OccupancyIdentifier") or labels.get("SubaddressIdentifier")
    return AddressQuery(
        house_number=int(number.group()),
        street_name=normalize_street(name) or None,
        street_suffix=suffix,
        pre_direction=normalize_direction(labels.get("StreetNamePreDirectional")),
        post_direction=normalize_direction(labels.get("StreetNamePostDirectional")),
        unit=fold(unit).replace(" ", "") or None if unit else None,
        city=fold(city) or None if city else None,
        state=state,
        zip=zip5,
        zip4=zip4 or None,
    )


def _city_state(city: str | None, state: str | None) -> tuple[str | None, str | None]:
    abbr = state_abbr(state)
    if state and abbr is None:
        # "Los Angeles 90057" without a state: the model takes "Angeles" for one.
        return " ".join(filter(None, [city, state])), None
    return city, abbr


def match_segment(query: AddressQuery, segments: Iterable[StreetSegment]) -> list[StreetSegment]:
    """Every segment the address falls in, however specific (see `most_specific`)."""
    return [segment for segment in segments if _matches(query, segment)]


def specificity(segment: StreetSegment) -> int:
    """2 for a house-number range, 1 for a whole street, 0 for every street of a city or ZIP."""
    if segment.includes_all_streets or segment.street_name is None:
        return 0
    return 1 if segment.includes_all_addresses else 2


def most_specific(segments: Iterable[StreetSegment]) -> list[StreetSegment]:
    """The matched segments that say the most about the address: a county-wide catch-all
    (IncludesAllStreets) gives way to a street, a whole street to a house-number range."""
    matched = list(segments)
    top = max(map(specificity, matched), default=0)
    return [segment for segment in matched if specificity(segment) == top]


def _matches(query: AddressQuery, segment: StreetSegment) -> bool:
    if not _same_area(query, segment):
        return False
    if segment.includes_all_streets or query.street_name is None:
        return True  # a ZIP or a city alone: every segment there, to count their precincts
    if segment.street_name is None or not _same_street(query, segment):
        return False
    if segment.unit_number and query.unit and fold(segment.unit_number) != query.unit:
        return False
    return segment.includes_all_addresses or _in_range(query.house_number, segment)


def _same_area(query: AddressQuery, segment: StreetSegment) -> bool:
    if query.state and segment.state and query.state != segment.state:
        return False
    if query.zip and segment.zip:
        return segment.zip[:5] == query.zip
    if not segment.city:
        return True
    # The segment has a city and no ZIP: the city typed ("LA") or the ZIP's city may name it.
    info = zip_info(query.zip) if query.zip else None
    cities = {city for city in (query.city, fold(info.city) if info else None) if city}
    return not cities or fold(segment.city) in cities


def _in_range(number: int | None, segment: StreetSegment) -> bool:
    start, end = segment.start_house_number, segment.end_house_number
    if number is None or start is None or end is None or not start <= number <= end:
        return False
    parity = segment.odd_even_both
    return parity == "both" or (number % 2 == 1) == (parity == "odd")


def _same_street(query: AddressQuery, segment: StreetSegment) -> bool:
    mine = _parts(
        query.street_name or "", query.pre_direction, query.street_suffix, query.post_direction
    )
    theirs = _parts(
        segment.street_name or "",
        normalize_direction(segment.street_direction),
        normalize_suffix(segment.street_suffix),
        normalize_direction(segment.address_direction),
    )
    if mine[1] != theirs[1]:
        return False
    # A part only one side gives is no conflict: voters leave out "St" and "N".
    return all(mine[i] is None or theirs[i] is None or mine[i] == theirs[i] for i in (0, 2, 3))


def _parts(
    name: str, direction: str | None, suffix: str | None, post: str | None
) -> tuple[str | None, str, str | None, str | None]:
    """(direction, core name, suffix, post-direction), lifting the ones a name embeds."""
    words = normalize_street(name).split()
    if len(words) > 1 and normalize_direction(words[0]) and direction in (None, words[0]):
        direction = words.pop(0)
    if len(words) > 1 and normalize_direction(words[-1]) and post in (None, words[-1]):
        post = words.pop()
    if len(words) > 1 and normalize_suffix(words[-1]) and suffix in (None, words[-1]):
        suffix = words.pop()
    return direction, " ".join(words), suffix, post
