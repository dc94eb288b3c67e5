"""The console's reports on SQLite and PostgreSQL: the page with a table per chart, each chart
as an SVG of its own, each table as CSV (formula-safe), for a coalition admin (the coalition
side by side, or one organization) and a partner (its own only; another's is a 404)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, update

from bot.clock import utcnow
from bot.console.reports import LABELS, WORDS
from bot.console.web import catalog
from bot.tables import INBOUND, SENDS
from tests.helpers.reports import SeededWorld

pytestmark = pytest.mark.db
CHARTS = (
    "reach",
    "questions",
    "languages",
    "organizations",
    "counties",
    "handoffs",
    "blasts",
    "deliveries",
    "failures",
)


class World(SeededWorld):
    """The seeded coalition and its people."""


@pytest.fixture
def world(engine: Engine, client: TestClient) -> World:
    return World(engine, client)


def _totals(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-total="(\w+)">(\d+)<', html) if k != "median"}


def _csv(answer: object) -> list[list[str]]:
    text = getattr(answer, "text", "")
    return list(csv.reader(io.StringIO(text)))


def test_signed_out_people_are_sent_to_sign_in(world: World) -> None:
    world.client.cookies.clear()
    for path in (
        "/console/reports",
        "/console/reports/charts/reach.svg",
        "/console/reports/reach.csv",
    ):
        answer = world.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and "/console/login" in answer.headers["location"]


def test_the_admin_sees_the_coalition_side_by_side(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    page = admin.get("/console/reports")
    assert page.status_code == 200, page.text
    assert 'aria-current="page">Reports' in page.text
    totals = _totals(page.text)
    for metric in LABELS:
        assert totals[metric] == world.seed.expect(metric), metric
    for name in CHARTS:
        assert f'src="/console/reports/charts/{name}.svg?days=7"' in page.text, name
        assert f'data-report="{name}"' in page.text
        assert f'href="/console/reports/{name}.csv?days=7"' in page.text
    # Each organization's row, and the coalition's.
    rows = _csv(admin.get("/console/reports/organizations.csv"))
    assert rows[0][0] == "Organization" and rows[-1][0] == "Whole coalition"
    by_name = {r[0]: r for r in rows[1:]}
    texters = rows[0].index(LABELS["texters"])
    for slug in ("alpha", "beta", "coalition"):
        assert int(by_name[slug.title()][texters]) == world.seed.expect("texters", slug)
    assert int(by_name["Whole coalition"][texters]) == world.seed.expect("texters")
    assert 'id="report-organization"' in page.text  # the admin's choice of organization


def test_every_chart_is_an_svg_of_its_own(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    for name in CHARTS:
        answer = admin.get(f"/console/reports/charts/{name}.svg?days=30")
        assert answer.status_code == 200, (name, answer.text[:300])
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert "<svg" in answer.text and "<script" not in answer.text
    assert admin.get("/console/reports/charts/nothing.svg").status_code == 404
    assert admin.get("/console/reports/nothing.csv").status_code == 404


def test_csv_numbers_match_the_page_and_are_formula_safe(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(SENDS)
            .where(SENDS.c.id == world.seed.sends["alpha blast"])
            .values(name='=HYPERLINK("http://evil.example","x")')
        )
    admin = world.sign_in("admin@coalition.org")
    answer = admin.get("/console/reports/reach.csv?days=30")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = _csv(answer)
    assert rows[0] == ["Day", *(LABELS[m] for m in ("inbound", "texters", "answered"))]
    assert len(rows) == 31
    assert sum(int(r[1]) for r in rows[1:]) == world.seed.expect("inbound", days=30)
    blasts = _csv(admin.get("/console/reports/blasts.csv"))
    names = [r[0] for r in blasts[1:]]
    assert '\'=HYPERLINK("http://evil.example","x")' in names
    assert not any(n.startswith("=") for n in names)
    page = admin.get("/console/reports").text
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in page  # escaped on the page


def test_the_admin_can_look_at_one_organization(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    beta = world.seed.orgs["beta"]
    page = admin.get(f"/console/reports?organization={beta}&days=30")
    assert page.status_code == 200
    assert "Reports · Beta" in page.text
    totals = _totals(page.text)
    for metric in LABELS:
        assert totals[metric] == world.seed.expect(metric, "beta", days=30), metric
    assert f"charts/reach.svg?days=30&amp;organization={beta}" in page.text
    assert 'data-report="organizations"' not in page.text  # side by side: the coalition's only
    assert (
        admin.get(f"/console/reports/charts/organizations.svg?organization={beta}").status_code
        == 404
    )
    assert admin.get("/console/reports?organization=99999").status_code == 404


def test_a_partner_sees_its_own_and_never_another(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/reports")
    assert page.status_code == 200
    assert "Reports · Alpha" in page.text
    assert 'id="report-organization"' not in page.text
    assert 'data-report="organizations"' not in page.text
    totals = _totals(page.text)
    for metric in LABELS:
        assert totals[metric] == world.seed.expect(metric, "alpha"), metric
    beta = world.seed.orgs["beta"]
    for path in (
        f"/console/reports?organization={beta}",
        f"/console/reports/charts/reach.svg?organization={beta}",
        f"/console/reports/reach.csv?organization={beta}",
    ):
        assert ana.get(path).status_code == 404, path
    assert "Beta" not in page.text and "beta blast" not in page.text
    rows = _csv(ana.get("/console/reports/blasts.csv"))
    assert [r[0] for r in rows[1:]] == ["alpha blast"]
    bo = world.sign_in("bo@beta.org")
    assert _totals(bo.get("/console/reports").text)["inbound"] == world.seed.expect(
        "inbound", "beta"
    )


def test_a_viewer_reads_the_reports_in_spanish(world: World) -> None:
    vic = world.sign_in("vic@alpha.org")
    page = vic.get("/console/reports?days=90")
    assert page.status_code == 200
    assert "Alcance por día" in page.text and "Descargar como CSV" in page.text
    assert '<option value="90" selected>' in page.text
    svg = vic.get("/console/reports/charts/reach.svg?days=90").text
    assert "Alcance por día" in svg
    assert _csv(vic.get("/console/reports/reach.csv"))[0][0] == "Día"


def test_the_charts_draw_the_numbers_of_the_page_just_shown(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    before = _totals(admin.get("/console/reports").text)["inbound"]
    with world.engine.begin() as conn:
        conn.execute(
            insert(INBOUND).values(
                message_sid="SM" + "f" * 32,
                contact_id=world.seed.contacts["u"],
                channel="sms",
                to_address="+15005550006",
                body="hi",
                received_at=utcnow(),
            )
        )
    rows = _csv(admin.get("/console/reports/reach.csv"))
    assert sum(int(r[1]) for r in rows[1:]) == before  # the page's report, reused
    assert _totals(admin.get("/console/reports").text)["inbound"] == before + 1  # the page: afresh


def test_odd_parameters_fall_back(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    for query in (
        "days=abc",
        "days=%C2%B2",
        "days=%D9%A3%D9%A0",
        "days=9999",
        "days=-1",
        "organization=abc",
        "organization=%00",
    ):
        page = admin.get(f"/console/reports?{query}")
        assert page.status_code == 200, query
        assert '<option value="7" selected>' in page.text


def test_every_python_label_has_a_spanish_translation() -> None:
    spanish = catalog("es").strings
    missing = [s for s in (*LABELS.values(), *WORDS) if s not in spanish]
    assert not missing
