"""Vote-history import: an official vote-history file (as election offices and voter-file
vendors publish it) streamed, matched to Turnout's contacts, and reduced to what the lift needs:
the matched contact, whether they voted, how, and how sure the match is. No other column of the
file is kept.

Two layouts (docs/lift.md):

- **rows**: one row per voter per election, with the election's date (`election_date`) and,
  optionally, a `voted` flag (without one, a row means they voted) and a `method`;
- **columns**: one row per voter, one column per election named like `g2024` (general),
  `p2024` (primary), `s2023` (special), `r2025` (runoff) or given by `--map COLUMN=voted`,
  holding Y / N / blank, or a method letter (A absentee, M mail, E early, P polls ...).

Identity columns: `voter_id`, `first_name`, `last_name` (or a whole `name`), `birth_date`,
`zip`, and `address` (households, for clustered errors). Headers are found folded as the
contact import folds them (case, spaces and punctuation do not matter); `--map` names others.

Matching, best first: (1) the membership's voter id (`external_id`: a VANID, a county voter id)
equals the row's; (2) the hashed name keys + date of birth + ZIP the registration check uses,
when the list gave a birth date; (3) name + ZIP, with a confidence score: a shared name key
0.8, else the closest spelling (a typo) 0.6 to 0.75, refused when another contact of the ZIP is
as close or the birth dates disagree. A row that matches two contacts equally is left out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from bot.contacts.imports.columns import fold
from bot.contacts.imports.reader import open_table
from bot.errors import Invalid
from bot.sending.reminders import election_date
from bot.tables import CONTACTS, LIFT_IMPORTS, LIFT_VOTES, MEMBERSHIPS
from bot.voter.roll.keys import hash_key, voter_keys
from bot.voter.roll.loader import parse_roll_date, roll_zip
from bot.voter.roll.match import fold_name, name_keys

FIELDS = (
    "voter_id",
    "first_name",
    "last_name",
    "name",
    "birth_date",
    "zip",
    "address",
    "election_date",
    "voted",
    "method",
    "ignore",
)
HEADERS: dict[str, tuple[str, ...]] = {
    "voter_id": (
        "voterid",
        "vanid",
        "voterfileid",
        "voterregistrationnumber",
        "registrationnumber",
        "regnumber",
        "registrantid",
        "sosvoterid",
        "statevoterid",
        "countyvoterid",
        "idnumber",
        "externalid",
    ),
    "first_name": ("firstname", "first", "fname", "givenname", "namefirst", "nombre"),
    "last_name": ("lastname", "last", "lname", "surname", "namelast", "familyname", "apellido"),
    "name": ("name", "fullname", "votername"),
    "birth_date": ("dob", "dateofbirth", "birthdate", "birthday", "bdate", "fechadenacimiento"),
    "zip": ("zip", "zipcode", "zip5", "postalcode", "residencezip", "reszip", "rzip", "zipcode5"),
    "address": (
        "address",
        "streetaddress",
        "residenceaddress",
        "resaddress",
        "address1",
        "addressline1",
        "residentialaddress",
    ),
    "election_date": ("electiondate", "election", "dateofelection", "date"),
    "voted": ("voted", "participated", "didvote", "ballotcast", "vote"),
    "method": ("votemethod", "votingmethod", "method", "ballottype", "howvoted", "votetype"),
}
_RANK = {h: (f, rank) for f, hs in HEADERS.items() for rank, h in enumerate(hs)}
ELECTION_COLUMN = re.compile(r"^([gpsr])(\d{4})$")
YES = frozenset({"y", "yes", "1", "true", "t", "x", "voted", "v"})
NO = frozenset({"n", "no", "0", "false", "f", "", "did not vote", "dnv"})
METHODS = {
    "a": "mail",
    "ab": "mail",
    "absentee": "mail",
    "m": "mail",
    "mail": "mail",
    "vbm": "mail",
    "e": "early",
    "ev": "early",
    "early": "early",
    "p": "polls",
    "polls": "polls",
    "poll": "polls",
    "inperson": "polls",
    "electionday": "polls",
    "ed": "polls",
    "d": "dropbox",
    "dropbox": "dropbox",
    "provisional": "provisional",
    "prov": "provisional",
}
PROBLEMS_KEPT = 100
BATCH = 5000
CACHE = 100_000  # people remembered (a row-per-election file names each several times)
TYPO_SIMILARITY = 0.85  # the closest spelling must be at least this similar
TYPO_MARGIN = 0.05  # and this much closer than the next contact of the ZIP


class HistoryProblem(Invalid):
    """A history file we cannot read as asked; the message says how to fix it."""


@dataclass(slots=True)
class _Contact:
    contact_id: int
    organization_id: int
    language: str
    full: str  # folded "given family"
    keys: tuple[str, ...]
    birth_date: dt.date | None


@dataclass
class Index:
    """Turnout's side of the matching, in memory: voter ids, hashed keys, names by ZIP."""

    by_voter_id: dict[str, int] = field(default_factory=dict)
    by_key: dict[int, int] = field(default_factory=dict)  # -1: two contacts share the key
    by_zip_word: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    by_zip_name: dict[tuple[str, str], int] = field(default_factory=dict)  # a person, or -1
    people: list[_Contact] = field(default_factory=list)
    zips: set[str] = field(default_factory=set)
    groups: dict[int, tuple[int, str]] = field(default_factory=dict)  # contact -> org, language


def _voter_id(text: str) -> str:
    value = text.strip().upper()
    return value.lstrip("0") or value


def build_index(conn: Connection, *, default_language: str = "en") -> Index:
    """Every membership's voter id, name keys (hashed with birth date and ZIP when the list
    gave a birth date) and name by ZIP."""
    m, c = MEMBERSHIPS.c, CONTACTS.c
    index = Index()
    shared: dict[tuple[int, str], tuple[int, str]] = {}  # one tuple per organization × language
    rows = conn.execute(
        select(
            m.contact_id,
            m.organization_id,
            m.first_name,
            m.last_name,
            m.zip,
            m.external_id,
            m.birth_date,
            func.coalesce(c.language, m.language, default_language),
        )
        .join(CONTACTS, c.id == m.contact_id)
        .order_by(m.contact_id, m.organization_id)
    )
    for cid, org, first, last, zip_text, external, born, language in rows:
        cid = int(cid)
        group = (int(org), str(language))
        index.groups.setdefault(cid, shared.setdefault(group, group))
        if external and external.strip():
            index.by_voter_id.setdefault(_voter_id(external), cid)
        zip5 = roll_zip(zip_text or "")
        first, last = first or "", last or ""
        if not zip5 or not (first.strip() or last.strip()):
            continue
        keys = name_keys(first, last)
        full = fold_name(f"{first} {last}")
        person = _Contact(cid, int(org), str(language), full, tuple(sorted(keys)), born)
        seq = len(index.people)
        index.people.append(person)
        index.zips.add(zip5)
        for word in set(person.full.split()):
            index.by_zip_word[(zip5, word)].add(seq)
        for name_key in keys:
            here = index.by_zip_name.get((zip5, name_key))
            index.by_zip_name[(zip5, name_key)] = seq if here is None or here == seq else -1
        if born is not None:
            for key in _hashed(keys, first, last, born, zip5):
                there = index.by_key.get(key)
                index.by_key[key] = cid if there is None or there == cid else -1
    return index


def _hashed(keys: set[str], first: str, last: str, born: dt.date, zip5: str) -> set[int]:
    """The registration check's hashed keys (`bot.voter.roll.keys.voter_keys`), from name
    keys already made."""
    if not keys:
        return voter_keys(first, last, born, zip5)  # its own rule for "Nguyen Nguyen"
    return {hash_key(key, born, zip5) for key in keys}


@dataclass(frozen=True)
class Match:
    contact_id: int
    matched_by: str  # voter_id, keys, name_zip
    confidence: float


def match_person(
    index: Index,
    *,
    voter_id: str,
    first: str,
    last: str,
    birth_date: dt.date | None,
    zip5: str | None,
) -> Match | None:
    """The contact a history row is, by voter id, then keys + DOB + ZIP, then name + ZIP."""
    if voter_id:
        found = index.by_voter_id.get(_voter_id(voter_id))
        if found is not None:
            return Match(found, "voter_id", 1.0)
    if not zip5 or zip5 not in index.zips or not (first.strip() or last.strip()):
        return None
    keys = name_keys(first, last)
    if birth_date is not None and index.by_key:
        hits: set[int] = set()
        for key in _hashed(keys, first, last, birth_date, zip5):
            hit = index.by_key.get(key)
            if hit is not None:
                hits.add(hit)
        if len(hits) == 1 and -1 not in hits:
            return Match(next(iter(hits)), "keys", 0.95)
        if len(hits) > 1:
            return None  # two contacts are this person: say nothing
    named: set[int] = set()
    for name_key in keys:
        seq = index.by_zip_name.get((zip5, name_key))
        if seq is not None:
            named.add(seq)
    if -1 in named:  # namesakes in the ZIP: the birth date may tell them apart
        named = {
            s
            for word in fold_name(f"{first} {last}").split()
            for s in index.by_zip_word.get((zip5, word), set())
            if keys & set(index.people[s].keys)
        }
    exact = {
        index.people[s].contact_id
        for s in named
        if birth_date is None or index.people[s].birth_date in (None, birth_date)
    }
    if len(exact) == 1:
        return Match(next(iter(exact)), "name_zip", 0.8)
    if len(exact) > 1:
        return None
    # A typo: the closest spelling among the ZIP's contacts who share a word of the name.
    full = fold_name(f"{first} {last}")
    seqs: set[int] = set()
    for word in full.split():
        seqs |= index.by_zip_word.get((zip5, word), set())
    candidates = [index.people[s] for s in seqs]
    if birth_date is not None:
        candidates = [p for p in candidates if p.birth_date in (None, birth_date)]
    scored: dict[int, float] = {}
    matcher = SequenceMatcher(None, b=full)
    for person in candidates:
        if abs(len(person.full) - len(full)) > 3:
            continue
        matcher.set_seq1(person.full)
        if matcher.real_quick_ratio() < TYPO_SIMILARITY or matcher.quick_ratio() < TYPO_SIMILARITY:
            continue
        ratio = matcher.ratio()
        scored[person.contact_id] = max(scored.get(person.contact_id, 0.0), ratio)
    if not scored:
        return None
    ranked = sorted(scored.items(), key=lambda item: -item[1])
    best_id, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best < TYPO_SIMILARITY or best - runner_up < TYPO_MARGIN:
        return None
    return Match(best_id, "name_zip", round(0.6 + (best - TYPO_SIMILARITY), 3))


def general_election_day(year: int) -> dt.date:
    """The Tuesday after the first Monday of November."""
    first = dt.date(year, 11, 1)
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    return monday + dt.timedelta(days=1)


def column_date(kind: str, year: int) -> dt.date:
    """When a `g2024` / `p2024` / `s2023` / `r2025` column's election was, for ordering: a
    general's exact day; a primary's is taken as 1 March (presidential years) or 1 June, a
    special's or runoff's as 1 July (only "before the election or not" matters)."""
    if kind == "g":
        return general_election_day(year)
    if kind == "p":
        return dt.date(year, 3, 1) if year % 4 == 0 else dt.date(year, 6, 1)
    return dt.date(year, 7, 1)


@dataclass(frozen=True)
class Layout:
    """Where each identity field is, the layout, and (columns) the elections' columns."""

    index: dict[str, int]
    kind: str  # rows, columns
    elections: dict[int, tuple[str, dt.date]]  # column -> (label, date), columns layout
    target_column: int | None


def resolve_layout(header: list[str], mapping: Mapping[str, str], election_date: dt.date) -> Layout:
    """The file's columns: the mapping first, then recognized headers; its layout."""
    folded = {fold(h): i for i, h in reversed(list(enumerate(header)))}
    index: dict[str, int] = {}
    ignored: set[int] = set()
    for name, target in mapping.items():
        target = target.strip().lower()
        if target not in FIELDS:
            raise HistoryProblem(
                f"mapping {name!r}: unknown field {target!r}; fields are {', '.join(FIELDS)}"
            )
        if fold(name) not in folded:
            raise HistoryProblem(
                f"mapping names a column the file does not have: {name!r}; the file's "
                f"columns are {', '.join(repr(h) for h in header)}"
            )
        if target == "ignore":
            ignored.add(folded[fold(name)])
        else:
            index[target] = folded[fold(name)]
    taken = set(index.values()) | ignored
    best: dict[str, tuple[int, int]] = {}
    for i, name in enumerate(header):
        key = fold(name)
        if i in taken or key not in _RANK:
            continue
        found, rank = _RANK[key]
        if found not in index and (found not in best or rank < best[found][0]):
            best[found] = (rank, i)
    index.update({f: i for f, (_rank, i) in best.items()})
    has_name = ("first_name" in index and "last_name" in index) or "name" in index
    if "voter_id" not in index and not (has_name and "zip" in index):
        raise HistoryProblem(
            "no identity columns: give a voter id column, or names and a ZIP "
            "(map them with --map 'Their Header=voter_id', first_name, last_name, zip ...)"
        )
    elections: dict[int, tuple[str, dt.date]] = {}
    for i, name in enumerate(header):
        found_col = ELECTION_COLUMN.match(fold(name))
        if found_col and i not in index.values() and i not in ignored:
            kind, year = found_col.group(1), int(found_col.group(2))
            elections[i] = (fold(name), column_date(kind, year))
    if "election_date" in index:
        return Layout(index, "rows", {}, None)
    column: int | None = index.pop("voted", None)
    if column is None:
        wanted = f"{'g' if election_date.month == 11 else 'p'}{election_date.year}"
        column = next((i for i, (label, _d) in elections.items() if label == wanted), None)
    if column is None:
        raise HistoryProblem(
            "neither an election_date column (one row per voter per election) nor this "
            f"election's column ({'g' if election_date.month == 11 else 'p'}"
            f"{election_date.year}); name it with --map 'Their Header=voted'"
        )
    elections.pop(column, None)
    return Layout(index, "columns", elections, column)


def read_flag(text: str) -> tuple[bool | None, str | None]:
    """(voted, method) of a cell: Y/N/blank, 1/0, or a method's name or letter."""
    word = text.strip().lower()
    if word in NO:
        return False, None
    if word in YES:
        return True, None
    method = METHODS.get(word.replace(" ", "").replace("-", "").replace("_", ""))
    if method is not None:
        return True, method
    return None, None


def household_key(address: str, zip5: str | None) -> int | None:
    """A 64-bit hash of an address (folded) and ZIP: who lives together, not where."""
    text = fold_name(address)
    if not text:
        return None
    digest = hashlib.blake2b(f"{text}|{zip5 or ''}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


BY_CODES = ("voter_id", "keys", "name_zip")
METHOD_CODES = (None, "mail", "early", "polls", "dropbox", "provisional", "other")


class _Label:
    """One election's matched contacts, as arrays by contact slot: voted (-1 not in the
    file, 0, 1), method, match method, confidence and household."""

    def __init__(self, size: int, date: dt.date) -> None:
        self.date = date
        self.voted = np.full(size, -1, dtype=np.int8)
        self.method = np.zeros(size, dtype=np.int8)
        self.by = np.zeros(size, dtype=np.int8)
        self.confidence = np.zeros(size, dtype=np.float32)
        self.household = np.zeros(size, dtype=np.int64)
        self.has_household = np.zeros(size, dtype=bool)


class _Votes:
    """What the file says of each matched contact in each election (label): compact
    arrays, so that duplicates merge (voted if any row says so; the surest match) and two
    million rows do not become two million objects."""

    def __init__(self, contacts: list[int]) -> None:
        self.slot = {cid: i for i, cid in enumerate(contacts)}
        self.contacts = contacts
        self.labels: dict[str, _Label] = {}

    def add(
        self,
        label: str,
        date: dt.date,
        match: Match,
        voted: bool,
        method: str | None,
        household: int | None,
    ) -> None:
        entries = self.labels.get(label)
        if entries is None:
            entries = self.labels[label] = _Label(len(self.contacts), date)
        slot = self.slot[match.contact_id]
        before = int(entries.voted[slot])
        if before < 0 or (voted and before == 0):
            entries.voted[slot] = int(voted)
            entries.method[slot] = METHOD_CODES.index(method) if method in METHOD_CODES else 0
        if before < 0 or match.confidence > float(entries.confidence[slot]):
            entries.by[slot] = BY_CODES.index(match.matched_by)
            entries.confidence[slot] = match.confidence
        if household is not None and not entries.has_household[slot]:
            entries.household[slot] = household
            entries.has_household[slot] = True


@dataclass
class HistoryReport:
    """What an import did: rows read, rows that could not be read, matches by method and
    match rates per organization and language."""

    import_id: int
    layout: str
    rows: int = 0
    unreadable: int = 0
    matched_rows: int = 0
    matched_contacts: int = 0
    voted: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """For the import's row."""
        return {
            "matched_rows": self.matched_rows,
            "matched_contacts": self.matched_contacts,
            "voted": self.voted,
            "by_method": self.by_method,
            "groups": self.groups,
            "labels": self.labels,
        }


def import_history(
    engine: Engine,
    *,
    path: Path,
    election_id: int,
    mapping: Mapping[str, str] | None = None,
    filename: str | None = None,
    now: dt.datetime,
    default_language: str = "en",
) -> HistoryReport:
    """Read a vote-history file for an election, match it and keep only the matched
    contacts' turnout (replacing an earlier import's for the same elections)."""
    with engine.begin() as conn:
        target = election_date(conn, election_id=election_id)
        index = build_index(conn, default_language=default_language)
    with open_table(path) as table:
        layout = resolve_layout(table.header, mapping or {}, target)
        with engine.begin() as conn:
            import_id = int(
                conn.execute(
                    insert(LIFT_IMPORTS)
                    .values(
                        election_date=target,
                        filename=(filename or path.name)[:255],
                        layout=layout.kind,
                        status="running",
                        created_at=now,
                    )
                    .returning(LIFT_IMPORTS.c.id)
                ).scalar_one()
            )
        report = HistoryReport(import_id=import_id, layout=layout.kind)
        votes = _Votes(sorted(index.groups))
        try:
            _read(table.rows, layout, index, votes, report, target)
        except Exception as exc:
            with engine.begin() as conn:
                conn.execute(
                    update(LIFT_IMPORTS)
                    .where(LIFT_IMPORTS.c.id == import_id)
                    .values(status="failed", problems=[{"problem": str(exc)[:300]}])
                )
            raise
    with engine.begin() as conn:
        _store(conn, votes, report, index, target)
        conn.execute(
            update(LIFT_IMPORTS)
            .where(LIFT_IMPORTS.c.id == import_id)
            .values(
                status="done",
                rows=report.rows,
                unreadable=report.unreadable,
                matched=report.matched_contacts,
                counts=report.counts(),
                problems=report.problems,
                finished_at=now,
            )
        )
    return report


def _problem(report: HistoryReport, row: int, column: str, problem: str) -> None:
    report.unreadable += 1
    if len(report.problems) < PROBLEMS_KEPT:
        report.problems.append({"row": row, "column": column, "problem": problem})


def _read(
    rows: Iterator[tuple[int, list[str]]],
    layout: Layout,
    index: Index,
    votes: _Votes,
    report: HistoryReport,
    target: dt.date,
) -> None:
    at = layout.index
    # Who a row is, once per person (a row-per-election file names each several times):
    # the match and the household, by a hash of the identity cells.
    cache: dict[int, tuple[Match, int | None] | None] = {}
    dates: dict[str, dt.date | None] = {}
    target_label = target.isoformat()
    none = 1 << 30  # a column the file does not have: read as ""
    i_id, i_first, i_last = (at.get(f, none) for f in ("voter_id", "first_name", "last_name"))
    i_name, i_born, i_zip = (at.get(f, none) for f in ("name", "birth_date", "zip"))
    i_address, i_when = at.get("address", none), at.get("election_date", none)
    i_voted, i_method = at.get("voted", none), at.get("method", none)
    has_voted, has_method, has_name = "voted" in at, "method" in at, "name" in at
    width = max([i for i in at.values()] + [layout.target_column or 0], default=0) + 1
    pad = [""] * width

    for number, cells in rows:
        report.rows += 1
        if len(cells) < width:
            cells = cells + pad[len(cells) :]
        voter_id = cells[i_id].strip() if i_id != none else ""
        first = cells[i_first] if i_first != none else ""
        last = cells[i_last] if i_last != none else ""
        if has_name and not (first.strip() or last.strip()):
            first, last = cells[i_name], ""
        born_text = cells[i_born].strip() if i_born != none else ""
        zip_text = cells[i_zip].strip() if i_zip != none else ""
        if not voter_id and not ((first.strip() or last.strip()) and zip_text):
            _problem(report, number, "voter_id", "no voter id, and no name with a ZIP")
            continue
        # What this row says about which elections.
        said: list[tuple[str, dt.date, bool, str | None]] = []
        if layout.kind == "rows":
            when_text = cells[i_when]
            if when_text in dates:
                when = dates[when_text]
            else:
                when = dates[when_text] = parse_roll_date(when_text)
            if when is None:
                _problem(report, number, "election_date", "not a date (YYYY-MM-DD, MM/DD/YYYY)")
                continue
            if when > target:
                continue
            voted: bool | None = True
            method_text = cells[i_method].strip().lower() if has_method else ""
            method = METHODS.get(method_text.replace(" ", "")) if method_text else None
            if has_voted:
                voted, flag_method = read_flag(cells[i_voted])
                method = method or flag_method
            if voted is None:
                _problem(report, number, "voted", "not Y, N, 1, 0 or a way of voting")
                continue
            if method_text and method is None:
                method = "other"
            label = target_label if when == target else when.isoformat()
            said.append((label, when, bool(voted), method if voted else None))
        else:
            assert layout.target_column is not None
            flag, method = read_flag(cells[layout.target_column])
            if flag is None:
                _problem(report, number, "voted", "not Y, N, 1, 0 or a way of voting")
                continue
            said.append((target_label, target, flag, method))
            for i, (label, when) in layout.elections.items():
                if when >= target:
                    continue
                prior, prior_method = read_flag(cells[i] if i < len(cells) else "")
                if prior is not None:
                    said.append((label, when, prior, prior_method))
        address = cells[i_address] if i_address != none else ""
        key = hash((voter_id, first, last, born_text, zip_text, address))
        if key in cache:
            found = cache[key]
        else:
            zip5 = roll_zip(zip_text) if zip_text else None
            born = parse_roll_date(born_text) if born_text else None
            match = match_person(
                index, voter_id=voter_id, first=first, last=last, birth_date=born, zip5=zip5
            )
            found = None
            if match is not None:
                found = (match, household_key(address, zip5) if address else None)
            if len(cache) >= CACHE:
                cache.clear()
            cache[key] = found
        if found is None:
            continue
        report.matched_rows += 1
        match, household = found
        for label, when, flag_voted, how in said:
            votes.add(label, when, match, flag_voted, how, household)


def _store(
    conn: Connection, votes: _Votes, report: HistoryReport, index: Index, target: dt.date
) -> None:
    if votes.labels:
        conn.execute(delete(LIFT_VOTES).where(LIFT_VOTES.c.label.in_(sorted(votes.labels))))
    target_label = target.isoformat()
    matched_target: set[int] = set()
    by_method: Counter[str] = Counter()
    for label, entries in votes.labels.items():
        slots = np.flatnonzero(entries.voted >= 0)
        report.labels[label] = len(slots)
        batch: list[dict[str, Any]] = []
        for slot in slots.tolist():
            cid = votes.contacts[slot]
            voted = bool(entries.voted[slot])
            by = BY_CODES[int(entries.by[slot])]
            if label == target_label:
                matched_target.add(cid)
                by_method[by] += 1
                report.voted += int(voted)
            batch.append(
                {
                    "label": label,
                    "election_date": entries.date,
                    "contact_id": cid,
                    "voted": voted,
                    "method": METHOD_CODES[int(entries.method[slot])] if voted else None,
                    "matched_by": by,
                    "confidence": round(float(entries.confidence[slot]), 3),
                    "household": int(entries.household[slot])
                    if entries.has_household[slot]
                    else None,
                    "import_id": report.import_id,
                }
            )
            if len(batch) >= BATCH:
                _insert_votes(conn, batch)
                batch = []
        if batch:
            _insert_votes(conn, batch)
    report.matched_contacts = len(matched_target)
    report.by_method = dict(by_method)
    groups: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for cid, group in index.groups.items():
        entry = groups[group]
        entry[0] += 1
        entry[1] += int(cid in matched_target)
    report.groups = [
        {
            "organization_id": org,
            "language": language,
            "contacts": n,
            "matched": m,
            "match_rate": round(m / n, 4) if n else 0.0,
        }
        for (org, language), (n, m) in sorted(groups.items())
    ]


VOTE_COLUMNS = (
    "label",
    "election_date",
    "contact_id",
    "voted",
    "method",
    "matched_by",
    "confidence",
    "household",
    "import_id",
)


def _insert_votes(conn: Connection, batch: list[dict[str, Any]]) -> None:
    """Insert rows of lift_votes through the driver's executemany: a million rows through
    SQLAlchemy's per-row parameter processing take half a minute, this a few seconds."""
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (
        f"INSERT INTO lift_votes ({', '.join(VOTE_COLUMNS)}) "  # noqa: S608 (fixed names)
        f"VALUES ({', '.join([mark] * len(VOTE_COLUMNS))})"
    )
    rows = [
        tuple((r[c].isoformat() if sqlite and c == "election_date" else r[c]) for c in VOTE_COLUMNS)
        for r in batch
    ]
    conn.exec_driver_sql(sql, rows)


def imports_of(conn: Connection, election_date: dt.date) -> list[Any]:
    """The history imports for an election, newest first."""
    i = LIFT_IMPORTS.c
    query = select(LIFT_IMPORTS).where(i.election_date == election_date)
    return list(conn.execute(query.order_by(i.id.desc())))
