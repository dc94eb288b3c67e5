"""Holdout assignment, on both databases: reproducible from the seed, exact shares per block,
fixed once drawn, late contacts appended; and holdouts never receive (checked against the
Twilio double's log through the real dispatcher)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bot import tables
from bot.access import Caller, Role
from bot.clock import utcnow
from bot.errors import Conflict, Invalid
from bot.lift.assign import Member, assign, controls_for, ensure_experiment
from bot.lift.holdouts import set_reminder_holdout
from bot.sending import blasts, sends
from bot.sending.drafts import BlastIn, SendContext
from bot.settings import Settings
from bot.voter.elections import save_election
from scheduler.process import Sending
from tests.helpers.lift import people as make_people
from tests.helpers.partners import bearer, make_org
from tests.helpers.sending import (
    ACCOUNT,
    contact,
    drain,
    free_port,
    organization,
    outbox_rows,
    sending_settings,
    served,
)
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN

pytestmark = pytest.mark.db
ELECTION = dt.date.today() + dt.timedelta(days=20)


def _election(engine: Engine, date: dt.date = ELECTION) -> int:
    with engine.begin() as conn:
        return save_election(
            conn, values={"name": "General", "date": date}, source="cli", now=utcnow()
        )


def _people(engine: Engine, org: int, language: str, n: int, start: int) -> list[int]:
    specs = [
        {"phone": f"+1213{start + i:07d}", "language": language, "org": org, "zip": "90012"}
        for i in range(n)
    ]
    return make_people(engine, specs)


def _arms(engine: Engine, experiment_id: int) -> dict[int, tuple[str, str, int]]:
    a = tables.LIFT_ASSIGNMENTS.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.contact_id, a.arm, a.block, a.position).where(a.experiment_id == experiment_id)
        )
        return {int(r.contact_id): (r.arm, r.block, int(r.position)) for r in rows}


def _world(engine: Engine) -> tuple[list[Member], dict[str, int]]:
    a, b = organization(engine, "asian-voters"), organization(engine, "latino-vote")
    sizes = {f"{a}|en": 101, f"{a}|zh": 57, f"{b}|es": 40, f"{b}|en": 13}
    members: list[Member] = []
    start = 100
    for key, n in sizes.items():
        org, language = key.split("|")
        ids = _people(engine, int(org), language, n, start)
        start += n
        members += [Member(cid, language) for cid in ids]
    return members, sizes


def test_shares_are_exact_per_block_and_reproducible_from_the_seed(engine: Engine) -> None:
    members, sizes = _world(engine)
    now = utcnow()
    with engine.begin() as conn:
        first = ensure_experiment(conn, election_date=ELECTION, share=0.2, now=now, seed=7)
        made = assign(conn, first, members, now)
        again = ensure_experiment(
            conn, election_date=ELECTION + dt.timedelta(days=1), share=0.2, now=now, seed=7
        )
        assign(conn, again, list(reversed(members)), now)  # arrival order does not matter
        other = ensure_experiment(
            conn, election_date=ELECTION + dt.timedelta(days=2), share=0.2, now=now, seed=8
        )
        assign(conn, other, members, now)
    arms = _arms(engine, first.id)
    assert made == {"treated": 211 - made["control"], "control": made["control"]}
    per_block = Counter(block for arm, block, _ in arms.values() if arm == "control")
    for key, n in sizes.items():
        assert per_block[f"{key}|unknown"] == controls_for(0.2, n)  # 20, 11, 8, 3
    assert [controls_for(0.2, n) for n in sizes.values()] == [20, 11, 8, 3]
    same = _arms(engine, again.id)
    assert {c: v[0] for c, v in same.items()} == {c: v[0] for c, v in arms.items()}
    different = _arms(engine, other.id)
    assert {c: v[0] for c, v in different.items()} != {c: v[0] for c, v in arms.items()}


def test_assignment_never_changes_and_late_contacts_are_appended(engine: Engine) -> None:
    members, sizes = _world(engine)
    now = utcnow()
    with engine.begin() as conn:
        experiment = ensure_experiment(conn, election_date=ELECTION, share=0.25, now=now, seed=3)
        assign(conn, experiment, members, now)
    before = _arms(engine, experiment.id)
    org = int(next(iter(sizes)).split("|")[0])
    late = _people(engine, org, "en", 19, 5000)  # a late import into the 101-strong block
    with engine.begin() as conn:
        assign(conn, experiment, members + [Member(c, "en") for c in late], now)
        assign(conn, experiment, members, now)  # drawing again changes nothing
        with pytest.raises(Conflict):
            ensure_experiment(conn, election_date=ELECTION, share=0.3, now=now)
    after = _arms(engine, experiment.id)
    assert {c: after[c] for c in before} == before
    block = f"{org}|en|unknown"
    positions = sorted(after[c][2] for c in late)
    assert positions == list(range(101, 120))
    controls = sum(1 for arm, b, _ in after.values() if b == block and arm == "control")
    assert controls == controls_for(0.25, 120)  # 30: 25 of the first 101, 5 of the 19 late


def test_holdout_share_is_checked(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(Invalid):
        ensure_experiment(conn, election_date=ELECTION, share=0.6, now=utcnow())


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(ACCOUNT, AUTH_TOKEN) as d:
        yield d


def test_holdouts_never_receive_a_blast(engine: Engine, double: TwilioDouble) -> None:
    port = free_port()
    settings = sending_settings(engine, double.url, f"http://127.0.0.1:{port}")
    org = organization(engine, "asian-voters")
    phones = {}
    for i in range(40):
        language = "en" if i % 2 else "es"
        phones[contact(engine, f"+1213555{i:04d}", language=language, orgs=(org,))] = (
            f"+1213555{i:04d}"
        )
    _election(engine)
    caller = Caller(organization_id=org, role=Role.ORGANIZER, slug="asian-voters")
    ctx = SendContext.load(settings)
    body = BlastIn(
        name="Vote!", texts={"en": "Vote on the 3rd!", "es": "¡Vote el 3!"}, holdout_share=0.25
    )
    with engine.begin() as conn:
        view = blasts.create_blast(conn, caller=caller, body=body, ctx=ctx, now=utcnow())
    assert view.holdout is not None
    assert (view.holdout.treated, view.holdout.control) == (30, 10)
    assert {(b.language, b.treated, b.control) for b in view.holdout.blocks} == {
        ("en", 15, 5),
        ("es", 15, 5),
    }
    with served(settings, engine, port):
        drain(Sending.from_settings(engine, settings))
    held = {r.contact_id for r in outbox_rows(engine, view.id) if r.reason == "holdout"}
    assert len(held) == 10
    received = set(double.count_by_to())
    assert received == {phones[c] for c in phones if c not in held}
    assert not received & {phones[c] for c in held}
    with engine.connect() as conn:
        counts = sends.counts(conn, view.id)
        shown = blasts.show_blast(conn, caller=caller, blast_id=view.id)
    assert counts["skipped"] == {"holdout": 10}
    assert shown.holdout is not None and (shown.holdout.treated, shown.holdout.control) == (30, 10)


def test_reminder_holdout_covers_every_step_and_late_contacts(engine: Engine) -> None:
    org = organization(engine, "asian-voters")
    ids = _people(engine, org, "en", 30, 100)
    election_id = _election(engine)
    admin = Caller(organization_id=org, role=Role.ADMIN, slug="hq")
    now = utcnow()
    with engine.begin() as conn:
        nothing = set_reminder_holdout(
            conn,
            caller=admin,
            election_id=election_id,
            share=0.0,
            default_language="en",
            now=now,
        )
        assert nothing is None  # a share of 0 records nothing
        view = set_reminder_holdout(
            conn,
            caller=admin,
            election_id=election_id,
            share=0.1,
            default_language="en",
            now=now,
        )
        assert view is not None and (view.treated, view.control) == (27, 3)
        with pytest.raises(Conflict):
            set_reminder_holdout(
                conn,
                caller=admin,
                election_id=election_id,
                share=0.2,
                default_language="en",
                now=now,
            )
    late = _people(engine, org, "en", 10, 900)
    with engine.begin() as conn:
        send_id = sends.create_send(
            conn,
            {
                "kind": "reminder",
                "name": "eve",
                "send_at": now,
                "message_key": "reminders.eve",
                "election_date": ELECTION,
                "reminder": "eve",
                "audience": {},
            },
            now,
        )
        sends.start_send(conn, send_id, default_language="en", now=now)
    rows = outbox_rows(engine, send_id)
    held = {r.contact_id for r in rows if r.reason == "holdout"}
    assert len(rows) == 40 and len(held) == controls_for(0.1, 40) == 4
    assert held <= set(ids) | set(late)
    partner = Caller(organization_id=org, role=Role.ORGANIZER, slug="asian-voters")
    with engine.begin() as conn, pytest.raises(Exception, match="coalition admin"):
        set_reminder_holdout(
            conn,
            caller=partner,
            election_id=election_id,
            share=0.1,
            default_language="en",
            now=now,
        )


def test_api_blast_and_reminder_holdout(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    _org, _slug, key = make_org(engine, "Chinatown Votes")
    _hq, _hq_slug, admin_key = make_org(engine, "Coalition HQ", admin=True)
    org_id = _org
    for i in range(20):
        contact(engine, f"+1213666{i:04d}", language="zh", orgs=(org_id,))
    body = {"name": "Vote", "texts": {"zh": "投票"}, "holdout_share": 0.2}
    refused = client.post("/api/v1/blasts", json=body, headers=bearer(key))
    assert refused.status_code == 422
    assert "no election" in refused.json()["detail"]
    election_id = _election(engine)
    preview = client.post("/api/v1/blasts/preview", json=body, headers=bearer(key))
    assert preview.status_code == 200
    shown = preview.json()["holdout"]
    assert shown["treated"] == 16 and shown["control"] == 4 and shown["baseline"] == 0.55
    assert 0.5 < shown["minimum_detectable_effect"] < 1.0  # 20 contacts tell nothing
    made = client.post("/api/v1/blasts", json=body, headers=bearer(key))
    assert made.status_code == 201, made.text
    holdout = made.json()["holdout"]
    assert holdout["share"] == 0.2 and holdout["control"] == 4
    assert holdout["blocks"] == [
        {
            "organization": "chinatown-votes",
            "language": "zh",
            "history": "unknown",
            "treated": 16,
            "control": 4,
        }
    ]
    assert (
        client.post(
            "/api/v1/blasts", json={**body, "holdout_share": 0.6}, headers=bearer(key)
        ).status_code
        == 422
    )
    conflict = client.put(
        f"/api/v1/elections/{election_id}/holdout",
        json={"holdout_share": 0.3},
        headers=bearer(admin_key),
    )
    assert conflict.status_code == 409
    assert (
        client.put(
            f"/api/v1/elections/{election_id}/holdout",
            json={"holdout_share": 0.2},
            headers=bearer(key),
        ).status_code
        == 403
    )
    same = client.put(
        f"/api/v1/elections/{election_id}/holdout",
        json={"holdout_share": 0.2},
        headers=bearer(admin_key),
    )
    assert same.status_code == 200 and same.json()["holdout"]["control"] == 4
    read = client.get(f"/api/v1/elections/{election_id}/holdout", headers=bearer(key))
    assert read.json()["holdout"]["treated"] == 16
    lift = client.get(f"/api/v1/elections/{election_id}/lift", headers=bearer(key))
    assert lift.status_code == 200, lift.text
    body = lift.json()
    assert body["share"] == 0.2 and body["history_imported"] is False
    everyone = body["rows"][0]
    assert (everyone["group"], everyone["treated"], everyone["control"]) == ("all", 16, 4)
    assert everyone["turnout_treated"] == 0.0 and everyone["too_few"] is True
    assert client.get("/api/v1/elections/999999/lift", headers=bearer(key)).status_code == 404
    assert client.get(f"/api/v1/elections/{election_id}/lift").status_code == 401
