"""The console's contacts and imports on SQLite and PostgreSQL: an upload is a draft whose dry
run shows the file as Turnout reads it; the organizer fixes the mapping and imports it; the
import's page follows it to the end with its problems and errors.csv; contacts are searched,
shown and exported; roles and organizations are kept apart; every change is audited."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from bot.app import create_app
from bot.clock import utcnow
from bot.settings import Settings
from bot.tables import AUDIT_EVENTS, CONSENT, CONTACTS, IMPORTS, MEMBERSHIPS
from tests.helpers.console import Person, make_user, person
from tests.helpers.partners import BASIS, csv_text, make_org
from tests.helpers.sending import add_contact

pytestmark = pytest.mark.db
# A list as a volunteer's spreadsheet exports it: semicolons, Windows-1252, Spanish headers
# and a phone column Turnout does not recognize by itself.
MESSY = (
    "Nombre;Apellido;Tel celular;Idioma;Codigo postal;Etiquetas\r\n"
    "José;Núñez;(213) 555-0101;Español;90012;Voluntario\r\n"
    "Ana;López;213.555.0102;english;2134;\r\n"
    "Cy;Tran;3.23555E+09;vietnamese;90012;\r\n"
    "Bo;Kim;555-0199;Klingon;90012;\r\n"
).encode("cp1252")
MAPPING = {
    "map-0": "first_name",
    "map-1": "last_name",
    "map-2": "phone",
    "map-3": "language",
    "map-4": "zip",
    "map-5": "tags",
}
CLEAN = csv_text(
    "first_name,last_name,phone,language,zip,tags",
    "Rosa,Díaz,2135550111,es,90012,volunteer",
    "=HYPERLINK(1),Lee,2135550112,zh,90013,",
    "Tom,Ng,2135550113,en,90012,volunteer;door",
)
FORM = {
    "consent_basis": BASIS,
    "consent_language": "es",
    "consent_date": "2024-05-01",
    "consent_source": "festival",
}


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def app_client(settings: Settings, engine: Engine, spool: Path) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"import_dir": str(spool)})
    with TestClient(create_app(configured, engine)) as client:
        yield client


class World:
    """The coalition and two partners, each with its people."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        self.coalition, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, _, _ = make_org(engine, "Alpha")
        self.beta, _, _ = make_org(engine, "Beta")
        make_user(engine, "admin@coalition.org", self.coalition, "admin")
        make_user(engine, "ana@alpha.org", self.alpha, "organizer")
        make_user(engine, "vic@alpha.org", self.alpha, "viewer")
        make_user(engine, "bo@beta.org", self.beta, "organizer")
        self.engine, self.client = engine, client

    def sign_in(self, email: str) -> Person:
        self.client.cookies.clear()
        return person(self.client, self.engine, email)


@pytest.fixture
def world(engine: Engine, app_client: TestClient) -> World:
    return World(engine, app_client)


def _upload(who: Person, content: bytes, name: str = "list.csv", **form: str) -> Any:
    data = {k: v for k, v in {**FORM, **form}.items() if v != ""}
    return who.post("/console/imports", data, files={"file": (name, content, "text/csv")})


def _draft(who: Person, content: bytes = MESSY, name: str = "list.csv", **form: str) -> int:
    answer = _upload(who, content, name, **form)
    summary = re.findall(r"<li>(.*?)</li>", answer.text[answer.text.find("error-summary") :])
    assert answer.status_code == 303, (answer.status_code, summary)
    found = re.fullmatch(r"/console/imports/(\d+)", answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


def _imported(who: Person, content: bytes = CLEAN, mapping: dict[str, str] | None = None) -> int:
    import_id = _draft(who, content)
    data: dict[str, str] = {"action": "import", **(mapping or {})}
    if mapping is None:  # the columns as the dry run shows them chosen
        page = who.get(f"/console/imports/{import_id}").text
        for index, field in re.findall(
            r'name="map-(\d+)"(?:(?!</select>).)*?<option value="(\w+)" selected', page, re.S
        ):
            data[f"map-{index}"] = field
    answer = who.post(f"/console/imports/{import_id}", data)
    assert answer.status_code == 303, answer.text[:2000]
    return import_id


def _import(engine: Engine, import_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(IMPORTS).where(IMPORTS.c.id == import_id)).one()


def _count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _audit(engine: Engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AUDIT_EVENTS.c.action, AUDIT_EVENTS.c.subject).order_by(AUDIT_EVENTS.c.id)
        )
        return [(str(a), s) for a, s in rows]


def test_signed_out_pages_send_to_the_sign_in(world: World) -> None:
    world.client.cookies.clear()
    for path in (
        "/console/imports",
        "/console/imports/1",
        "/console/imports/1/progress",
        "/console/imports/1/errors.csv",
        "/console/contacts",
        "/console/contacts.csv",
        "/console/contacts/1",
    ):
        answer = world.client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/console/login?next="), path
    answer = world.client.post("/console/imports", data={}, follow_redirects=False)
    assert answer.status_code in (303, 403)


def test_the_imports_page_has_the_upload_form(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/imports")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="consent_basis"' in page.text
    assert "data-dropzone" in page.text and 'name="consent_language"' in page.text
    assert "No list has been imported yet." in page.text


def test_a_messy_upload_is_a_draft_whose_dry_run_shows_how_it_reads(
    world: World, spool: Path
) -> None:
    ana = world.sign_in("ana@alpha.org")
    import_id = _draft(ana)
    row = _import(world.engine, import_id)
    assert (row.status, row.dry_run, row.organization_id) == ("pending", True, world.alpha)
    assert len(list(spool.iterdir())) == 1
    assert _count(world.engine, MEMBERSHIPS) == 0  # nothing is imported yet
    page = ana.get(f"/console/imports/{import_id}")
    assert page.status_code == 200
    text = page.text
    assert 'id="encoding">cp1252<' in text and "<code>;</code>" in text
    assert "There is a problem" in text and "no phone column" in text
    assert "José" in text and "(213) 555-0101" in text  # the raw rows, to choose from
    assert 'name="map-2"' in text
    assert ("import.upload", f"import:{import_id}") in _audit(world.engine)

    # The organizer says which column is the phone: the rows now read as Turnout reads them.
    answer = ana.post(f"/console/imports/{import_id}", {"action": "check", **MAPPING})
    assert answer.status_code == 303
    text = ana.get(f"/console/imports/{import_id}").text
    assert "There is a problem" not in text
    assert "+12135550101" in text and "+12135550102" in text  # E.164
    assert '<span lang="es">es</span>' in text and "02134" in text  # language, repaired ZIP
    assert "voluntario" in text
    assert "scientific notation" in text and "Klingon" in text  # the first rows' problems
    assert "4 rows shown, 2 of them would be rejected." in text
    assert _import(world.engine, import_id).mapping["Tel celular"] == "phone"
    assert ("import.mapping", f"import:{import_id}") in _audit(world.engine)


def test_a_mapping_that_does_not_work_changes_nothing(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    import_id = _draft(ana)
    twice = {**MAPPING, "map-0": "phone"}
    answer = ana.post(f"/console/imports/{import_id}", {"action": "check", **twice})
    assert answer.status_code == 422
    assert "There is a problem" in answer.text and "two columns to phone" in answer.text
    assert _import(world.engine, import_id).mapping is None
    unknown = {**MAPPING, "map-0": "shoe_size"}
    answer = ana.post(f"/console/imports/{import_id}", {"action": "import", **unknown})
    assert answer.status_code == 422 and "choose one of the fields" in answer.text
    none = {f"map-{i}": "ignore" for i in range(6)}
    answer = ana.post(f"/console/imports/{import_id}", {"action": "import", **none})
    assert answer.status_code == 422 and "no phone column" in answer.text
    row = _import(world.engine, import_id)
    assert (row.status, row.dry_run, row.mapping) == ("pending", True, None)
    assert _count(world.engine, MEMBERSHIPS) == 0


def test_import_to_the_end_with_progress_and_errors(world: World, spool: Path) -> None:
    ana = world.sign_in("ana@alpha.org")
    import_id = _draft(ana)
    answer = ana.post(f"/console/imports/{import_id}", {"action": "import", **MAPPING})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/imports/{import_id}"
    row = _import(world.engine, import_id)  # the test client ran it after the response
    assert (row.status, row.dry_run) == ("done", False)
    assert (row.rows, row.new_memberships, row.rejected, row.warnings) == (4, 2, 2, 1)
    assert list(spool.iterdir()) == []  # removed once imported
    assert _count(world.engine, MEMBERSHIPS, MEMBERSHIPS.c.organization_id == world.alpha) == 2

    page = ana.get(f"/console/imports/{import_id}")
    assert page.status_code == 200
    text = page.text
    assert '<progress id="import-bar" value="4" max="4">' in text
    assert 'id="count-new">2<' in text and 'id="count-rejected">2<' in text
    assert 'id="count-suppressed">0<' in text and 'id="count-rows">4<' in text
    assert "hx-trigger" not in text  # finished: the page stops asking
    assert "3.23555E+09" in text and "row rejected" in text and "value left out" in text
    fragment = ana.get(f"/console/imports/{import_id}/progress")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'data-status="done"' in fragment.text

    report = ana.get(f"/console/imports/{import_id}/errors.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert "attachment" in report.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["row"], r["column"], r["value"], r["outcome"]) for r in lines] == [
        ("4", "Tel celular", "3.23555E+09", "row rejected"),
        ("5", "Tel celular", "555-0199", "row rejected"),
        ("5", "Idioma", "Klingon", "value left out"),
    ]
    assert "scientific notation" in lines[0]["problem"]
    actions = _audit(world.engine)
    assert ("import.start", f"import:{import_id}") in actions
    assert ("import.errors_export", f"import:{import_id}") in actions
    listing = ana.get("/console/imports").text
    assert f'href="/console/imports/{import_id}"' in listing and "list.csv" in listing


def test_a_running_import_is_polled_and_an_interrupted_one_resumes(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    import_id = _draft(ana, CLEAN)
    with world.engine.begin() as conn:  # as if the server stopped in the middle
        conn.execute(
            update(IMPORTS)
            .where(IMPORTS.c.id == import_id)
            .values(dry_run=False, status="running", updated_at=utcnow())
        )
    text = ana.get(f"/console/imports/{import_id}").text
    assert f'hx-get="/console/imports/{import_id}/progress"' in text
    assert 'hx-trigger="every 1s"' in text and "Resume" not in text
    with world.engine.begin() as conn:
        conn.execute(
            update(IMPORTS)
            .where(IMPORTS.c.id == import_id)
            .values(status="failed", error="interrupted (KeyboardInterrupt); resume it")
        )
    viewer = world.sign_in("vic@alpha.org")
    assert "Resume the import" not in viewer.get(f"/console/imports/{import_id}").text
    assert viewer.post(f"/console/imports/{import_id}/resume").status_code == 403
    ana = world.sign_in("ana@alpha.org")
    text = ana.get(f"/console/imports/{import_id}").text
    assert "Resume the import from where it stopped" in text
    answer = ana.post(f"/console/imports/{import_id}/resume")
    assert answer.status_code == 303
    row = _import(world.engine, import_id)
    assert (row.status, row.new_memberships) == ("done", 3)
    assert ana.post(f"/console/imports/{import_id}/resume").status_code == 400  # done now
    assert ("import.resume", f"import:{import_id}") in _audit(world.engine)


def test_a_workbook_and_a_list_without_a_consent_date(world: World, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["VANID", "FirstName", "CellPhone", "Language", "Signed"])
    sheet.append([998877, "Anita", 2135550131, "Español", "2024-03-01"])
    sheet.append([998878, "Vu", "(213) 555-0132", "vietnamese", "2024-03-02"])
    path = tmp_path / "beta.xlsx"
    book.save(path)
    ana = world.sign_in("ana@alpha.org")
    import_id = _draft(ana, path.read_bytes(), "beta.xlsx", consent_date="")
    text = ana.get(f"/console/imports/{import_id}").text
    assert "XLSX" in text and "say when the consent was collected" in text
    assert "+12135550131" not in text  # every row lacks a date: none is read as a contact
    assert "no opt-in date" in text
    choose = {"map-0": "external_id", "map-1": "first_name", "map-2": "phone"}
    choose |= {"map-3": "language", "map-4": "ignore"}  # as the dry run shows them
    answer = ana.post(f"/console/imports/{import_id}", {"action": "import", **choose})
    assert answer.status_code == 422 and "give a consent date" in answer.text
    row = _import(world.engine, import_id)
    assert row.dry_run and row.mapping is None  # still a draft, as it was
    choose["map-4"] = "opted_in_at"
    answer = ana.post(f"/console/imports/{import_id}", {"action": "check", **choose})
    assert answer.status_code == 303
    text = ana.get(f"/console/imports/{import_id}").text
    assert "+12135550131" in text and "2024-03-01" in text and "998877" in text
    answer = ana.post(f"/console/imports/{import_id}", {"action": "import", **choose})
    assert answer.status_code == 303
    row = _import(world.engine, import_id)
    assert (row.status, row.new_memberships, row.file_info["format"]) == ("done", 2, "xlsx")
    with world.engine.connect() as conn:
        details = conn.execute(
            select(AUDIT_EVENTS.c.detail).where(AUDIT_EVENTS.c.action == "import.start")
        ).scalar_one()
    assert details == {"fields": ["external_id", "first_name", "language", "opted_in_at", "phone"]}


def test_refused_uploads_store_nothing(world: World, spool: Path) -> None:
    ana = world.sign_in("ana@alpha.org")
    cases = [
        ({"consent_basis": ""}, CLEAN, "a consent basis is required", "consent_basis"),
        ({"consent_language": ""}, CLEAN, "consent language is required", "consent_language"),
        ({"consent_date": "5/1/2024"}, CLEAN, "YYYY-MM-DD", "consent_date"),
        ({}, b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "it looks like a PNG image", "file"),
        ({}, b"phone\r\n", "no contacts", "file"),
    ]
    for form, content, message, field in cases:
        answer = _upload(ana, content, **form)
        assert answer.status_code == 422, (form, answer.text[:500])
        assert "There is a problem" in answer.text and message in answer.text, form
        assert f'href="#{field}"' in answer.text, form
    answer = ana.post("/console/imports", FORM)  # no file
    assert answer.status_code == 422 and "choose the list to upload" in answer.text
    assert "Sign-up sheet at the Lunar New Year festival" in answer.text  # kept as typed
    assert _count(world.engine, IMPORTS) == 0 and list(spool.iterdir()) == []


def test_a_console_import_never_undoes_an_opt_out(world: World) -> None:
    stopped = add_contact(world.engine, "+12135550112", "zh", [], opted_out=True)
    ana = world.sign_in("ana@alpha.org")
    import_id = _imported(ana)
    row = _import(world.engine, import_id)
    assert (row.new_memberships, row.suppressed) == (2, 1)
    with world.engine.connect() as conn:
        assert conn.execute(
            select(CONTACTS.c.opted_out).where(CONTACTS.c.id == stopped)
        ).scalar_one()
    assert _count(world.engine, MEMBERSHIPS, MEMBERSHIPS.c.contact_id == stopped) == 0
    assert _count(world.engine, CONSENT, CONSENT.c.contact_id == stopped) == 0
    assert 'id="count-suppressed">1<' in ana.get(f"/console/imports/{import_id}").text


def test_discarding_a_draft_forgets_it_and_its_file(world: World, spool: Path) -> None:
    ana = world.sign_in("ana@alpha.org")
    import_id = _draft(ana)
    viewer = world.sign_in("vic@alpha.org")
    assert viewer.post(f"/console/imports/{import_id}/discard").status_code == 403
    ana = world.sign_in("ana@alpha.org")
    answer = ana.post(f"/console/imports/{import_id}/discard")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/imports"
    assert _count(world.engine, IMPORTS) == 0 and list(spool.iterdir()) == []
    assert ("import.discard", f"import:{import_id}") in _audit(world.engine)
    assert ana.get(f"/console/imports/{import_id}").status_code == 404


def test_roles_and_organizations_for_imports(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    draft = _draft(ana)
    done = _imported(ana)
    bo = world.sign_in("bo@beta.org")
    for path in (
        f"/console/imports/{draft}",
        f"/console/imports/{done}",
        f"/console/imports/{done}/progress",
        f"/console/imports/{done}/errors.csv",
    ):
        assert bo.get(path).status_code == 404, path
    assert bo.post(f"/console/imports/{draft}", {"action": "import", **MAPPING}).status_code == 404
    assert bo.post(f"/console/imports/{draft}/discard").status_code == 404
    assert "list.csv" not in bo.get("/console/imports").text
    assert bo.get("/console/imports/abc").status_code == 404

    viewer = world.sign_in("vic@alpha.org")
    page = viewer.get("/console/imports")
    assert page.status_code == 200 and "list.csv" in page.text
    assert 'name="consent_basis"' not in page.text  # no upload form for a viewer
    assert _upload(viewer, CLEAN).status_code == 403
    draft_page = viewer.get(f"/console/imports/{draft}")
    assert draft_page.status_code == 200 and "Import the list" not in draft_page.text
    answer = viewer.post(f"/console/imports/{draft}", {"action": "import", **MAPPING})
    assert answer.status_code == 403
    assert viewer.get(f"/console/imports/{done}/errors.csv").status_code == 200

    admin = world.sign_in("admin@coalition.org")
    listing = admin.get("/console/imports").text
    assert f'href="/console/imports/{done}"' in listing and 'id="organization"' in listing
    for_beta = _draft(admin, CLEAN, organization=str(world.beta))
    assert _import(world.engine, for_beta).organization_id == world.beta
    assert _upload(admin, CLEAN, organization="999999").status_code == 422
    only_beta = admin.get(f"/console/imports?organization={world.beta}").text
    assert f'href="/console/imports/{for_beta}"' in only_beta
    assert f'href="/console/imports/{done}"' not in only_beta
    bo = world.sign_in("bo@beta.org")
    assert bo.get(f"/console/imports/{for_beta}").status_code == 200


def _contacts(world: World) -> dict[str, int]:
    alpha, beta = world.alpha, world.beta
    found = {
        "rosa": add_contact(world.engine, "+12135550121", "es", [(alpha, "90012", ["volunteer"])]),
        "lee": add_contact(world.engine, "+12135550122", "zh", [(alpha, "90013", [])]),
        "gone": add_contact(
            world.engine, "+12135550123", "es", [(alpha, "90012", ["door"])], opted_out=True
        ),
        "beta": add_contact(world.engine, "+12135550124", "es", [(beta, "90012", [])]),
    }
    names = {"rosa": ("Rosa", "Díaz"), "lee": ("=Lee", "Wong"), "gone": ("Gus", "Ortiz")}
    names["beta"] = ("Betty", "Díaz")
    with world.engine.begin() as conn:
        for key, (first, last) in names.items():
            conn.execute(
                update(MEMBERSHIPS)
                .where(MEMBERSHIPS.c.contact_id == found[key])
                .values(first_name=first, last_name=last)
            )
    return found


def _shown(page: str) -> set[str]:
    return set(re.findall(r'href="/console/contacts/(\d+)"', page))


def test_contacts_search_filters_and_pages(world: World) -> None:
    ids = _contacts(world)
    ana = world.sign_in("ana@alpha.org")
    everyone = ana.get("/console/contacts")
    assert everyone.status_code == 200 and "3 contacts" in everyone.text
    assert _shown(everyone.text) == {str(ids[k]) for k in ("rosa", "lee", "gone")}
    assert "+12135550121" in everyone.text and "Betty" not in everyone.text
    cases = {
        "q=d%C3%ADaz": {"rosa"},
        "q=rosa+d%C3%ADaz": {"rosa"},
        "q=0122": {"lee"},
        "q=%D9%A0%D9%A1%D9%A2%D9%A2": {"lee"},  # ٠١٢٢: the same digits, typed in Arabic
        "q=555-0123": {"gone"},
        "language=zh": {"lee"},
        "zip=90012": {"rosa", "gone"},
        "tag=Volunteer": {"rosa"},
        "consent=opted_out": {"gone"},
        "consent=subscribed": {"rosa", "lee"},
        "q=%25": set(),
        "q=nobody": set(),
    }
    for query, wanted in cases.items():
        page = ana.get(f"/console/contacts?{query}").text
        assert _shown(page) == {str(ids[k]) for k in wanted}, query
    assert "No contact matches." in ana.get("/console/contacts?q=nobody").text
    admin = world.sign_in("admin@coalition.org")
    assert "4 contacts" in admin.get("/console/contacts").text
    only_beta = admin.get(f"/console/contacts?organization={world.beta}").text
    assert _shown(only_beta) == {str(ids["beta"])}
    assert "Betty" in admin.get("/console/contacts?q=d%C3%ADaz").text


def test_contacts_are_paginated(world: World) -> None:
    for n in range(55):
        add_contact(world.engine, f"+1213555{1000 + n}", "en", [(world.alpha, "90012", [])])
    ana = world.sign_in("ana@alpha.org")
    first = ana.get("/console/contacts?zip=90012").text
    assert "55 contacts" in first and "Page 1 of 2" in first
    assert len(_shown(first)) == 50 and 'href="/console/contacts?zip=90012&amp;page=2"' in first
    second = ana.get("/console/contacts?zip=90012&page=2").text
    assert len(_shown(second)) == 5 and "Page 2 of 2" in second and 'rel="prev"' in second


def test_a_contacts_page_shows_lists_consent_and_conversation(world: World) -> None:
    ids = _contacts(world)
    now = utcnow()
    with world.engine.begin() as conn:
        conn.execute(
            update(MEMBERSHIPS)
            .where(MEMBERSHIPS.c.contact_id == ids["beta"])
            .values(contact_id=ids["rosa"])
        )  # Beta lists Rosa too
        for org, text in ((world.alpha, "alpha's sheet"), (world.beta, "beta's sheet")):
            conn.execute(
                CONSENT.insert().values(
                    contact_id=ids["rosa"],
                    kind="opt_in",
                    channel="import",
                    source="import",
                    text=text,
                    organization_id=org,
                    created_at=now,
                )
            )
        conn.execute(
            CONSENT.insert().values(
                contact_id=ids["rosa"],
                kind="reminders_opt_in",
                channel="sms",
                source="keyword",
                organization_id=None,
                created_at=now,
            )
        )
    ana = world.sign_in("ana@alpha.org")
    page = ana.get(f"/console/contacts/{ids['rosa']}")
    assert page.status_code == 200
    text = page.text
    assert "+12135550121" in text and "Rosa" in text and "volunteer" in text
    assert f'href="/console/conversations/{ids["rosa"]}"' in text
    assert "alpha&#39;s sheet" in text and "reminders_opt_in" in text
    assert "beta&#39;s sheet" not in text and "Betty" not in text and "Beta" not in text
    admin = world.sign_in("admin@coalition.org")
    text = admin.get(f"/console/contacts/{ids['rosa']}").text
    assert "beta&#39;s sheet" in text and "Betty" in text
    bo = world.sign_in("bo@beta.org")
    assert bo.get(f"/console/contacts/{ids['lee']}").status_code == 404  # Alpha's only
    assert bo.get("/console/contacts/999999").status_code == 404
    assert bo.get("/console/contacts/x1").status_code == 404


def test_the_export_is_formula_safe_follows_the_filters_and_is_audited(world: World) -> None:
    ids = _contacts(world)
    viewer = world.sign_in("vic@alpha.org")
    answer = viewer.get("/console/contacts.csv?zip=90013")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["phone"], r["first_name"], r["organization"]) for r in rows] == [
        ("'+12135550122", "'=Lee", "alpha")
    ]
    everything = list(csv.DictReader(io.StringIO(viewer.get("/console/contacts.csv").text)))
    assert len(everything) == 3 and {r["organization"] for r in everything} == {"alpha"}
    tagged = [r for r in everything if r["first_name"] == "Rosa"]
    assert tagged[0]["tags"] == "volunteer" and tagged[0]["opted_out"] == "false"
    assert ("contacts.export", None) in _audit(world.engine)
    assert viewer.get("/console/contacts.csv?tag=" + "x" * 99).status_code == 200
    assert ids


def test_the_pages_render_in_spanish(world: World) -> None:
    make_user(world.engine, "eva@alpha.org", world.alpha, "organizer", ui_language="es")
    eva = world.sign_in("eva@alpha.org")
    assert "Subir una lista" in eva.get("/console/imports").text
    import_id = _draft(eva)
    assert "Importar la lista" in eva.get(f"/console/imports/{import_id}").text
    assert "Contactos" in eva.get("/console/contacts").text
