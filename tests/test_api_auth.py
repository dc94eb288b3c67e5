"""Every /api/v1 route, enumerated from the app, refuses no key, a wrong key, a revoked key and
another organization's key, and its refusals say nothing about what they protect."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.contacts.organizations import revoke_key
from bot.models import ApiKey
from bot.sending.drafts import PARTNER_AUDIENCE
from tests.helpers.partners import bearer, csv_text, finished, make_org, upload

pytestmark = pytest.mark.db
UNAUTHENTICATED = {"detail": "missing, invalid or revoked API key"}
FORBIDDEN = {"detail": "this needs a coalition admin's API key"}
NOT_FOUND = {"detail": "not found"}
# Ahead of today, so that it has a reminder plan.
ELECTION = {"name": "General Election", "date": (date.today() + timedelta(days=60)).isoformat()}
BLAST = {"name": "alpha-secret-blast", "texts": {"en": "Alpha's secret words"}}
LIST = csv_text("phone,first_name,last_name", "2135550101,Ana,Secretname", "2135550199,Bo,Li")


@dataclass
class World:
    """Alpha (with a list, an import and a second, revoked key), Beta, and the coalition."""

    admin: str
    alpha: str
    alpha_revoked: str
    alpha_key_id: int
    beta: str
    import_id: int
    election_id: int
    blast_id: int
    reminder_id: int
    secrets: list[str] = field(default_factory=list)  # what must never reach Beta


@pytest.fixture
def world(engine: Engine, client: TestClient) -> World:
    _, _, admin = make_org(engine, "Coalition", admin=True)
    alpha_id, _, alpha = make_org(engine, "Alpha")
    _, _, beta = make_org(engine, "Beta")
    made = client.post("/api/v1/organizations/alpha/keys", headers=bearer(alpha)).json()
    with Session(engine) as session:
        key = session.get(ApiKey, made["id"])
        assert key is not None and key.organization_id == alpha_id
        revoke_key(session=session, key=key, now=key.created_at)
        session.commit()
    started = upload(client, alpha, LIST, name="alpha-secret-list.csv")
    assert started.status_code == 202, started.text
    assert finished(client, alpha, started.json()["id"])["new_memberships"] == 2
    first_key = client.get("/api/v1/organizations/alpha/keys", headers=bearer(alpha)).json()[0]
    election = client.post("/api/v1/elections", headers=bearer(admin), json=ELECTION)
    assert election.status_code == 201, election.text
    blast = client.post("/api/v1/blasts", headers=bearer(alpha), json=BLAST)
    assert blast.status_code == 201, blast.text
    plan = client.get(
        f"/api/v1/elections/{election.json()['id']}/reminders", headers=bearer(admin)
    ).json()
    assert [step["reminder"] for step in plan] == ["eve", "morning"]
    secrets = [
        "alpha",
        "Alpha",
        "2135550101",
        "Secretname",
        "alpha-secret-list",
        alpha[:16],
        made["key"][:16],
        "alpha-secret-blast",
        "secret words",
    ]
    return World(
        admin,
        alpha,
        made["key"],
        first_key["id"],
        beta,
        started.json()["id"],
        election.json()["id"],
        blast.json()["id"],
        plan[0]["id"],
        secrets,
    )


@dataclass(frozen=True)
class Case:
    """How to call a route about Alpha's things, and what Beta's key gets."""

    path: str
    beta_status: int  # 403: coalition admins only; 404: Alpha's; 200: Beta's own view
    kwargs: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None  # a refusal's own message, when not the usual one


def cases(w: World) -> dict[tuple[str, str], Case]:
    """One entry per route; the test fails when a route is added without one."""
    form = {
        "data": {
            "consent_basis": "Signed sheet at the festival",
            "consent_language": "es",
            "consent_date": "2024-05-01",
            "organization": "alpha",
        },
        "files": {"file": ("x.csv", b"phone\n2135550150\n", "text/csv")},
    }
    imp = f"/api/v1/contacts/imports/{w.import_id}"
    blast = f"/api/v1/blasts/{w.blast_id}"
    plan = f"/api/v1/elections/{w.election_id}/reminders"
    step = f"{plan}/{w.reminder_id}"
    to_alpha = {"json": {**BLAST, "audience": {"organizations": ["alpha"]}}}
    return {
        ("GET", "/api/v1/me"): Case("/api/v1/me", 200),
        ("GET", "/api/v1/organizations"): Case("/api/v1/organizations", 403),
        ("POST", "/api/v1/organizations"): Case(
            "/api/v1/organizations", 403, {"json": {"name": "Gamma"}}
        ),
        ("GET", "/api/v1/organizations/{slug}/keys"): Case("/api/v1/organizations/alpha/keys", 404),
        ("POST", "/api/v1/organizations/{slug}/keys"): Case(
            "/api/v1/organizations/alpha/keys", 404
        ),
        ("POST", "/api/v1/keys/{key_id}/revoke"): Case(
            f"/api/v1/keys/{w.alpha_key_id}/revoke", 404
        ),
        ("POST", "/api/v1/contacts/imports"): Case("/api/v1/contacts/imports", 404, form),
        ("GET", "/api/v1/contacts/imports"): Case(
            "/api/v1/contacts/imports?organization=alpha", 404
        ),
        ("GET", "/api/v1/contacts/imports/{import_id}"): Case(imp, 404),
        ("GET", "/api/v1/contacts/imports/{import_id}/errors.csv"): Case(f"{imp}/errors.csv", 404),
        ("GET", "/api/v1/contacts"): Case("/api/v1/contacts?organization=alpha", 404),
        ("GET", "/api/v1/contacts.csv"): Case("/api/v1/contacts.csv?organization=alpha", 404),
        # Elections are public facts: any organization reads them, only admins define them.
        ("GET", "/api/v1/elections"): Case("/api/v1/elections", 200),
        ("GET", "/api/v1/elections/{election_id}"): Case(f"/api/v1/elections/{w.election_id}", 200),
        ("POST", "/api/v1/elections"): Case("/api/v1/elections", 403, {"json": ELECTION}),
        # ... and so are their reminder plans; only admins change them.
        ("GET", "/api/v1/elections/{election_id}/reminders"): Case(plan, 200),
        ("PATCH", "/api/v1/elections/{election_id}/reminders/{reminder_id}"): Case(
            step, 403, {"json": {"texts": {"en": "Vote!"}}}
        ),
        **{
            ("POST", f"/api/v1/elections/{{election_id}}/reminders/{{reminder_id}}/{action}"): (
                Case(f"{step}/{action}", 403)
            )
            for action in ("pause", "resume", "cancel")
        },
        # The lift: a partner reads its own contacts' results; only admins set a holdout.
        ("GET", "/api/v1/elections/{election_id}/holdout"): Case(
            f"/api/v1/elections/{w.election_id}/holdout", 200
        ),
        ("PUT", "/api/v1/elections/{election_id}/holdout"): Case(
            f"/api/v1/elections/{w.election_id}/holdout", 403, {"json": {"share": 0.1}}
        ),
        ("GET", "/api/v1/elections/{election_id}/lift"): Case(
            f"/api/v1/elections/{w.election_id}/lift", 200
        ),
        # Blasts: Beta lists its own; naming Alpha's list is refused whether it exists or not.
        ("GET", "/api/v1/blasts"): Case("/api/v1/blasts", 200),
        ("POST", "/api/v1/blasts"): Case("/api/v1/blasts", 403, to_alpha, PARTNER_AUDIENCE),
        ("POST", "/api/v1/blasts/preview"): Case(
            "/api/v1/blasts/preview", 403, to_alpha, PARTNER_AUDIENCE
        ),
        ("GET", "/api/v1/blasts/{blast_id}"): Case(blast, 404),
        ("GET", "/api/v1/blasts/{blast_id}/preview"): Case(f"{blast}/preview", 404),
        ("POST", "/api/v1/blasts/{blast_id}/test"): Case(
            f"{blast}/test", 404, {"json": {"phone": "2135550150"}}
        ),
        **{
            ("POST", f"/api/v1/blasts/{{blast_id}}/{action}"): Case(f"{blast}/{action}", 404)
            for action in ("pause", "resume", "cancel")
        },
    }


def api_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every (method, path) the app serves under /api/v1, included routers walked."""
    app: Any = client.app
    try:  # FastAPI keeps included routers as branches; this walks them with their prefixes
        from fastapi.routing import iter_route_contexts

        routes: Any = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: the routes are flat already
        routes = [r for r in app.routes if isinstance(r, APIRoute)]
    return {
        (method, route.path)
        for route in routes
        if (route.path or "").startswith("/api/v1")
        for method in route.methods or ()
    }


def call(client: TestClient, method: str, case: Case, headers: dict[str, str]) -> Any:
    return client.request(method, case.path, headers=headers, **case.kwargs)


def test_every_route_has_a_case(client: TestClient, world: World) -> None:
    assert api_routes(client) == set(cases(world))


@pytest.mark.parametrize("credentials", ["none", "malformed", "wrong", "revoked", "basic"])
def test_no_valid_key_is_refused_the_same_way(
    client: TestClient, world: World, credentials: str
) -> None:
    headers = {
        "none": {},
        "malformed": {"Authorization": "Bearer"},
        "wrong": bearer("turnout_" + "x" * 43),
        "revoked": bearer(world.alpha_revoked),
        "basic": {"Authorization": "Basic YWxwaGE6c2VjcmV0"},
    }[credentials]
    for (method, _), case in cases(world).items():
        response = call(client, method, case, headers)
        assert response.status_code == 401, (method, case.path, response.text)
        assert response.json() == UNAUTHENTICATED
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/me", headers=bearer(world.alpha)).json()["slug"] == "alpha"


def test_another_organizations_key_learns_nothing(client: TestClient, world: World) -> None:
    for (method, _), case in cases(world).items():
        response = call(client, method, case, bearer(world.beta))
        assert response.status_code == case.beta_status, (method, case.path, response.text)
        if case.detail is not None:
            assert response.json() == {"detail": case.detail}
        elif case.beta_status == 403:
            assert response.json() == FORBIDDEN
        elif case.beta_status == 404:
            assert response.json() == NOT_FOUND
        leaked = [s for s in world.secrets if s in response.text]
        assert leaked == [], (method, case.path)
    # Alpha's things are untouched: its key still works, its list still has both contacts,
    # its blast is still scheduled, the plan's first step too, and Beta made no blast.
    assert (
        client.get("/api/v1/contacts", headers=bearer(world.alpha)).json()["items"][1]["last_name"]
        == "Li"
    )
    alpha_blast = client.get(f"/api/v1/blasts/{world.blast_id}", headers=bearer(world.alpha))
    assert (alpha_blast.json()["status"], alpha_blast.json()["tests"]) == ("scheduled", [])
    plan = client.get(
        f"/api/v1/elections/{world.election_id}/reminders", headers=bearer(world.beta)
    )
    assert [(s["status"], s["texts"]) for s in plan.json()] == [("scheduled", None)] * 2
    assert client.get("/api/v1/blasts", headers=bearer(world.beta)).json() == []


def test_missing_and_forbidden_look_alike(client: TestClient, world: World) -> None:
    beta = bearer(world.beta)
    for missing, theirs in [
        ("/api/v1/contacts/imports/999999", f"/api/v1/contacts/imports/{world.import_id}"),
        ("/api/v1/organizations/nobody/keys", "/api/v1/organizations/alpha/keys"),
        ("/api/v1/contacts?organization=nobody", "/api/v1/contacts?organization=alpha"),
        ("/api/v1/blasts/999999", f"/api/v1/blasts/{world.blast_id}"),
        ("/api/v1/blasts/999999/preview", f"/api/v1/blasts/{world.blast_id}/preview"),
    ]:
        a, b = client.get(missing, headers=beta), client.get(theirs, headers=beta)
        assert (a.status_code, a.json(), dict(a.headers)) == (
            b.status_code,
            b.json(),
            dict(b.headers),
        )
    revoked = client.post(f"/api/v1/keys/{world.alpha_key_id}/revoke", headers=beta)
    assert (revoked.status_code, revoked.json()) == (404, {"detail": "not found"})
    still = client.get("/api/v1/me", headers=bearer(world.alpha))  # alpha's key still works
    assert still.status_code == 200 and still.json()["slug"] == "alpha"
    for audience in ({"organizations": ["nobody"]}, {"organizations": ["alpha"]}):
        a = client.post("/api/v1/blasts", headers=beta, json={**BLAST, "audience": audience})
        assert (a.status_code, a.json()) == (403, {"detail": PARTNER_AUDIENCE})


def test_the_coalition_admin_sees_everything(client: TestClient, world: World) -> None:
    admin = bearer(world.admin)
    for (method, _), case in cases(world).items():
        if method == "GET":
            response = call(client, method, case, admin)
            assert response.status_code == 200, (case.path, response.text)
    slugs = [o["slug"] for o in client.get("/api/v1/organizations", headers=admin).json()]
    assert slugs == ["alpha", "beta", "coalition"]
    imp = client.get(f"/api/v1/contacts/imports/{world.import_id}", headers=admin).json()
    assert (imp["organization"], imp["new_contacts"]) == ("alpha", 2)
    partner_view = client.get(
        f"/api/v1/contacts/imports/{world.import_id}", headers=bearer(world.alpha)
    ).json()
    assert partner_view["new_contacts"] is None  # would tell which phones others have
    blasts = client.get("/api/v1/blasts", headers=admin).json()
    assert [(b["organization"], b["name"]) for b in blasts] == [("alpha", "alpha-secret-blast")]


def test_openapi_documents_the_admin_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/contacts/imports", "/api/v1/contacts.csv"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["api_key"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 200
