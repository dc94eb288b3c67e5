"""Contact imports on SQLite and PostgreSQL: counts, dedup across the coalition, consent per
membership, opt-outs no import undoes, idempotent re-imports, dry runs, resuming a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot.contacts.imports import merge
from bot.contacts.imports.intake import ImportRefused, consent_basis
from bot.contacts.imports.runner import ImportBusy, run_import
from bot.models import ConsentEvent, Contact, ContactImport, ContactImportError, Membership
from tests.helpers.partners import (
    BASIS,
    LANGUAGES,
    assert_adds_up,
    count,
    counts,
    csv_text,
    make_org,
    options,
    run_file,
    start,
)
from tests.helpers.webhook import Signer, bodies, fields, runtime

pytestmark = pytest.mark.db
HEADER = "cell,first_name,last_name,zip,language,opt_in_date"
LIST = csv_text(
    HEADER,
    "(213) 555-0101,Ana,García,90012,Spanish,2024-04-01",
    "213.555.0102,Bo,Li,2134,Cantonese,",
    "3.23555E+09,Cy,Tran,,Vietnamese,",  # the digits are gone: rejected
    "+1 213 555 0101,Anna,,,,",  # a repeat of the first row: merged, its gaps only
    "2135550103,,Kim,,Klingon,",  # imported, its language left out
    "",
    "2135550104,Dee,,,,2030-01-01",  # an opt-in date in the future: rejected
)


def _memberships(engine: Engine, org_id: int | None = None) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        query = select(Membership, col(Contact.phone)).join(
            Contact, col(Contact.id) == Membership.contact_id
        )
        if org_id is not None:
            query = query.where(col(Membership.organization_id) == org_id)
        return {
            phone: m.model_dump(exclude={"last_import_id"})
            for m, phone in session.execute(query).all()
        }


def _events(engine: Engine, phone: str | None = None) -> list[tuple[str, str, int | None]]:
    with Session(engine) as session:
        query = (
            select(
                col(ConsentEvent.kind), col(ConsentEvent.source), col(ConsentEvent.organization_id)
            )
            .join(Contact, col(Contact.id) == ConsentEvent.contact_id)
            .order_by(col(ConsentEvent.id))
        )
        if phone:
            query = query.where(col(Contact.phone) == phone)
        return [tuple(r) for r in session.execute(query).all()]


def test_an_import_counts_every_row_once_and_records_consent(
    engine: Engine, tmp_path: Path
) -> None:
    org_id, _, _ = make_org(engine, "Chinatown Votes")
    imp = run_file(engine, tmp_path, org_id, LIST)
    assert imp.status == "done" and imp.error is None
    assert counts(imp) == {
        "rows": 6,
        "new_contacts": 3,
        "new_memberships": 3,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 1,
        "rejected": 2,
        "suppressed": 0,
        "warnings": 1,
    }
    assert_adds_up(imp)
    members = _memberships(engine, org_id)
    assert set(members) == {"+12135550101", "+12135550102", "+12135550103"}
    ana = members["+12135550101"]
    assert (ana["first_name"], ana["last_name"], ana["zip"], ana["language"]) == (
        "Ana",
        "García",
        "90012",
        "es",
    )  # the first row wins; "Anna" filled no gap
    assert ana["opted_in_at"] == datetime(2024, 4, 1, tzinfo=UTC)  # the row's own date
    assert members["+12135550102"]["opted_in_at"] == datetime(2024, 5, 1, tzinfo=UTC)
    assert members["+12135550102"]["zip"] == "02134"
    assert members["+12135550102"]["consent_source"] == "festival"
    assert _events(engine) == [("opt_in", "import", org_id)] * 3
    with Session(engine) as session:
        texts = set(session.scalars(select(col(ConsentEvent.text))).all())
        languages = dict(session.execute(select(col(Contact.phone), col(Contact.language))).all())
        problems = session.scalars(
            select(ContactImportError).order_by(col(ContactImportError.row_number))
        ).all()
    assert texts == {f"{BASIS} [import #{imp.id}, list.csv; asked in es]"}
    assert languages == {"+12135550101": "es", "+12135550102": "zh-Hant", "+12135550103": None}
    assert [(p.row_number, p.column_name, p.rejected) for p in problems] == [
        (4, "cell", True),
        (6, "language", False),
        (8, "opt_in_date", True),
    ]


@pytest.mark.parametrize("batch_rows", [1, 2, 10_000])
def test_reimporting_the_same_file_changes_nothing(
    engine: Engine, tmp_path: Path, batch_rows: int
) -> None:
    org_id, _, _ = make_org(engine, "Chinatown Votes")
    first = run_file(engine, tmp_path, org_id, LIST, batch_rows=batch_rows)
    before = (_memberships(engine), _events(engine), count(engine, Contact))
    again = run_file(engine, tmp_path, org_id, LIST, batch_rows=batch_rows)
    assert (_memberships(engine), _events(engine), count(engine, Contact)) == before
    assert counts(again) == counts(first) | {
        "new_contacts": 0,
        "new_memberships": 0,
        "unchanged": 3,
    }
    assert_adds_up(again)


def test_a_later_list_updates_with_its_non_empty_values(engine: Engine, tmp_path: Path) -> None:
    org_id, _, _ = make_org(engine, "Chinatown Votes")
    run_file(engine, tmp_path, org_id, LIST)
    later = run_file(
        engine,
        tmp_path,
        org_id,
        csv_text(
            "phone,first name,last name,email",
            "2135550101,Ana María,,ana@example.org",
            "2135550102,Bo,Li,",
        ),
    )
    assert (later.updated, later.unchanged, later.new_memberships) == (1, 1, 0)
    ana = _memberships(engine)["+12135550101"]
    assert (ana["first_name"], ana["last_name"], ana["email"]) == (
        "Ana María",
        "García",
        "ana@example.org",
    )  # empty cells never erase
    assert ana["opted_in_at"] == datetime(2024, 4, 1, tzinfo=UTC)  # the consent stays as given
    assert len(_events(engine)) == 3  # no new consent for a membership that existed


def test_two_organizations_one_contact_two_memberships(engine: Engine, tmp_path: Path) -> None:
    alpha, _, _ = make_org(engine, "Alpha")
    beta, _, _ = make_org(engine, "Beta")
    run_file(engine, tmp_path, alpha, csv_text("phone,first_name", "2135550101,Ana"))
    second = run_file(engine, tmp_path, beta, csv_text("mobile,nombre", "(213) 555-0101,Anita"))
    assert (second.new_memberships, second.new_contacts) == (1, 0)
    assert count(engine, Contact) == 1 and count(engine, Membership) == 2
    assert _memberships(engine, alpha)["+12135550101"]["first_name"] == "Ana"
    assert _memberships(engine, beta)["+12135550101"]["first_name"] == "Anita"
    assert _events(engine, "+12135550101") == [
        ("opt_in", "import", alpha),
        ("opt_in", "import", beta),
    ]


def test_an_opted_out_voter_stays_opted_out(
    engine: Engine, tmp_path: Path, client: TestClient, post_signed: Signer
) -> None:
    alpha, _, _ = make_org(engine, "Alpha")
    beta, _, _ = make_org(engine, "Beta")
    run_file(engine, tmp_path, alpha, csv_text("phone,first_name", "2135550101,Ana"))
    rt = runtime(client)
    stopped = bodies(post_signed("/twilio/messages", fields("STOP", sender="+12135550101")))
    assert stopped == [rt.render("consent.stopped", "en")]
    alto = bodies(post_signed("/twilio/messages", fields("ALTO", sender="+12135550109")))
    assert alto == stopped  # a first text of ALTO: no language known yet, so the default
    lists = csv_text(
        "phone,first_name",
        "(213) 555-0101,Ana María",
        "2135550109,Eva",
        "2135550109,Eva",
        "2135550110,Flo",
    )
    again = run_file(engine, tmp_path, alpha, lists)
    other = run_file(engine, tmp_path, beta, lists)
    for imp in (again, other):
        assert (imp.suppressed, imp.new_memberships, imp.duplicates) == (3, 1, 0), counts(imp)
        assert_adds_up(imp)
    with Session(engine) as session:
        out = dict(session.execute(select(col(Contact.phone), col(Contact.opted_out))).all())
    assert out == {"+12135550101": True, "+12135550109": True, "+12135550110": False}
    assert _memberships(engine, alpha)["+12135550101"]["first_name"] == "Ana"  # untouched
    assert "+12135550109" not in _memberships(engine)
    assert _events(engine, "+12135550101") == [
        ("opt_in", "import", alpha),
        ("opt_out", "keyword", None),
    ]
    assert _events(engine, "+12135550109") == [("opt_out", "keyword", None)]


def test_a_dry_run_counts_like_the_real_run_and_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    org_id, _, _ = make_org(engine, "Alpha")
    run_file(engine, tmp_path, org_id, csv_text("phone,first_name", "2135550101,Ana"))
    before = (_memberships(engine), _events(engine), count(engine, Contact))
    dry = run_file(engine, tmp_path, org_id, LIST, batch_rows=2, dry_run=True)
    assert (_memberships(engine), _events(engine), count(engine, Contact)) == before
    assert dry.status == "done" and dry.dry_run
    real = run_file(engine, tmp_path, org_id, LIST, batch_rows=2)
    assert counts(dry) == counts(real)
    assert counts(real)["new_contacts"] == 2 and counts(real)["updated"] == 1


def test_a_crashed_import_resumes_where_it_stopped(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id, _, _ = make_org(engine, "Alpha")
    rows = [f"213555{n:04d},Name {n}" for n in range(200, 260)] + ["2135550200,Again"]
    content = csv_text("phone,first_name", *rows)
    import_id = start(engine, tmp_path, org_id, content)
    real_write, calls = merge.write, {"n": 0}

    def crash_on_fourth_batch(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("power cut")
        real_write(*args, **kwargs)

    monkeypatch.setattr(merge, "write", crash_on_fourth_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        run_import(engine=engine, import_id=import_id, options=options(batch_rows=10))
    with Session(engine) as session:
        halfway = session.get(ContactImport, import_id)
        assert halfway is not None
    assert (halfway.status, halfway.position, halfway.rows) == ("failed", 30, 30)
    assert "resume" in (halfway.error or "")
    assert count(engine, Membership) == 30 == len(_events(engine))
    monkeypatch.setattr(merge, "write", real_write)
    done = run_import(engine=engine, import_id=import_id, options=options(batch_rows=10))
    assert (done.status, done.rows, done.new_memberships, done.duplicates) == ("done", 61, 60, 1)
    assert count(engine, Membership) == 60 == len(_events(engine))
    assert _memberships(engine)["+12135550200"]["first_name"] == "Name 200"
    with pytest.raises(ImportBusy):
        run_import(engine=engine, import_id=import_id, options=options())


def test_rows_need_a_date_when_the_import_gives_none(engine: Engine, tmp_path: Path) -> None:
    org_id, _, _ = make_org(engine, "Alpha")
    content = csv_text("phone,opt-in date", "2135550101,2024-01-02", "2135550102,")
    imp = run_file(engine, tmp_path, org_id, content, collected_on=None)
    assert (imp.new_memberships, imp.rejected) == (1, 1)
    with Session(engine) as session:
        problem = session.scalars(select(ContactImportError)).one()
    assert (problem.row_number, problem.rejected) == (3, True)
    assert "no opt-in date" in problem.problem
    with pytest.raises(ImportRefused, match="give a consent date, or a file with an opt-in"):
        start(engine, tmp_path, org_id, csv_text("phone", "2135550101"), collected_on=None)


@pytest.mark.parametrize(
    ("description", "language", "message"),
    [
        (None, "es", "a consent basis is required"),
        ("  event ", "es", "a consent basis is required"),
        (BASIS, None, "consent language is required"),
        (BASIS, "Klingon", "consent language: language not recognized"),
    ],
)
def test_an_import_without_a_consent_basis_is_refused(
    description: str | None, language: str | None, message: str
) -> None:
    with pytest.raises(ImportRefused, match=message):
        consent_basis(
            description=description,
            language=language,
            collected_on=None,
            source=None,
            languages=LANGUAGES,
            today=date(2024, 6, 1),
        )
    with pytest.raises(ImportRefused, match="in the future"):
        consent_basis(
            description=BASIS,
            language="es",
            collected_on=date(2024, 6, 2),
            source=None,
            languages=LANGUAGES,
            today=date(2024, 6, 1),
        )


def test_backslashes_tabs_and_nuls_survive_the_bulk_load(engine: Engine, tmp_path: Path) -> None:
    org_id, _, _ = make_org(engine, "Alpha")
    content = csv_text(
        "phone,first_name,VANID,source", '2135550101,"O\\Brien","A\\tB\\N","door\x00 knock\tat 5"'
    )
    imp = run_file(engine, tmp_path, org_id, content)
    assert (imp.new_memberships, imp.rejected) == (1, 0)
    member = _memberships(engine)["+12135550101"]
    assert (member["first_name"], member["external_id"], member["consent_source"]) == (
        "O\\Brien",
        "A\\tB\\N",
        "door knock at 5",
    )
