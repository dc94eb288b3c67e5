"""US states and territories: USPS abbreviation, FIPS code and name, to read feeds that name a
state any of these ways (VIP's State element has a name; its VipId is a FIPS code)."""

from __future__ import annotations

import re

_TABLE = """
AL 01 Alabama|AK 02 Alaska|AZ 04 Arizona|AR 05 Arkansas|CA 06 California|CO 08 Colorado
CT 09 Connecticut|DE 10 Delaware|DC 11 District of Columbia|FL 12 Florida|GA 13 Georgia
HI 15 Hawaii|ID 16 Idaho|IL 17 Illinois|IN 18 Indiana|IA 19 Iowa|KS 20 Kansas|KY 21 Kentucky
LA 22 Louisiana|ME 23 Maine|MD 24 Maryland|MA 25 Massachusetts|MI 26 Michigan|MN 27 Minnesota
MS 28 Mississippi|MO 29 Missouri|MT 30 Montana|NE 31 Nebraska|NV 32 Nevada|NH 33 New Hampshire
NJ 34 New Jersey|NM 35 New Mexico|NY 36 New York|NC 37 North Carolina|ND 38 North Dakota
OH 39 Ohio|OK 40 Oklahoma|OR 41 Oregon|PA 42 Pennsylvania|RI 44 Rhode Island
SC 45 South Carolina|SD 46 South Dakota|TN 47 Tennessee|TX 48 Texas|UT 49 Utah|VT 50 Vermont
VA 51 Virginia|WA 53 Washington|WV 54 West Virginia|WI 55 Wisconsin|WY 56 Wyoming
AS 60 American Samoa|GU 66 Guam|MP 69 Northern Mariana Islands|PR 72 Puerto Rico
VI 78 Virgin Islands
"""

_ROWS = [row.strip().split(" ", 2) for row in _TABLE.replace("\n", "|").split("|") if row.strip()]
ABBREVIATIONS: frozenset[str] = frozenset(abbr for abbr, _, _ in _ROWS)
_BY_FIPS = {fips: abbr for abbr, fips, _ in _ROWS}
_BY_NAME = {name.upper(): abbr for abbr, _, name in _ROWS}
_NAMES = {abbr: name for abbr, _, name in _ROWS}
_OCD = re.compile(r"/state:([a-z]{2})(?:/|$)")


def state_abbr(text: str | None) -> str | None:
    """The USPS abbreviation for an abbreviation, a name, a FIPS code or an OCD id, else None."""
    if not text:
        return None
    value = " ".join(text.split()).upper()
    if value in ABBREVIATIONS:
        return value
    if value.isdigit():
        # A VIP id is a state FIPS code (51) or a county one (04013): the state is its start.
        return _BY_FIPS.get(value.zfill(2)[:2]) if len(value) in (1, 2, 5) else None
    found = _OCD.search(text.lower())
    if found:
        return found.group(1).upper() if found.group(1).upper() in ABBREVIATIONS else None
    return _BY_NAME.get(value)


def state_name(abbr: str | None) -> str | None:
    """The state's name for its abbreviation, else None."""
    return _NAMES.get(abbr.upper()) if abbr else None
