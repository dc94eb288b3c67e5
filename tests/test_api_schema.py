"""/api/v1 against its own OpenAPI, by Schemathesis, as `st run --checks all` runs it: every
operation's examples, the boundaries of every parameter (coverage), random valid and invalid
requests (fuzzing), then chains of calls that follow the OpenAPI links (stateful: a blast
made, then paused, resumed, tested ...). With a coalition admin's key and with a partner's, on
SQLite and on PostgreSQL, in process against the ASGI app. Every check runs on every answer: no
5xx, no status, header or body the OpenAPI does not document, invalid input refused, no route
that forgets its key. The world is seeded first, so that ids exist and the happy paths answer
2xx, not only 404s.

A deeper run: TURNOUT_SCHEMATHESIS_EXAMPLES=100 pytest tests/test_api_schema.py
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import engine as runner
from schemathesis.engine import Status, events
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.schemas import BaseSchema
from sqlalchemy import Engine, select

from bot.app import create_app
from bot.clock import utcnow
from bot.contacts.organizations import create_key, digest
from bot.db import session_scope
from bot.models import Organization
from bot.settings import Settings
from bot.tables import API_KEYS
from tests.helpers.partners import bearer, csv_text, finished, make_org, upload

pytestmark = pytest.mark.db
EXAMPLES = int(os.environ.get("TURNOUT_SCHEMATHESIS_EXAMPLES", "10"))
# A schema-valid body may still ask for what cannot be done (a language without a catalog, a
# time in the past, a file without a phone column): 422 with the error body, which
# response_schema_conformance checks. Reads (GET) have no such excuse.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
CONFIG: dict[str, Any] = {
    "seed": 20261103,  # the same requests every run; TURNOUT_SCHEMATHESIS_EXAMPLES digs deeper
    "generation": {"max-examples": EXAMPLES, "mode": "all", "database": "none"},
    "checks": {"enabled": True},
    "phases": {"stateful": {"max-steps": 10}},
    "suppress-health-check": ["all"],
    "warnings": False,
    "operations": [
        {"exclude-path-regex": "^/api/v1/", "enabled": False},  # Twilio's routes, /healthz ...
        {
            "include-method-regex": "^(POST|PATCH)$",
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        },
    ],
}
PHASES = ("examples", "coverage", "fuzzing", "stateful")
LIST = csv_text("phone,first_name,zip", "2135550101,Ana,90012", "2135550102,Bo,90012", "x,Cy,1")
# What each key must have been answered 2xx by, at least once: the happy paths ran.
READS = {
    "GET /api/v1/me",
    "GET /api/v1/contacts",
    "GET /api/v1/contacts.csv",
    "GET /api/v1/contacts/imports",
    "GET /api/v1/elections",
    "GET /api/v1/elections/{election_id}",
    "GET /api/v1/elections/{election_id}/reminders",
    "GET /api/v1/blasts",
}
HAPPY = {
    "admin": READS
    | {
        "GET /api/v1/organizations",
        "POST /api/v1/organizations",
        "POST /api/v1/elections",
        "GET /api/v1/contacts/imports/{import_id}",
        "GET /api/v1/blasts/{blast_id}",
    },
    "partner": READS | {"GET /api/v1/organizations/{slug}/keys"},
}


@dataclass
class World:
    """The app on a seeded database, and the key the run calls it with."""

    app: FastAPI
    engine: Engine
    role: str
    organization_id: int
    key: str
    ids: dict[str, Any]  # path parameters that name what was seeded

    def live_key(self) -> str:
        """The caller's key: a new one when the run revoked it (`/keys/{id}/revoke` is fuzzed
        too, and key ids are small numbers)."""
        with self.engine.connect() as conn:
            revoked = conn.execute(
                select(API_KEYS.c.revoked_at).where(API_KEYS.c.key_hash == digest(self.key))
            ).scalar_one()
        if revoked is not None:
            with session_scope(self.engine) as session:
                org = session.get(Organization, self.organization_id)
                assert org is not None
                self.key = create_key(session=session, organization=org, now=utcnow()).secret
        return self.key


@dataclass
class Outcome:
    """What a run found: its failures, its errors, and the statuses each operation gave."""

    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answered: Counter[tuple[str, int]] = field(default_factory=Counter)
    per_phase: Counter[str] = field(default_factory=Counter)  # requests

    def succeeded(self) -> set[str]:
        """The operations that answered 2xx at least once."""
        return {label for (label, status) in self.answered if 200 <= status < 300}


def seed(engine: Engine, settings: Settings, tmp_path: Path, role: str) -> World:
    """The coalition, Alpha (with a list, imported) and Beta; an election and its reminder
    plan; a blast of Alpha's; the app, and the key of the role."""
    configured = settings.model_copy(
        update={"import_dir": str(tmp_path / "spool"), "import_max_bytes": 64 * 1024}
    )
    admin_id, _, admin = make_org(engine, "Coalition", admin=True)
    alpha_id, _, alpha = make_org(engine, "Alpha")
    make_org(engine, "Beta")
    app = create_app(configured, engine)
    soon = (utcnow() + dt.timedelta(days=60)).date().isoformat()
    with TestClient(app) as client:
        started = upload(client, alpha, LIST)
        assert started.status_code == 202, started.text
        imported = finished(client, alpha, started.json()["id"])
        assert imported["new_memberships"] == 2
        election = client.post(
            "/api/v1/elections", headers=bearer(admin), json={"name": "General", "date": soon}
        )
        assert election.status_code == 201, election.text
        plan = client.get(
            f"/api/v1/elections/{election.json()['id']}/reminders", headers=bearer(admin)
        )
        blast = client.post(
            "/api/v1/blasts",
            headers=bearer(alpha),
            json={"name": "Early voting", "texts": {"en": "Early voting starts Saturday!"}},
        )
        assert blast.status_code == 201, blast.text
    ids = {
        "import_id": imported["id"],
        "election_id": election.json()["id"],
        "reminder_id": plan.json()[0]["id"],
        "blast_id": blast.json()["id"],
        "key_id": 1,
        "slug": "alpha",
    }
    key, org_id = (admin, admin_id) if role == "admin" else (alpha, alpha_id)
    return World(app, engine, role, org_id, key, ids)


@pytest.fixture(params=["admin", "partner"])
def world(
    request: pytest.FixtureRequest, engine: Engine, settings: Settings, tmp_path: Path
) -> Iterator[World]:
    yield seed(engine, settings, tmp_path, str(request.param))
    shutdown_lifespans()  # the app's lifespan, which Schemathesis started


def api_schema(world: World) -> BaseSchema:
    """The app's OpenAPI (its /api/v1 operations: CONFIG), called with the world's live key."""
    config = schemathesis.Config.from_dict(CONFIG)
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app, config=config)

    @schema.auth.auth(refresh_interval=None, retry_on=[])
    class LiveKey:
        def get(self, case: Any, ctx: Any) -> str:
            return world.live_key()

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


def _record(outcome: Outcome, phase: str, recorder: Any) -> None:
    for checks in recorder.checks.values():
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                outcome.failures.append(
                    f"{recorder.label}: {check.name}: {failure.title}\n{failure.message}\n"
                    f"{check.failure_info.code_sample}"
                )
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if node is None or interaction.response is None:
            continue
        label = f"{node.value.method.upper()} {node.value.operation.path}"
        outcome.answered[(label, interaction.response.status_code)] += 1
        outcome.per_phase[phase] += 1


def run(schema: BaseSchema) -> Outcome:
    """Every phase of Schemathesis over the schema; what it found."""
    outcome = Outcome()
    for event in runner.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(outcome, event.phase.value, event.recorder)
        elif isinstance(event, events.FuzzScenarioFinished):
            _record(outcome, "fuzz", event.recorder)
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            outcome.errors.append(repr(event.exception))
        elif isinstance(event, events.EngineFinished):
            outcome.failures += [str(failure) for failure in event.failures]
    return outcome


def test_the_api_keeps_to_its_openapi(world: World) -> None:
    outcome = run(api_schema(world))
    assert not outcome.errors, "\n\n".join(outcome.errors[:5])
    assert not outcome.failures, "\n\n".join(outcome.failures[:5])
    assert all(outcome.per_phase[phase] for phase in PHASES), outcome.per_phase
    assert not [label for (label, status) in outcome.answered if status >= 500]
    missing = HAPPY[world.role] - outcome.succeeded()
    assert not missing, f"never answered 2xx to the {world.role}'s key: {sorted(missing)}"
    print(f"{world.role}: {dict(outcome.per_phase)} requests")


# --- what fuzzing finds only by luck, asked of every parameter --------------------------------

HX = "HX" + "0123456789abcdef" * 2
NUL, ESCAPE = "a\x00b", "a\x1bb"
MAPS = {"texts", "templates", "whatsapp_templates", "links", "registration_lookup"}
HUGE = (2**63, 2**64 + 1, 10**30)
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/organizations"): {"name": "Gamma Votes", "slug": "gamma"},
    ("POST", "/api/v1/elections"): {
        "name": "Primary",
        "date": "2030-03-05",
        "state": "CA",
        "counties": ["Los Angeles"],
        "polls_open": "07:00",
        "polls_close": "20:00",
        "timezone": "America/Los_Angeles",
        "same_day_where": "any vote center",
        "links": {"registration_lookup": {"es": "https://voterstatus.sos.ca.gov/es"}},
        "office_name": "LA County Registrar",
        "office_phone": "800-815-2666",
        "office_url": "https://lavote.gov/",
    },
    ("POST", "/api/v1/blasts"): {
        "name": "Early voting",
        "texts": {"en": "Early voting starts Saturday!"},
        "audience": {
            "organizations": ["alpha"],
            "languages": ["en"],
            "zips": ["90012"],
            "counties": ["Los Angeles County, CA"],
            "tags": ["volunteer"],
        },
        "whatsapp_templates": {"en": HX},
    },
    ("POST", "/api/v1/blasts/{blast_id}/test"): {"phone": "+12135550199", "language": "en"},
    ("PATCH", "/api/v1/elections/{election_id}/reminders/{reminder_id}"): {
        "texts": {"en": "Vote tomorrow!"},
        "templates": {"en": HX},
    },
}
BODIES[("POST", "/api/v1/blasts/preview")] = BODIES[("POST", "/api/v1/blasts")]
FORM = {
    "consent_basis": "Sign-up sheet at the festival: 'Text me voting reminders'",
    "consent_language": "es",
    "consent_date": "2024-05-01",
    "consent_source": "festival",
    "mapping": '{"phone": "phone"}',
    "organization": "alpha",
}


@pytest.fixture
def admin(engine: Engine, settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    """A client of the seeded world, with the coalition admin's key."""
    found = seed(engine, settings, tmp_path, "admin")
    with TestClient(found.app) as client:
        client.headers.update(bearer(found.key))
        yield client, found


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]


def _url(path: str, ids: dict[str, Any], **changed: Any) -> str:
    return path.format(**{**ids, **changed})


def _leaves(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """Where every string of a JSON body is: (path, is a key); keys of maps only (a texts'
    language, a link's kind), not a model's field names."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if at and at[-1] in MAPS:
                yield (*at, key), True
            yield from _leaves(inner, (*at, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _leaves(inner, (*at, i))
    elif isinstance(value, str):
        yield at, False


def _changed(body: Any, at: tuple[Any, ...], is_key: bool, text: str) -> Any:
    """The body with the string at `at` (a key, or a value) replaced by `text`."""
    if not at:
        return text
    head, rest = at[0], at[1:]
    if isinstance(body, list):
        return [_changed(v, rest, is_key, text) if i == head else v for i, v in enumerate(body)]
    if is_key and not rest:
        return {(text if k == head else k): v for k, v in body.items()}
    return {k: _changed(v, rest, is_key, text) if k == head else v for k, v in body.items()}


def test_the_bodies_here_are_accepted_as_they_are(admin: tuple[TestClient, World]) -> None:
    """The bodies the next test spoils: each is fine unspoiled (so a 422 there is the NUL's)."""
    client, world = admin
    for (method, path), body in BODIES.items():
        response = client.request(method, _url(path, world.ids), json=body)
        assert response.status_code in (200, 201, 202), (path, response.text)


def test_control_characters_anywhere_are_refused_with_422(
    admin: tuple[TestClient, World],
) -> None:
    """NUL or an escape in any path, query, form or JSON string (keys too): 422 naming where,
    before PostgreSQL (which cannot store NUL) sees it."""
    client, world = admin
    tried = 0
    for method, path, operation in _operations(world.app):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if "string" not in (
                schema.get("type"),
                *(s.get("type") for s in schema.get("anyOf", [])),
            ):
                continue
            for text in (NUL, ESCAPE):
                if parameter["in"] == "path":
                    url = _url(path, world.ids, **{parameter["name"]: quote(text, safe="")})
                    response = client.request(method, url)
                else:
                    params = {parameter["name"]: text}
                    response = client.request(method, _url(path, world.ids), params=params)
                assert response.status_code == 422, (method, path, parameter["name"], response.text)
                assert parameter["name"] in response.json()["detail"]
                tried += 1
        body = BODIES.get((method, path))
        for at, is_key in _leaves(body) if body is not None else ():
            for text in (NUL, ESCAPE):
                spoiled = _changed(body, at, is_key, text)
                response = client.request(method, _url(path, world.ids), json=spoiled)
                assert response.status_code == 422, (method, path, at, response.text)
                tried += 1
    for name in FORM:
        response = client.post(
            "/api/v1/contacts/imports",
            data={**FORM, name: NUL},
            files={"file": ("list.csv", LIST, "text/csv")},
        )
        assert response.status_code == 422 and name in response.json()["detail"], response.text
        tried += 1
    assert tried > 100  # every operation was asked, not only a few


def test_the_refusal_says_control_characters_without_echoing_them(
    admin: tuple[TestClient, World],
) -> None:
    client, _ = admin
    response = client.post("/api/v1/organizations", json={"name": "Gamma\x00Votes"})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "body.name: control characters (NUL, escape ...) and, in a one-line value, line breaks "
        "are not allowed"
    )
    assert "\x00" not in response.text and "Gamma" not in response.text


def test_integers_past_64_bits_are_refused_with_422(admin: tuple[TestClient, World]) -> None:
    """Every integer of a path or a query, too large for any database: 422, never a 500."""
    client, world = admin
    tried = 0
    for method, path, operation in _operations(world.app):
        for parameter in operation.get("parameters", []):
            if parameter["schema"].get("type") != "integer":
                continue
            for number in HUGE:
                if parameter["in"] == "path":
                    url = _url(path, world.ids, **{parameter["name"]: number})
                    response = client.request(method, url, json=BODIES.get((method, path)))
                else:
                    params = {parameter["name"]: str(number)}
                    response = client.request(method, _url(path, world.ids), params=params)
                assert response.status_code == 422, (method, path, parameter["name"], number)
                assert parameter["name"] in response.json()["detail"]
                tried += 1
    assert tried >= 3 * 17


def test_an_office_url_over_500_characters_is_refused(admin: tuple[TestClient, World]) -> None:
    """2,083 characters is a valid URL and no valid office_url: 422, nothing stored."""
    client, _ = admin
    url = "https://lavote.gov/" + "a" * (2083 - len("https://lavote.gov/"))
    body = {**BODIES[("POST", "/api/v1/elections")], "office_url": url}
    response = client.post("/api/v1/elections", json=body)
    assert response.status_code == 422 and "body.office_url" in response.json()["detail"]
    assert [e["name"] for e in client.get("/api/v1/elections").json()] == ["General"]
    links = {"registration_lookup": {"default": url}}
    refused = client.post("/api/v1/elections", json={**body, "office_url": None, "links": links})
    assert refused.status_code == 422


def test_a_method_a_path_lacks_is_405_naming_all_it_has(admin: tuple[TestClient, World]) -> None:
    client, world = admin
    blast = f"/api/v1/blasts/{world.ids['blast_id']}"
    for method, path, allowed in [
        ("DELETE", "/api/v1/blasts", "GET, POST"),
        ("GET", "/api/v1/blasts/preview", "POST"),
        ("PUT", blast, "GET"),
        ("OPTIONS", "/api/v1/organizations/alpha/keys", "GET, POST"),
    ]:
        response = client.request(method, path)
        assert (response.status_code, response.headers["allow"]) == (405, allowed), path
        assert response.json() == {"detail": "Method Not Allowed"}


def test_the_openapi_documents_uploads_too_large_and_links(admin: tuple[TestClient, World]) -> None:
    client, _ = admin
    paths = client.get("/openapi.json").json()["paths"]
    upload_errors = paths["/api/v1/contacts/imports"]["post"]["responses"]
    assert upload_errors["413"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    made = paths["/api/v1/blasts"]["post"]["responses"]["201"]["links"]
    assert made["pause"] == {
        "operationRef": "#/paths/~1api~1v1~1blasts~1{blast_id}~1pause/post",
        "parameters": {"blast_id": "$response.body#/id"},
        "description": "pause it",
    }
