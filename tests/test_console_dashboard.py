"""The console's dashboard on SQLite and PostgreSQL: today and the last 7 days, open requests,
blasts in flight with their progress, the next sends and the warnings that need a person, for
a coalition admin (every organization, or one) and a partner (its own; another's is a 404),
and its live fragment for htmx."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from bot.clock import utcnow
from bot.tables import IMPORTS, OUTBOX, SENDS
from tests.helpers.reports import ZONE, Seed, SeededWorld, on

pytestmark = pytest.mark.db


class World(SeededWorld):
    """The seeded coalition, a scheduled blast and reminder, an import with rejected rows."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        super().__init__(engine, client)
        now = utcnow()
        with engine.begin() as conn:
            orgs = self.seed.orgs
            for name, kind, org, hours in [
                ("Alpha's next blast", "blast", "alpha", 2),
                ("Beta's next blast", "blast", "beta", 3),
                ("Election eve", "reminder", None, 4),
            ]:
                conn.execute(
                    insert(SENDS).values(
                        kind=kind,
                        name=name,
                        status="scheduled",
                        send_at=now + dt.timedelta(hours=hours),
                        organization_id=orgs[org] if org else None,
                        created_at=now,
                        updated_at=now,
                    )
                )
            conn.execute(
                insert(IMPORTS).values(
                    organization_id=orgs["beta"],
                    status="done",
                    filename="beta-list.csv",
                    consent_basis="signed up at an event",
                    consent_language="en",
                    rejected=4,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                insert(OUTBOX).values(
                    send_id=self.seed.sends["beta blast"],
                    contact_id=self.seed.contacts["u"],
                    language="en",
                    status="failed",
                    error_code=21606,
                    available_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )


@pytest.fixture
def world(engine: Engine, client: TestClient) -> World:
    return World(engine, client)


def _figure(html: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}">(\d+)', html)
    assert found, name
    return int(found.group(1))


def _check_figures(html: str, seed: Seed, org: str | None) -> None:
    today = seed.now.astimezone(ZoneInfo(ZONE)).date()
    for metric, name in (
        ("inbound", "inbound"),
        ("answered", "answered"),
        ("opt_outs", "opt-outs"),
    ):
        assert _figure(html, f"{name}-week") == seed.expect(metric, org), metric
        assert _figure(html, f"{name}-today") == seed.expect(metric, org, keep=on(today))
    opened = seed.expect("handoffs", org) - seed.expect("answered_handoffs", org)
    assert re.search(rf'data-figure="open-requests">{opened} open requests', html)


def test_signed_out_people_are_sent_to_sign_in(world: World) -> None:
    world.client.cookies.clear()
    answer = world.client.get("/console/dashboard", follow_redirects=False)
    assert answer.status_code == 303 and "/console/login" in answer.headers["location"]
    live = world.client.get(
        "/console/dashboard/live", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert live.status_code == 401 and "/console/login" in live.headers["HX-Redirect"]
    assert world.client.get("/console", follow_redirects=False).headers["location"] == (
        "/console/dashboard"
    )


def test_the_admin_sees_the_whole_coalition(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    over = [("es", "polling.found", 4, 3)]
    monkeypatch.setattr("bot.console.dashboard._over_budget", lambda _runtime: over)
    admin = world.sign_in("admin@coalition.org")
    page = admin.get("/console/dashboard")
    assert page.status_code == 200, page.text
    assert 'aria-current="page">Dashboard' in page.text
    assert 'hx-get="/console/dashboard/live"' in page.text and 'hx-trigger="every 5s"' in page.text
    _check_figures(page.text, world.seed, None)
    # Both blasts in flight, with progress bars and links to their pages.
    for name in ("alpha blast", "beta blast"):
        sid = world.seed.sends[name]
        assert f'href="/console/blasts/{sid}">{name}</a>' in page.text
        assert f'id="blast-progress-{sid}"' in page.text
    alpha = world.seed.sends["alpha blast"]
    assert re.search(rf'id="blast-progress-{alpha}" value="3" max="3"', page.text)
    assert "3 of 3 done (100%): 1 delivered, 2 failed, 0 waiting" in page.text
    # The next sends, soonest first.
    order = [
        page.text.index(n)
        for n in ("Alpha&#39;s next blast", "Beta&#39;s next blast", "Election eve")
    ]
    assert order == sorted(order)
    # What needs a person.
    assert "messages of “reminder” are in review" in page.text
    assert "The import of beta-list.csv rejected 4 rows." in page.text
    assert re.search(r'href="/console/imports/\d+">See it</a>', page.text)
    assert "with error 21606" in page.text
    assert "1 catalog messages take more SMS segments" in page.text
    assert "es:polling.found (4/3)" in page.text
    assert 'id="dashboard-organization"' in page.text
    assert 'href="/console/inbox"' in page.text


def test_the_live_fragment_is_the_figures_alone(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    live = admin.get("/console/dashboard/live", headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert "<html" not in live.text and "<nav" not in live.text
    _check_figures(live.text, world.seed, None)
    beta = world.seed.orgs["beta"]
    page = admin.get(f"/console/dashboard?organization={beta}")
    assert f'hx-get="/console/dashboard/live?organization={beta}"' in page.text
    _check_figures(
        admin.get(f"/console/dashboard/live?organization={beta}").text, world.seed, "beta"
    )


def test_the_admin_can_look_at_one_organization(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    alpha = world.seed.orgs["alpha"]
    page = admin.get(f"/console/dashboard?organization={alpha}")
    assert page.status_code == 200
    assert "Dashboard · Alpha" in page.text
    _check_figures(page.text, world.seed, "alpha")
    assert "beta blast" not in page.text and "Beta&#39;s next blast" not in page.text
    assert "Election eve" in page.text  # the coalition's reminders reach Alpha's voters too
    assert "beta-list.csv" not in page.text
    assert admin.get("/console/dashboard?organization=99999").status_code == 404


def test_a_partner_sees_its_own_and_never_another(world: World) -> None:
    bo = world.sign_in("bo@beta.org")
    page = bo.get("/console/dashboard")
    assert page.status_code == 200
    assert "Dashboard · Beta" in page.text
    _check_figures(page.text, world.seed, "beta")
    assert 'id="dashboard-organization"' not in page.text
    assert "alpha blast" not in page.text and "Alpha&#39;s next blast" not in page.text
    assert "beta blast" in page.text and "beta-list.csv" in page.text
    assert "messages of “reminder” are in review" in page.text  # b1, beta's voter
    assert "catalog messages take more" not in page.text  # the operator's, not a partner's
    alpha = world.seed.orgs["alpha"]
    assert bo.get(f"/console/dashboard?organization={alpha}").status_code == 404
    assert bo.get(f"/console/dashboard/live?organization={alpha}").status_code == 404
    ana = world.sign_in("ana@alpha.org")
    text = ana.get("/console/dashboard").text
    _check_figures(text, world.seed, "alpha")
    assert "in review" not in text and "beta-list.csv" not in text


def test_a_viewer_reads_it_in_spanish(world: World) -> None:
    vic = world.sign_in("vic@alpha.org")
    page = vic.get("/console/dashboard")
    assert page.status_code == 200
    assert "Hoy y los últimos 7 días" in page.text and "Próximos envíos programados" in page.text
    _check_figures(
        page.text.replace("solicitudes abiertas de hablar con una persona", "open requests"),
        world.seed,
        "alpha",
    )


def test_missing_twilio_settings_are_a_warning(
    engine: Engine, settings: object, world: World
) -> None:
    from bot.app import create_app
    from bot.settings import Settings

    assert isinstance(settings, Settings)
    bare = settings.model_copy(
        update={"twilio_sms_from": None, "twilio_messaging_service_sid": None}
    )
    with TestClient(create_app(bare, engine)) as other:
        world.client = other
        admin = world.sign_in("admin@coalition.org")
        page = admin.get("/console/dashboard").text
    assert "Twilio is not set up" in page
    assert "TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID" in page
