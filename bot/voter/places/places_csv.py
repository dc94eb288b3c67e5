"""The places CSV: for organizers without a VIP feed, one polling place a row.

Columns (a header row is required; the order is free; UTF-8, a BOM is fine):

| column | required | meaning |
| --- | --- | --- |
| id | no | a stable id for the place; without it the row number (`row7`) is used |
| name | yes | the place's name |
| address | yes | street address ("2775 Hydraulic Rd") |
| city, state, zip | yes | state as two letters; ZIP as 90057 or 90057-1234 |
| lat, lng | no | decimal degrees (WGS 84) |
| kind | no | polling_place (default), vote_center, early_voting or drop_box |
| start_date, end_date | no | YYYY-MM-DD: the days that `hours` without a date apply to |
| hours | no | "07:00-20:00" (every day from start_date to end_date, or election day when there are no dates) or per day "2020-10-28 08:00-17:00; 2020-10-29 08:00-17:00" |
| languages | no | ISO 639-1 codes spoken there, `|`-separated: "en|es|zh" |
| accessible | no | yes or no |
| notes | no | directions or anything else to tell a voter |
"""  # noqa: E501  (a table is clearer unwrapped)

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.voter.places import checks as places
from bot.voter.places.hours import parse_date, parse_hours_text
from bot.voter.records import FeedError, Hours, PollingPlace
from bot.voter.states import state_abbr
from bot.voter.vip.base import FeedIndex, Problems, flag

REQUIRED = ("name", "address", "city", "state", "zip")
KINDS = ("polling_place", "vote_center", "early_voting", "drop_box")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
ELEMENT = "PollingPlace"
_Add = Callable[[str], None]


def rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row, with header names lowercased."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        try:
            header = [name.strip().lower() for name in next(reader, [])]
            missing = [name for name in REQUIRED if name not in header]
            if missing:
                raise FeedError(f"{path}: line 1: missing columns {', '.join(missing)}")
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, dict(zip(header, cells, strict=False))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FeedError(f"{path}: line {reader.line_num + 1}: {exc}") from exc


def build_index(path: Path) -> FeedIndex:
    """The count of rows; a places CSV refers to nothing else."""
    index = FeedIndex()
    index.counts[ELEMENT] = sum(1 for _ in rows(path))
    return index


def records(path: Path, problems: Problems) -> Iterator[PollingPlace]:
    """Each usable row as a `PollingPlace`; the others become problems."""
    for number, (_, row) in enumerate(rows(path), start=1):
        place = to_place(row, f"row{number}", problems)
        if place is not None:
            yield place


def to_place(row: dict[str, str], default_id: str, problems: Problems) -> PollingPlace | None:
    """One row as a `PollingPlace`, or None with a problem when it has no name or address."""
    cell = {key: " ".join((value or "").split()) for key, value in row.items()}
    source_id = cell.get("id") or default_id

    def add(problem: str) -> None:
        problems.add(ELEMENT, source_id, problem)

    if not cell.get("name") or not cell.get("address"):
        add("no name or no address; skipped")
        return None
    kind = cell.get("kind", "").lower() or "polling_place"
    if kind not in KINDS:
        add(f"kind {kind!r} is not one of {', '.join(KINDS)}; taken as polling_place")
    place = PollingPlace(
        source_id=source_id,
        name=cell["name"],
        address_line=cell["address"],
        city=cell.get("city") or None,
        state=_state(cell.get("state", ""), add),
        zip=_zip(cell.get("zip", ""), add),
        lat=_number(cell.get("lat", ""), "lat", add),
        lng=_number(cell.get("lng", ""), "lng", add),
        is_drop_box=kind == "drop_box",
        is_early_voting=kind == "early_voting",
        is_vote_center=kind == "vote_center",
        languages=_languages(cell.get("languages", ""), add),
        accessible=_accessible(cell.get("accessible", ""), add),
        hours=_hours(cell, add),
        directions=cell.get("notes") or None,
    )
    return places.checked(place, ELEMENT, problems.add)


def _state(text: str, add: _Add) -> str | None:
    abbr = state_abbr(text)
    if text and abbr is None:
        add(f"state {text!r} is not a US state")
    return abbr


def _zip(text: str, add: _Add) -> str | None:
    code = places.normalize_zip(text)
    if text and code is None:
        add(f"zip {text!r} is not a ZIP code")
    return code


def _number(text: str, column: str, add: _Add) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        add(f"{column} {text!r} is not a number")
        return None


def _languages(text: str, add: _Add) -> tuple[str, ...]:
    codes = [code.strip().lower() for code in text.split("|") if code.strip()]
    bad = [code for code in codes if not _LANGUAGE.match(code)]
    if bad:
        add(f"languages {', '.join(bad)} are not ISO 639 codes; left out")
    return tuple(code for code in dict.fromkeys(codes) if code not in bad)


def _accessible(text: str, add: _Add) -> bool | None:
    value = flag(text)
    if text and value is None:
        add(f"accessible {text!r} is not yes or no")
    return value


def _hours(cell: dict[str, str], add: _Add) -> tuple[Hours, ...]:
    start, end = parse_date(cell.get("start_date")), parse_date(cell.get("end_date"))
    for column, value in (("start_date", start), ("end_date", end)):
        if cell.get(column) and value is None:
            add(f"{column} {cell[column]!r} is not a date")
    hours, bad = parse_hours_text(cell.get("hours", ""), start, end)
    for problem in bad:
        add(problem)
    return tuple(hours)
