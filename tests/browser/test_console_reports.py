"""The dashboard and the reports in a browser: a partner's voters text the bot (one asks for a
person, one opts out), one of its blasts went out; the partner's dashboard shows the figures
and the blast, the reports page draws every chart (each image loads) with its table, and a
coalition admin sees the organizations side by side. Every page is checked with axe-core;
TURNOUT_SCREENSHOTS=1 saves dashboard.png and reports.png in docs/console/."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect
from sqlalchemy import insert

from bot.clock import utcnow
from bot.tables import OUTBOX, SENDS
from tests.browser.conftest import ConsoleServer, check_a11y, screenshot, sign_in

CHARTS_LOADED = """() => {
  const charts = [...document.querySelectorAll('img.chart')];
  return charts.length > 0 && charts.every(i => i.complete && i.naturalWidth > 0);
}"""


def _partner_with_activity(server: ConsoleServer) -> tuple[int, str, int]:
    """A partner, its organizer, two voters who texted, and a blast that went out; the
    partner's id, the organizer's email and the blast's id."""
    org = server.organization()
    email = server.user(org, "organizer", name="Rita Reports")
    spanish, phone_es = server.voter(org, language="es")
    english, phone_en = server.voter(org, language="en")
    server.ask_for_a_person(phone_es, "¿Dónde voto?")
    for body in ("hello", "where do I vote", "90012", "STOP"):
        server.text(phone_en, body)
    now = utcnow()
    later = now + dt.timedelta(days=1)
    with server.engine.begin() as conn:
        blast = int(
            conn.execute(
                insert(SENDS)
                .values(
                    kind="blast",
                    organization_id=org,
                    name="Early voting starts",
                    status="done",
                    send_at=now,
                    started_at=now,
                    finished_at=now,
                    recipients=2,
                    texts={"en": "Early voting starts today", "es": "Hoy empieza el voto"},
                    created_at=now,
                    updated_at=now,
                )
                .returning(SENDS.c.id)
            ).scalar_one()
        )
        for contact, status, code in ((spanish, "delivered", None), (english, "failed", 30007)):
            conn.execute(
                insert(OUTBOX).values(
                    send_id=blast,
                    contact_id=contact,
                    language="en",
                    status=status,
                    error_code=code,
                    available_at=now,
                    sent_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        # One blast half sent (its last message waits until tomorrow), one scheduled.
        going = int(
            conn.execute(
                insert(SENDS)
                .values(
                    kind="blast",
                    organization_id=org,
                    name="Polls open at 7",
                    status="sending",
                    send_at=now,
                    started_at=now,
                    recipients=2,
                    texts={"en": "Polls open at 7"},
                    created_at=now,
                    updated_at=now,
                )
                .returning(SENDS.c.id)
            ).scalar_one()
        )
        for contact, status, at in ((spanish, "delivered", now), (english, "pending", later)):
            conn.execute(
                insert(OUTBOX).values(
                    send_id=going,
                    contact_id=contact,
                    language="en",
                    status=status,
                    available_at=at,
                    sent_at=now if status == "delivered" else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        conn.execute(
            insert(SENDS).values(
                kind="blast",
                organization_id=org,
                name="Ride to the polls",
                status="scheduled",
                send_at=later,
                texts={"en": "Need a ride?"},
                created_at=now,
                updated_at=now,
            )
        )
    return org, email, blast


def test_the_dashboard_and_the_reports_draw_their_figures(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    _org, email, _blast = _partner_with_activity(server)
    sign_in(page, server, email)
    page.goto(f"{server.url}/console/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    expect(page.locator('[data-figure="inbound-week"]')).to_have_text("7")  # the texts sent
    expect(page.locator("progress")).to_have_attribute("value", "1")
    expect(page.get_by_role("link", name="Polls open at 7")).to_be_visible()
    expect(page.get_by_role("link", name="Ride to the polls")).to_be_visible()
    expect(page.locator('[data-figure="opt-outs-week"]')).to_have_text("1")
    expect(page.locator('[data-figure="open-requests"]')).to_contain_text("1 open requests")
    check_a11y(page, "dashboard")
    # The live part refreshes itself (htmx, every 5 s): the next text shows up unreloaded.
    server.text(server.voter(_org, language="en")[1], "hello")
    expect(page.locator('[data-figure="inbound-week"]')).to_have_text("8")
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reports")
    page.wait_for_function(CHARTS_LOADED)
    charts = page.locator("img.chart")
    assert charts.count() >= 7  # reach, questions, languages, counties, handoffs, blasts ...
    for name in ("reach", "questions", "languages", "handoffs", "blasts", "deliveries", "failures"):
        table = page.locator(f'table[data-report="{name}"]')
        expect(table).to_be_visible()
        expect(page.locator(f'img[src^="/console/reports/charts/{name}.svg"]')).to_be_visible()
    expect(page.locator('table[data-report="blasts"]')).to_contain_text("Early voting starts")
    expect(page.locator('table[data-report="failures"]')).to_contain_text("30007")
    expect(page.locator('table[data-report="organizations"]')).to_have_count(0)
    expect(page.locator('[data-total="where_to_vote"]')).to_have_text("1")
    check_a11y(page, "reports")

    page.get_by_label("Period").select_option("30")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"days=30"))
    page.wait_for_function(CHARTS_LOADED)
    expect(page.locator('table[data-report="reach"] tbody tr')).to_have_count(30)


def test_a_coalition_admin_sees_the_organizations_side_by_side(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    _partner_with_activity(server)
    sign_in(page, server, server.admin_email)
    page.goto(f"{server.url}/console/reports")
    page.wait_for_function(CHARTS_LOADED)
    expect(page.locator('table[data-report="organizations"]')).to_contain_text("Whole coalition")
    expect(page.locator('img[src^="/console/reports/charts/organizations.svg"]')).to_be_visible()
    check_a11y(page, "reports (coalition)")
    screenshot(page, "reports")
    page.goto(f"{server.url}/console/dashboard")
    expect(page.get_by_label("Organization", exact=True)).to_be_visible()
    check_a11y(page, "dashboard (coalition)")
