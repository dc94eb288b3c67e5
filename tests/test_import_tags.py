"""Tags on partners' lists: read from a tags column, folded as blasts match them, replaced by a
later list that has the column, left alone by one that has not, kept per organization."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from bot.contacts.imports.columns import resolve
from bot.contacts.imports.normalize import ValueProblem, tags
from bot.models import Contact, ContactImportError, Membership
from tests.helpers.partners import assert_adds_up, counts, csv_text, make_org, run_file

pytestmark = pytest.mark.db


def _tags(engine: Engine, org_id: int) -> dict[str, str | None]:
    """phone → the organization's tags for it."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(Contact.phone), col(Membership.tags))
            .join(Membership, col(Membership.contact_id) == Contact.id)
            .where(col(Membership.organization_id) == org_id)
        ).all()
    return {phone: tagged for phone, tagged in rows}


def _problems(engine: Engine, import_id: int | None) -> list[ContactImportError]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(ContactImportError)
                .where(col(ContactImportError.import_id) == import_id)
                .order_by(col(ContactImportError.row_number))
            ).all()
        )


@pytest.mark.parametrize(
    "header", ["Tags", "tag", "Labels", "label", "Groups", "Etiquetas", "Activist Codes"]
)
def test_tags_headers_are_recognized(header: str) -> None:
    columns = resolve(["Cell Phone", "First Name", header])
    assert columns.describe() == {"phone": "Cell Phone", "first_name": "First Name", "tags": header}


def test_a_mapping_may_name_the_tags_column() -> None:
    columns = resolve(["phone", "Mis grupos"], {"Mis grupos": "tags"})
    assert columns.describe() == {"phone": "phone", "tags": "Mis grupos"}


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("volunteer", "|volunteer|"),
        ("b, a", "|a|b|"),
        ("a;b|c", "|a|b|c|"),
        ("a, b; c | d", "|a|b|c|d|"),
        (",,a,, ;|", "|a|"),
        ("Volunteer, VOLUNTEER, volunteer ", "|volunteer|"),
        ("Guía ES", "|guia-es|"),
        ("  Door   Knock 2024 ", "|door-knock-2024|"),
        ("Phone bank!, Día de Muertos", "|dia-de-muertos|phone-bank|"),
        (", ;", ""),
    ],
)
def test_cells_are_split_and_folded(cell: str, stored: str) -> None:
    assert tags(cell) == stored


def test_tags_longer_than_the_column_are_a_problem() -> None:
    assert len(tags(",".join(f"t{n:03d}" for n in range(99)))) == 496
    with pytest.raises(ValueProblem, match="longer than 500"):
        tags(",".join(f"t{n:03d}" for n in range(100)))


def test_a_tags_column_is_stored_folded_between_bars(engine: Engine, tmp_path: Path) -> None:
    org_id, _, _ = make_org(engine, "Chinatown Votes")
    content = csv_text(
        "Cell,First Name,Tags",
        '2135550101,Ana,"b, a"',
        '2135550102,Bo,"Guía ES; Volunteer|VOLUNTEER"',
        "2135550103,Cy,",
        "2135550104,Dee,N/A",
        '2135550105,Eve,",, ;"',
    )
    imp = run_file(engine, tmp_path, org_id, content)
    assert (imp.status, imp.new_memberships, imp.warnings) == ("done", 5, 0)
    assert _tags(engine, org_id) == {
        "+12135550101": "|a|b|",
        "+12135550102": "|guia-es|volunteer|",
        "+12135550103": None,
        "+12135550104": None,
        "+12135550105": None,
    }
    # What a blast's audience matches: one LIKE per tag.
    with Session(engine) as session:
        tagged = session.scalars(
            select(col(Contact.phone))
            .join(Membership, col(Membership.contact_id) == Contact.id)
            .where(col(Membership.tags).like("%|volunteer|%"))
        ).all()
    assert tagged == ["+12135550102"]


@pytest.mark.parametrize("batch_rows", [1, 10_000])
def test_a_later_list_with_tags_replaces_them(
    engine: Engine, tmp_path: Path, batch_rows: int
) -> None:
    org_id, _, _ = make_org(engine, "Chinatown Votes")
    first = csv_text(
        "phone,first_name,tags",
        "2135550101,Ana,volunteer",
        '2135550102,Bo,"donor, volunteer"',
        "2135550103,Cy,donor",
        "2135550104,Dee,",
    )
    run_file(engine, tmp_path, org_id, first, batch_rows=batch_rows)
    again = run_file(engine, tmp_path, org_id, first, batch_rows=batch_rows)
    assert (again.updated, again.unchanged) == (0, 4)  # the same file changes nothing

    later = csv_text(
        "phone,first_name,tags",
        "2135550101,Ana,Guide ES",  # replaced, not added to
        "2135550102,Bo,",  # the list says: no tags any more
        '2135550103,Cy,"donor"',  # the same tags
        "2135550104,Dee,",  # none before, none now
    )
    dry = run_file(engine, tmp_path, org_id, later, batch_rows=batch_rows, dry_run=True)
    real = run_file(engine, tmp_path, org_id, later, batch_rows=batch_rows)
    assert counts(dry) == counts(real)
    assert (real.updated, real.unchanged, real.warnings) == (2, 2, 0)
    assert_adds_up(real)
    assert _tags(engine, org_id) == {
        "+12135550101": "|guide-es|",
        "+12135550102": None,
        "+12135550103": "|donor|",
        "+12135550104": None,
    }


def test_a_list_without_a_tags_column_leaves_them(engine: Engine, tmp_path: Path) -> None:
    org_id, _, _ = make_org(engine, "Chinatown Votes")
    run_file(engine, tmp_path, org_id, csv_text("phone,tags", '2135550101,"a, b"'))
    later = run_file(engine, tmp_path, org_id, csv_text("phone,first_name", "2135550101,Ana"))
    assert later.updated == 1
    assert _tags(engine, org_id) == {"+12135550101": "|a|b|"}
    with Session(engine) as session:
        assert session.scalar(select(col(Membership.first_name))) == "Ana"


def test_each_organization_keeps_its_own_tags(engine: Engine, tmp_path: Path) -> None:
    alpha, _, _ = make_org(engine, "Alpha")
    beta, _, _ = make_org(engine, "Beta")
    run_file(engine, tmp_path, alpha, csv_text("phone,tags", "2135550101,volunteer"))
    run_file(engine, tmp_path, beta, csv_text("phone,labels", "(213) 555-0101,donor"))
    assert _tags(engine, alpha) == {"+12135550101": "|volunteer|"}
    assert _tags(engine, beta) == {"+12135550101": "|donor|"}
    # Beta's next list clears its tags; Alpha's are not Beta's to clear.
    run_file(engine, tmp_path, beta, csv_text("phone,labels", "2135550101,"))
    assert _tags(engine, alpha) == {"+12135550101": "|volunteer|"}
    assert _tags(engine, beta) == {"+12135550101": None}


@pytest.mark.parametrize("batch_rows", [1, 10_000])
def test_repeats_in_a_file_first_row_first_no_tags_is_a_gap(
    engine: Engine, tmp_path: Path, batch_rows: int
) -> None:
    org_id, _, _ = make_org(engine, "Alpha")
    content = csv_text(
        "phone,tags",
        "2135550101,first",
        "2135550101,second",  # the first row won
        "2135550102,",
        "2135550102,filled",  # a gap: filled
    )
    imp = run_file(engine, tmp_path, org_id, content, batch_rows=batch_rows)
    assert (imp.new_memberships, imp.duplicates) == (2, 2)
    assert _tags(engine, org_id) == {"+12135550101": "|first|", "+12135550102": "|filled|"}


def test_too_many_tags_are_left_out_with_a_warning(engine: Engine, tmp_path: Path) -> None:
    org_id, _, _ = make_org(engine, "Alpha")
    run_file(engine, tmp_path, org_id, csv_text("phone,Etiquetas", "2135550102,old"))
    too_long = ", ".join(f"Event {n:03d}" for n in range(60))  # 60 × "event-0nn|" > 500
    content = csv_text(
        "phone,first_name,Etiquetas",
        f'2135550101,Ana,"{too_long}"',
        f'2135550102,Bo,"{too_long}"',
        "2135550103,Cy,ok",
    )
    imp = run_file(engine, tmp_path, org_id, content)
    assert (imp.status, imp.rejected, imp.warnings, imp.new_memberships) == ("done", 0, 2, 2)
    assert_adds_up(imp)
    problems = _problems(engine, imp.id)
    assert [(p.row_number, p.column_name, p.rejected) for p in problems] == [
        (2, "Etiquetas", False),
        (3, "Etiquetas", False),
    ]
    assert "longer than 500 characters" in problems[0].problem
    assert "left out" in problems[0].problem
    assert (problems[0].value or "").startswith("Event 000, Event 001")
    # The row is imported without them; a membership that had tags keeps them.
    assert _tags(engine, org_id) == {
        "+12135550101": None,
        "+12135550102": "|old|",
        "+12135550103": "|ok|",
    }
    with Session(engine) as session:
        assert (
            session.scalar(
                select(col(Membership.first_name))
                .join(Contact, col(Contact.id) == Membership.contact_id)
                .where(col(Contact.phone) == "+12135550101")
            )
            == "Ana"
        )


def test_a_large_file_with_tags(engine: Engine, tmp_path: Path) -> None:
    """Several batches, read ahead and staged with COPY on PostgreSQL (executemany on
    SQLite), repeats across batches included."""
    org_id, _, _ = make_org(engine, "Alpha")
    rows = [
        f'213{5_000_000 + n:07d},Name {n},"{"Volunteer" if n % 3 == 0 else ""}; Block {n % 7}"'
        for n in range(25_000)
    ]
    rows += [f"213{5_000_000 + n:07d},Again,late" for n in range(0, 25_000, 5_000)]
    first = run_file(engine, tmp_path, org_id, csv_text("phone,first_name,tags", *rows))
    assert (first.status, first.rows, first.new_memberships) == ("done", 25_005, 25_000)
    assert (first.duplicates, first.rejected, first.warnings) == (5, 0, 0)
    tagged = _tags(engine, org_id)
    assert tagged["+12135000000"] == "|block-0|volunteer|"  # the first row won
    assert tagged["+12135000001"] == "|block-1|"
    assert tagged["+12135024999"] == "|block-2|volunteer|"
    with Session(engine) as session:
        volunteers = session.scalar(
            select(func.count()).where(col(Membership.tags).like("%|volunteer|%"))
        )
    assert volunteers == len(range(0, 25_000, 3))
    assert volunteers is not None

    later = [f"213{5_000_000 + n:07d},Name {n},Block {n % 7}" for n in range(25_000)]
    second = run_file(engine, tmp_path, org_id, csv_text("phone,first_name,tags", *later))
    assert (second.updated, second.unchanged) == (volunteers, 25_000 - volunteers)
    assert _tags(engine, org_id)["+12135000000"] == "|block-0|"
