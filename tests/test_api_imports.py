"""The admin API as partners use it: two organizations import their lists (CSV and XLSX), each
sees only its own, the coalition has one contact per voter, the error report names the rows to
fix, exports are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot.app import create_app
from bot.models import ConsentEvent, Contact, ContactImport, Membership
from bot.settings import Settings
from tests.helpers.partners import bearer, count, csv_text, finished, make_org, upload

pytestmark = pytest.mark.db
ALPHA_LIST = csv_text(
    "firstName,lastName,cell,zip",  # Spoke's columns
    "Ana,García,(213) 555-0101,90012",
    '=HYPERLINK("http://evil.example";"click"),@SUM(1),213-555-0102,-1+2',
    "Cy,Tran,3.23555E+09,90012",
)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def api(settings: Settings, engine: Engine, spool: Path) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"import_dir": str(spool), "import_max_bytes": 16384})
    with TestClient(create_app(configured, engine)) as client:
        yield client


def _xlsx(tmp_path: Path) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["VANID", "FirstName", "LastName", "CellPhone", "Language", "OptInDate"])
    sheet.append([998877, "Anita", "García", 2135550101, "Español", datetime(2024, 3, 1)])
    sheet.append([998878, "Vu", "Pham", "(213) 555-0103", "Tiếng Việt", datetime(2024, 3, 2)])
    path = tmp_path / "beta.xlsx"
    book.save(path)
    return path.read_bytes()


def _csv(response_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response_text)))


def test_two_partners_import_and_each_sees_only_its_own(
    api: TestClient, engine: Engine, tmp_path: Path, spool: Path
) -> None:
    _, _, admin = make_org(engine, "Coalition", admin=True)
    _, _, alpha = make_org(engine, "Alpha")
    _, _, beta = make_org(engine, "Beta")
    a = upload(api, alpha, ALPHA_LIST)
    assert a.status_code == 202
    assert a.headers["location"] == f"/api/v1/contacts/imports/{a.json()['id']}"
    assert a.json()["status"] in ("pending", "running", "done")
    b = upload(api, beta, _xlsx(tmp_path), name="beta.xlsx", consent_date="")
    assert b.status_code == 202, b.text
    done_a, done_b = finished(api, alpha, a.json()["id"]), finished(api, beta, b.json()["id"])
    assert (done_a["new_memberships"], done_a["rejected"], done_a["new_contacts"]) == (2, 1, None)
    assert (done_b["new_memberships"], done_b["file"]["format"]) == (2, "xlsx")
    assert done_b["file"]["columns"]["external_id"] == "VANID"
    assert list(spool.iterdir()) == []  # uploads are deleted once imported

    alpha_phones = {
        c["phone"] for c in api.get("/api/v1/contacts", headers=bearer(alpha)).json()["items"]
    }
    beta_items = api.get("/api/v1/contacts", headers=bearer(beta)).json()["items"]
    assert alpha_phones == {"+12135550101", "+12135550102"}
    assert {c["phone"] for c in beta_items} == {"+12135550101", "+12135550103"}
    assert {c["first_name"] for c in beta_items} == {"Anita", "Vu"}  # never Alpha's "Ana"
    assert {c["organization"] for c in beta_items} == {"beta"}
    everyone = api.get("/api/v1/contacts", headers=bearer(admin)).json()["items"]
    assert sorted((c["organization"], c["phone"]) for c in everyone) == [
        ("alpha", "+12135550101"),
        ("alpha", "+12135550102"),
        ("beta", "+12135550101"),
        ("beta", "+12135550103"),
    ]
    with Session(engine) as session:
        shared = session.scalars(select(Contact).where(col(Contact.phone) == "+12135550101")).one()
        events = session.scalars(
            select(col(ConsentEvent.organization_id)).where(
                col(ConsentEvent.contact_id) == shared.id
            )
        ).all()
    assert count(engine, Contact) == 3 and count(engine, Membership) == 4 and len(events) == 2
    assert shared.language == "es"  # from Beta's list: Alpha's gave none


def test_the_error_report_names_the_rows_to_fix(api: TestClient, engine: Engine) -> None:
    _, _, alpha = make_org(engine, "Alpha")
    content = csv_text(
        "phone,first_name,email", "2135550101,Ana,ana@", "", "555-0102,Bo,", '"=2+3",Cy,'
    )
    started = upload(api, alpha, content)
    report = api.get(
        f"{finished(api, alpha, started.json()['id'])['errors_url']}", headers=bearer(alpha)
    )
    assert report.headers["content-type"].startswith("text/csv")
    assert "attachment" in report.headers["content-disposition"]
    assert _csv(report.text) == [
        {
            "row": "2",
            "column": "email",
            "value": "ana@",
            "problem": "not an email address; left out",
            "outcome": "value left out",
        },
        {
            "row": "4",
            "column": "phone",
            "value": "555-0102",
            "problem": "no area code (only the local number)",
            "outcome": "row rejected",
        },
        {
            "row": "5",
            "column": "phone",
            "value": "'=2+3",
            "problem": "not a phone number",
            "outcome": "row rejected",
        },
    ]


def test_the_export_is_safe_to_open_in_a_spreadsheet(api: TestClient, engine: Engine) -> None:
    _, _, alpha = make_org(engine, "Alpha")
    finished(api, alpha, upload(api, alpha, ALPHA_LIST).json()["id"])
    export = api.get("/api/v1/contacts.csv", headers=bearer(alpha))
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = {r["last_name"]: r for r in _csv(export.text)}
    evil = rows["'@SUM(1)"]
    assert evil["first_name"] == '\'=HYPERLINK("http://evil.example";"click")'
    assert evil["phone"] == "'+12135550102" and evil["zip"] == ""  # "-1+2" was no ZIP
    assert rows["García"]["phone"] == "'+12135550101" and rows["García"]["opted_out"] == "false"
    for row in rows.values():
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


def test_refused_imports_store_nothing(api: TestClient, engine: Engine, spool: Path) -> None:
    _, _, alpha = make_org(engine, "Alpha")
    good = csv_text("phone", "2135550101")
    for form, status, message in [
        ({"consent_basis": ""}, 422, "a consent basis is required"),
        ({"consent_language": "Klingon"}, 422, "consent language"),
        ({"consent_date": "05/01/2024"}, 422, "consent_date: write it as YYYY-MM-DD"),
        ({"mapping": "[1, 2]"}, 422, "mapping must be a JSON object"),
        ({"mapping": '{"Nope": "phone"}'}, 422, "mapping names a column the file does not have"),
    ]:
        response = upload(api, alpha, good, **form)
        assert (response.status_code, message in response.json()["detail"]) == (status, True), (
            form,
            response.text,
        )
    no_phone = upload(api, alpha, csv_text("name,address", "Ana,1 Main St"))
    assert no_phone.status_code == 422 and "no phone column" in no_phone.json()["detail"]
    too_big = upload(api, alpha, csv_text("phone", *["2135550101"] * 2000))
    assert too_big.status_code == 413
    assert too_big.json()["detail"] == "the file is larger than the 16 KB allowed"
    no_file = api.post(
        "/api/v1/contacts/imports",
        headers=bearer(alpha),
        data={"consent_basis": "Signed sheet at the fair", "consent_language": "es"},
    )
    assert no_file.status_code == 422 and "multipart field 'file'" in no_file.json()["detail"]
    assert count(engine, ContactImport) == 0 and list(spool.iterdir()) == []


def test_mapping_dry_run_and_paging(api: TestClient, engine: Engine) -> None:
    _, _, alpha = make_org(engine, "Alpha")
    content = csv_text(
        "Tel casa,Tel celular,Quien", *(f"3235550100,21355501{n:02d},P{n}" for n in range(10, 15))
    )
    mapping = '{"Tel celular": "phone", "Quien": "first_name", "Tel casa": "ignore"}'
    dry = finished(
        api, alpha, upload(api, alpha, content, mapping=mapping, dry_run="true").json()["id"]
    )
    assert (dry["dry_run"], dry["new_memberships"], count(engine, Contact)) == (True, 5, 0)
    real = finished(api, alpha, upload(api, alpha, content, mapping=mapping).json()["id"])
    assert real["new_memberships"] == 5 and real["file"]["ignored"] == ["Tel casa"]
    seen, after = [], 0
    while True:
        page = api.get(f"/api/v1/contacts?limit=2&after={after}", headers=bearer(alpha)).json()
        seen += [c["first_name"] for c in page["items"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == ["P10", "P11", "P12", "P13", "P14"]
    listed = api.get("/api/v1/contacts/imports", headers=bearer(alpha)).json()
    assert [i["id"] for i in listed] == [real["id"], dry["id"]]


def test_admins_make_organizations_and_keys_can_be_revoked(api: TestClient, engine: Engine) -> None:
    _, _, admin = make_org(engine, "Coalition", admin=True)
    made = api.post(
        "/api/v1/organizations", headers=bearer(admin), json={"name": "Comité Pro Voto"}
    )
    assert made.status_code == 201
    body = made.json()
    key = body["api_key"]["key"]
    assert body["organization"]["slug"] == "comite-pro-voto" and key.startswith("turnout_")
    again = api.post(
        "/api/v1/organizations", headers=bearer(admin), json={"name": "Comite pro voto"}
    )
    assert again.status_code == 409 and "exists already" in again.json()["detail"]
    listed = api.get("/api/v1/organizations/comite-pro-voto/keys", headers=bearer(key)).json()
    assert [k["prefix"] for k in listed] == [key[:16]] and key not in str(listed)
    assert api.get("/api/v1/me", headers=bearer(key)).json()["name"] == "Comité Pro Voto"
    on_behalf = upload(api, admin, csv_text("phone", "2135550101"), organization="comite-pro-voto")
    assert finished(api, admin, on_behalf.json()["id"])["organization"] == "comite-pro-voto"
    revoked = api.post(f"/api/v1/keys/{listed[0]['id']}/revoke", headers=bearer(key))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert api.get("/api/v1/me", headers=bearer(key)).status_code == 401
