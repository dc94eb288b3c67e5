"""Vote-history import on both databases: a synthetic file with typos, missing birth dates,
duplicates, voters absent from Turnout and unreadable rows, in both layouts; match rates and
methods asserted, and nothing kept but the matched contact, whether they voted, how."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot import tables
from bot.clock import utcnow
from bot.errors import Invalid
from bot.lift.assign import Member, assign, ensure_experiment
from bot.lift.history import import_history
from tests.helpers.lift import election
from tests.helpers.lift import people as make_people
from tests.helpers.sending import organization

pytestmark = pytest.mark.db
DATE = dt.date(2026, 11, 3)
GIVEN = [
    "Maria",
    "Jose",
    "Wei",
    "Linh",
    "Minh",
    "Jae",
    "Soo",
    "Ana",
    "Luis",
    "Carmen",
    "Rosa",
    "Hector",
    "Mei",
    "Ling",
    "Duc",
    "Thanh",
    "Ji",
    "Hye",
    "Jorge",
    "Elena",
    "Raul",
    "Lucia",
    "Tomas",
    "Ines",
    "Bao",
    "Hoa",
    "Kenji",
    "Yuki",
    "Priya",
    "Ravi",
]
FAMILY = [
    "Hernandez",
    "Gonzalez",
    "Nguyenova",
    "Tranquilo",
    "Castillo",
    "Morales",
    "Ramirez",
    "Villanueva",
    "Santiago",
    "Dominguez",
    "Fernandez",
    "Guerrero",
    "Medina",
    "Rosales",
    "Salazar",
    "Valencia",
    "Zamora",
    "Cardenas",
    "Escobar",
    "Figueroa",
]
STRANGERS = ["Okafor", "Lindqvist", "Abernathy", "Kowalczyk", "Papadakis", "Oyelaran"]


@dataclass
class Person:
    contact_id: int
    first: str
    last: str
    zip: str
    dob: dt.date
    voter_id: str | None
    dob_known: bool


def _typo(word: str) -> str:
    i = len(word) // 2
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _world(engine: Engine) -> tuple[int, list[Person]]:
    org = organization(engine, "latino-vote")
    rng = random.Random(4)
    names = [(g, f) for g in GIVEN for f in FAMILY]
    rng.shuffle(names)
    election_id = election(engine, DATE)
    specs: list[dict[str, Any]] = []
    for i in range(300):
        first, last = names[i]
        dob = dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
        specs.append(
            {
                "phone": f"+1323{i:07d}",
                "language": "es" if i % 2 else "en",
                "org": org,
                "first_name": first,
                "last_name": last,
                "zip": ("90012", "90031", "91754")[i % 3],
                "external_id": f"CA{i:08d}" if i < 100 else None,
                "birth_date": dob if 100 <= i < 180 else None,
                "dob": dob,
            }
        )
    ids = make_people(engine, specs)
    found = [
        Person(
            cid,
            s["first_name"],
            s["last_name"],
            s["zip"],
            s["dob"],
            s["external_id"],
            s["birth_date"] is not None,
        )
        for cid, s in zip(ids, specs, strict=True)
    ]
    return election_id, found


def _rows_file(tmp_path: Path, people: list[Person]) -> tuple[Path, dict[int, bool]]:
    """One row per voter per election: the first 270 contacts are in the file (100 by voter
    id, 80 by name + DOB + ZIP, 60 by name + ZIP without a DOB, 30 with a typo and no DOB);
    30 are absent; 200 strangers; 20 duplicates; 3 unreadable rows; a prior election."""
    rng = random.Random(9)
    lines = ["VoterID,FirstName,LastName,DOB,Zip,Address,ElectionDate,VoteMethod"]
    voted: dict[int, bool] = {}
    for i, p in enumerate(people[:270]):
        did = rng.random() < 0.6
        voted[p.contact_id] = did
        last = p.last
        dob = p.dob.strftime("%m/%d/%Y")
        voter_id = p.voter_id or ""
        if 180 <= i < 270:
            dob = ""  # missing DOBs
        if 240 <= i < 270:
            last = _typo(p.last)
        address = f"{100 + i // 2} Main St"  # two contacts a household
        if did:
            lines.append(f"{voter_id},{p.first},{last},{dob},{p.zip},{address},{DATE:%m/%d/%Y},VBM")
        lines.append(f"{voter_id},{p.first},{last},{dob},{p.zip},{address},2024-11-05,P")
        if i % 13 == 0 and did:  # duplicates
            lines.append(f"{voter_id},{p.first},{last},{dob},{p.zip},{address},{DATE},VBM")
    for j in range(200):
        lines.append(
            f"X{j:07d},{GIVEN[j % 30]},{STRANGERS[j % 6]},01/02/1980,90012,1 Elm St,{DATE},P"
        )
    lines += [",,,,,,2026-11-03,P", "CA99999999,Ana,Okafor,,90012,,not a date,P"]
    lines.append(",Ana,,,,,2026-11-03,P")
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, voted


def _votes(engine: Engine, label: str) -> dict[int, tuple[bool, str | None, str, float]]:
    v = tables.LIFT_VOTES.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(v.contact_id, v.voted, v.method, v.matched_by, v.confidence).where(
                v.label == label
            )
        )
        return {int(r[0]): (bool(r[1]), r[2], r[3], float(r[4])) for r in rows}


def test_rows_layout_matches_by_id_keys_and_name(engine: Engine, tmp_path: Path) -> None:
    election_id, people = _world(engine)
    path, voted = _rows_file(tmp_path, people)
    report = import_history(engine, path=path, election_id=election_id, now=utcnow())
    assert report.layout == "rows"
    assert report.unreadable == 3
    assert {p["column"] for p in report.problems} == {"voter_id", "election_date"}
    found = _votes(engine, DATE.isoformat())
    voters = {cid for cid, did in voted.items() if did}
    # Only contacts who voted appear in this election's rows.
    by = {cid: entry[2] for cid, entry in found.items()}
    ids = {p.contact_id: i for i, p in enumerate(people)}
    assert set(found) <= voters  # no stranger, no absent contact matched
    assert all(by[c] == "voter_id" for c in by if ids[c] < 100)
    assert all(by[c] == "keys" for c in by if 100 <= ids[c] < 180)
    assert all(by[c] == "name_zip" for c in by if ids[c] >= 180)
    typos = [c for c in voters if 240 <= ids[c] < 270]
    matched_typos = [c for c in typos if c in found]
    assert len(matched_typos) >= 0.8 * len(typos)
    assert all(0.6 <= found[c][3] < 0.8 for c in matched_typos)
    assert len(found) >= len(voters) - len(typos) + len(matched_typos)
    assert all(entry[0] and entry[1] == "mail" for entry in found.values())
    prior = _votes(engine, "2024-11-05")
    assert len(prior) >= 260  # everyone of the 270 has a 2024 row
    assert all(entry[1] == "polls" for entry in prior.values())
    assert report.matched_contacts == len(found)
    (group_en, group_es) = sorted(report.groups, key=lambda g: g["language"])
    assert group_en["contacts"] == group_es["contacts"] == 150
    assert group_en["matched"] + group_es["matched"] == len(found)
    with engine.connect() as conn:
        row = conn.execute(select(tables.LIFT_IMPORTS)).one()
    assert row.status == "done" and row.rows == report.rows and row.unreadable == 3
    # What is kept: contact, voted, method, match; nothing of the file's names or dates.
    assert set(tables.LIFT_VOTES.c.keys()) == {
        "id",
        "label",
        "election_date",
        "contact_id",
        "voted",
        "method",
        "matched_by",
        "confidence",
        "household",
        "import_id",
    }
    # Re-importing replaces, not duplicates.
    import_history(engine, path=path, election_id=election_id, now=utcnow())
    assert _votes(engine, DATE.isoformat()) == found


def test_columns_layout_and_history_classes(engine: Engine, tmp_path: Path) -> None:
    election_id, people = _world(engine)
    lines = ["Voter ID,First,Last,Birth Date,ZIP Code,g2026,p2026,g2024,g2022"]
    for i, p in enumerate(people[:200]):
        g2026 = "Y" if i % 2 else "N"
        prior = ("A", "Y", "") if i % 3 else ("N", "", "")
        vid = p.voter_id or ""
        lines.append(
            f"{vid},{p.first},{p.last},{p.dob.isoformat()},{p.zip},{g2026},Y,{prior[0]},{prior[1]}"
        )
    lines.append("CA1,Bad,Flag,,90012,maybe,,,")
    path = tmp_path / "file.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_history(engine, path=path, election_id=election_id, now=utcnow())
    assert report.layout == "columns" and report.unreadable == 1
    found = _votes(engine, DATE.isoformat())
    # 100 by voter id, 80 by keys (the lists gave birth dates), 20 by name + ZIP.
    assert len(found) == 200
    assert sum(1 for e in found.values() if e[2] == "voter_id") == 100
    assert sum(1 for e in found.values() if e[2] == "keys") == 80
    assert sum(1 for e in found.values() if e[0]) == 100
    assert set(report.labels) == {DATE.isoformat(), "p2026", "g2024", "g2022"}
    g2024 = _votes(engine, "g2024")
    assert {e[1] for e in g2024.values() if e[0]} == {"mail"}
    # A later election blocks by voter history: p2026, g2024, g2022 are before it.
    later = dt.date(2027, 3, 2)
    with engine.begin() as conn:
        experiment = ensure_experiment(conn, election_date=later, share=0.5, now=utcnow())
        assert experiment.by_history
        assign(conn, experiment, [Member(p.contact_id, "en") for p in people], utcnow())
        a = tables.LIFT_ASSIGNMENTS.c
        query = select(a.contact_id, a.history_class).where(a.experiment_id == experiment.id)
        classes = {int(cid): str(klass) for cid, klass in conn.execute(query)}
    ids = [p.contact_id for p in people]
    assert all(classes[c] == "first_time" for c in ids[200:])
    # Four elections on record before it: infrequent below two votes of four.
    for i in range(200):
        times = 1 + i % 2 + (2 if i % 3 else 0)  # p2026, g2026 when odd, g2024 + g2022
        assert classes[ids[i]] == ("infrequent" if times < 2 else "regular"), i


def test_files_that_cannot_be_used(engine: Engine, tmp_path: Path) -> None:
    election_id, _people = _world(engine)
    path = tmp_path / "nothing.csv"
    path.write_text("Color,Size\nred,9\n", encoding="utf-8")
    with pytest.raises(Invalid, match="identity"):
        import_history(engine, path=path, election_id=election_id, now=utcnow())
    path.write_text("VoterID,Zip,g2020\n1,90012,Y\n", encoding="utf-8")
    with pytest.raises(Invalid, match="g2026"):
        import_history(engine, path=path, election_id=election_id, now=utcnow())
    report = import_history(
        engine, path=path, election_id=election_id, mapping={"g2020": "voted"}, now=utcnow()
    )
    assert report.rows == 1 and report.matched_contacts == 0


def test_the_command_line(tmp_path: Path) -> None:
    from bot.db import make_engine
    from bot.migrate import upgrade
    from tests.helpers.cli import turnout

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(engine)
    org = organization(engine, "latino-vote")
    election_id = election(engine, dt.date.today() + dt.timedelta(days=10))
    date = dt.date.today() + dt.timedelta(days=10)
    specs = [
        {"phone": f"+1818{i:07d}", "language": "es", "org": org, "external_id": f"V{i}"}
        for i in range(200)
    ]
    make_people(engine, specs)
    engine.dispose()
    held = turnout(tmp_path, "lift", "holdout", "--election", str(election_id), "--share", "0.5")
    assert held.returncode == 0, held.stderr
    assert "100 treated, 100 control" in held.stdout
    path = tmp_path / "history.csv"
    rows = [f"V{i},{date.isoformat()},Y" for i in range(0, 200, 2)] + [",,"]
    path.write_text("Voter,Date of election,Voted\n" + "\n".join(rows) + "\n", encoding="utf-8")
    imported = turnout(
        tmp_path,
        "history",
        "import",
        str(path),
        "--election",
        str(election_id),
        "--map",
        "Voter=voter_id",
        "--map",
        "Date of election=election_date",
    )
    assert imported.returncode == 0, imported.stderr
    assert "100 contacts matched (voter_id 100)" in imported.stderr
    assert "1 could not be read" in imported.stderr
    report = turnout(tmp_path, "lift", "report", "--election", str(election_id), "--csv")
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("group,value,treated,control")
    assert "all,all,100,100" in report.stdout
    table = turnout(tmp_path, "lift", "report", "--election", str(election_id))
    assert table.returncode == 0 and "Lift:" in table.stdout and "95% interval" in table.stdout
    missing = turnout(tmp_path, "lift", "report", "--election", "999")
    assert missing.returncode == 2 and "no such election" in missing.stderr
    bad = turnout(
        tmp_path,
        "history",
        "import",
        str(path),
        "--election",
        str(election_id),
        "--map",
        "nonsense",
    )
    assert bad.returncode == 2 and "COLUMN=field" in bad.stderr
