"""/api/v1/elections: a coalition admin defines elections, every partner reads them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers.partners import bearer, make_org

pytestmark = pytest.mark.db
GENERAL = {
    "name": "California General Election",
    "date": "2026-11-03",
    "state": "CA",
    "counties": ["Los Angeles", "Orange"],
    "polls_open": "07:00",
    "polls_close": "20:00",
    "timezone": "America/Los_Angeles",
    "registration_deadline": "2026-10-19",
    "same_day_registration": True,
    "same_day_where": "any vote center in your county",
    "links": {
        "registration_lookup": {
            "default": "https://voterstatus.sos.ca.gov/",
            "es": "https://voterstatus.sos.ca.gov/es",
        }
    },
    "office_name": "LA County Registrar",
    "office_phone": "800-815-2666",
}


def test_admin_defines_and_partners_read(client: TestClient, engine: Engine) -> None:
    _, _, admin = make_org(engine, "Coalition", admin=True)
    _, _, partner = make_org(engine, "Alpha")
    made = client.post("/api/v1/elections", json=GENERAL, headers=bearer(admin))
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["source"], body["date"], body["polls_close"]) == ("api", "2026-11-03", "20:00:00")
    assert body["links"]["registration_lookup"]["es"] == "https://voterstatus.sos.ca.gov/es"
    listed = client.get("/api/v1/elections", headers=bearer(partner)).json()
    assert [e["name"] for e in listed] == ["California General Election"]
    one = client.get(f"/api/v1/elections/{body['id']}", headers=bearer(partner)).json()
    assert one["same_day_where"] == "any vote center in your county"
    # the same name and date again updates it rather than adding a second election
    again = client.post(
        "/api/v1/elections", json={**GENERAL, "polls_close": "21:00"}, headers=bearer(admin)
    )
    assert again.json()["id"] == body["id"] and again.json()["polls_close"] == "21:00:00"
    assert len(client.get("/api/v1/elections", headers=bearer(admin)).json()) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": "2026-02-30"}, "date"),
        ({"timezone": "Pacific/Nowhere"}, "timezone"),
        ({"links": {"voter_guide": {"default": "https://x.example"}}}, "links"),
        ({"state": "California"}, "state"),
    ],
)
def test_bad_input_is_refused_with_the_field(
    client: TestClient, engine: Engine, change: dict[str, object], field: str
) -> None:
    _, _, admin = make_org(engine, "Coalition", admin=True)
    response = client.post("/api/v1/elections", json={**GENERAL, **change}, headers=bearer(admin))
    assert response.status_code == 422
    assert field in str(response.json())
    assert client.get("/api/v1/elections", headers=bearer(admin)).json() == []


def test_partners_cannot_define_elections(client: TestClient, engine: Engine) -> None:
    _, _, partner = make_org(engine, "Alpha")
    response = client.post("/api/v1/elections", json=GENERAL, headers=bearer(partner))
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "this needs a coalition admin's API key"},
    )
    assert client.get("/api/v1/elections", headers=bearer(partner)).json() == []
    missing = client.get("/api/v1/elections/1", headers=bearer(partner))
    assert (missing.status_code, missing.json()) == (404, {"detail": "not found"})
