"""The console's lift page on SQLite and PostgreSQL: results with charts and CSV, the history
upload (coalition admins; audited), the composer's holdout field and its MDE preview, and a
partner that sees its own contacts' results only."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from bot import tables
from bot.clock import utcnow
from bot.lift.assign import Member, assign, ensure_experiment
from tests.helpers.console import make_user, person
from tests.helpers.lift import election
from tests.helpers.lift import people as make_people
from tests.helpers.partners import make_org

pytestmark = pytest.mark.db
DATE = dt.date.today() + dt.timedelta(days=25)


class World:
    """The coalition and two partners, 300 contacts each, half held back, history imported
    for the admin's tests (Beta's contacts did not vote: a lift only Alpha's shows)."""

    def __init__(self, engine: Engine) -> None:
        self.hq, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, _, _ = make_org(engine, "Alpha")
        self.beta, _, _ = make_org(engine, "Beta")
        self.election_id = election(engine, DATE)
        specs = [
            {
                "phone": f"+1626{i:07d}",
                "language": "es" if i % 2 else "zh",
                "org": self.alpha if i < 300 else self.beta,
                "first_name": f"Given{i}",
                "last_name": "Family",
                "zip": "90012",
                "external_id": f"V{i}",
            }
            for i in range(600)
        ]
        self.ids = make_people(engine, specs)
        now = utcnow()
        with engine.begin() as conn:
            experiment = ensure_experiment(conn, election_date=DATE, share=0.5, now=now, seed=5)
            assign(
                conn,
                experiment,
                [Member(c, str(s["language"])) for c, s in zip(self.ids, specs, strict=True)],
                now,
            )
        for email, org, role in (
            ("admin@hq.org", self.hq, "admin"),
            ("alpha@alpha.org", self.alpha, "organizer"),
            ("viewer@alpha.org", self.alpha, "viewer"),
        ):
            make_user(engine, email, org, role)

    def votes(self, engine: Engine) -> None:
        a = tables.LIFT_ASSIGNMENTS.c
        rng = np.random.default_rng(3)
        with engine.begin() as conn:
            arms = {int(c): arm for c, arm in conn.execute(select(a.contact_id, a.arm))}
            rows = []
            for i, cid in enumerate(self.ids):
                p = (0.8 if arms[cid] == "treated" else 0.4) if i < 300 else 0.0
                rows.append(
                    {
                        "label": DATE.isoformat(),
                        "election_date": DATE,
                        "contact_id": cid,
                        "voted": bool(rng.random() < p),
                        "matched_by": "voter_id",
                        "confidence": 1.0,
                    }
                )
            conn.execute(insert(tables.LIFT_VOTES), rows)


@pytest.fixture
def world(engine: Engine) -> World:
    return World(engine)


def test_signed_out_goes_to_the_login(client: TestClient, world: World) -> None:
    for path in ("/console/lift", f"/console/lift/{world.election_id}.csv"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and "/console/login" in answer.headers["location"]


def test_admin_reads_results_charts_and_csv(
    client: TestClient, engine: Engine, world: World
) -> None:
    world.votes(engine)
    admin = person(client, engine, "admin@hq.org")
    page = admin.get("/console/lift")
    assert page.status_code == 200
    assert 'data-group="all"' in page.text
    assert 'data-value="alpha"' in page.text and 'data-value="beta"' in page.text
    assert "Import the vote history" in page.text
    assert f"/console/lift/{world.election_id}/organization.svg" in page.text
    for group in ("organization", "language"):
        chart = admin.get(f"/console/lift/{world.election_id}/{group}.svg")
        assert chart.status_code == 200
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert "<svg" in chart.text and "Held back" in chart.text
    assert admin.get(f"/console/lift/{world.election_id}/county.svg").status_code == 404
    csv = admin.get(f"/console/lift/{world.election_id}.csv")
    assert csv.status_code == 200 and csv.text.startswith("group,value,treated,control")
    lines = {tuple(line.split(",")[:2]): line for line in csv.text.splitlines()[1:]}
    assert ("organization", "alpha") in lines and ("organization", "beta") in lines
    assert admin.get("/console/lift?election=999999").status_code == 404
    for odd in ("²", "1e3", "-4", "99999999999"):  # digits `isdigit` takes, and no ids at all
        answer = admin.get("/console/lift", params={"election": odd})
        assert answer.status_code == 404 and "Not found" in answer.text, odd


def test_partner_sees_its_own_contacts_only(
    client: TestClient, engine: Engine, world: World
) -> None:
    world.votes(engine)
    alpha = person(client, engine, "alpha@alpha.org")
    page = alpha.get("/console/lift")
    assert page.status_code == 200
    assert 'data-value="alpha"' in page.text and 'data-value="beta"' not in page.text
    assert "Import the vote history" not in page.text
    csv = alpha.get(f"/console/lift/{world.election_id}.csv").text
    assert ",beta," not in csv and "organization,alpha" in csv
    total = next(line for line in csv.splitlines() if line.startswith("all,all"))
    treated, control = (int(x) for x in total.split(",")[2:4])
    assert treated + control == 300
    answer = alpha.post(
        "/console/lift/upload",
        {"election": str(world.election_id)},
        files={"file": ("h.csv", b"VoterID,g2026\nV1,Y\n", "text/csv")},
    )
    assert answer.status_code == 403
    viewer = person(TestClient(client.app), engine, "viewer@alpha.org")
    assert viewer.get("/console/lift").status_code == 200


def test_admin_uploads_the_history(client: TestClient, engine: Engine, world: World) -> None:
    admin = person(client, engine, "admin@hq.org")
    lines = ["VoterID,ElectionDate,VoteMethod"]
    lines += [f"V{i},{DATE.isoformat()},VBM" for i in range(0, 600, 3)]
    lines.append(",,")
    content = ("\n".join(lines) + "\n").encode()
    refused = admin.post("/console/lift/upload", {"election": ""})
    assert refused.status_code == 422 and "Election: choose one." in refused.text
    answer = admin.post(
        "/console/lift/upload",
        {"election": str(world.election_id)},
        files={"file": ("history.csv", content, "text/csv")},
    )
    assert answer.status_code == 303, answer.text
    page = admin.get(answer.headers["location"])
    assert "history.csv" in page.text
    with engine.connect() as conn:
        voted = conn.execute(select(tables.LIFT_VOTES.c.contact_id)).scalars().all()
        event = conn.execute(
            select(tables.AUDIT_EVENTS).where(tables.AUDIT_EVENTS.c.action == "lift.history_import")
        ).one()
    assert len(voted) == 200
    assert event.detail["matched"] == 200 and event.detail["rows"] == 201
    bad = admin.post(
        "/console/lift/upload",
        {"election": str(world.election_id)},
        files={"file": ("x.csv", b"Color\nred\n", "text/csv")},
    )
    assert bad.status_code == 422 and "identity" in bad.text
    no_csrf = client.post(
        "/console/lift/upload", data={"election": str(world.election_id)}, follow_redirects=False
    )
    assert no_csrf.status_code in (400, 403)


def test_composer_holdout_and_mde_preview(client: TestClient, engine: Engine, world: World) -> None:
    alpha = person(client, engine, "alpha@alpha.org")
    compose = alpha.get("/console/blasts/new")
    assert compose.status_code == 200
    assert (
        'name="holdout_percent"' in compose.text and 'hx-post="/console/lift/mde"' in compose.text
    )
    preview = alpha.post("/console/lift/mde", {"holdout_percent": "10", "holdout_baseline": "50"})
    assert preview.status_code == 200
    assert "30 held back, 270 messaged" in preview.text and "at 50% turnout" in preview.text
    nobody = alpha.post("/console/lift/mde", {"holdout_percent": ""})
    assert "Nobody held back" in nobody.text
    too_much = alpha.post("/console/lift/mde", {"holdout_percent": "70"})
    assert "between 0 and 50" in too_much.text
