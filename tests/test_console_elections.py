"""The console's elections pages on SQLite and PostgreSQL: the list, defining and editing an
election (its errors summarized), its reminder plan as a timeline on the election's clock with
reach counts from the contacts who said YES, moving, rewording, pausing, resuming and
cancelling a step, the audit rows, and who may do what (partners and viewers read only)."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bot.clock import utcnow
from bot.tables import AUDIT_EVENTS, ELECTIONS, SENDS
from bot.voter.elections import save_election
from tests.helpers.console import Person, make_user, person
from tests.helpers.partners import make_org
from tests.helpers.sending import add_contact

pytestmark = pytest.mark.db
# Four months ahead: every step of the plan is still to come, and within the year a step
# may be moved to.
DAY = utcnow().date() + dt.timedelta(days=120)
EVE = DAY - dt.timedelta(days=1)
FORM = {
    "name": "General Election",
    "date": DAY.isoformat(),
    "state": "California",
    "counties": "Los Angeles, Orange",
    "polls_open": "07:00",
    "polls_close": "20:00",
    "timezone": "America/New_York",
    "registration_deadline": (DAY - dt.timedelta(days=15)).isoformat(),
    "same_day_registration": "yes",
    "same_day_where": "any vote center",
    "early_voting_start": (DAY - dt.timedelta(days=10)).isoformat(),
    "early_voting_end": EVE.isoformat(),
    "office_name": "County Registrar",
    "office_phone": "800-815-2666",
    "link-registration_lookup-default": "https://voterstatus.sos.ca.gov/",
    "link-registration_lookup-es": "https://voterstatus.sos.ca.gov/es",
}


class World:
    """The coalition (an admin, a viewer), a partner (an organizer), contacts for reminders."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        self.coalition, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, _, _ = make_org(engine, "Alpha")
        make_user(engine, "admin@coalition.org", self.coalition, "admin")
        make_user(engine, "vic@coalition.org", self.coalition, "viewer")
        make_user(engine, "ana@alpha.org", self.alpha, "organizer")
        # Reminders reach those who said YES and did not opt out, one message however many
        # lists they are on.
        lists: list[tuple[int, str, list[str]]] = [(self.alpha, "90012", [])]
        add_contact(engine, "+12135550101", "es", lists, reminders=True)
        add_contact(engine, "+12135550102", "es", lists, reminders=True)
        add_contact(engine, "+12135550103", "en", lists, reminders=True)
        add_contact(engine, "+12135550104", "zh", lists, reminders=False)
        add_contact(engine, "+12135550105", "en", lists, reminders=True, opted_out=True)
        self.engine, self.client = engine, client

    def sign_in(self, email: str) -> Person:
        self.client.cookies.clear()
        return person(self.client, self.engine, email)

    def define(self, admin: Person, **changes: str) -> int:
        answer = admin.post("/console/elections/new", {**FORM, **changes})
        assert answer.status_code == 303, answer.text[:2000]
        found = re.search(r"/console/elections/(\d+)", answer.headers["location"])
        assert found
        return int(found.group(1))

    def steps(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(SENDS).where(SENDS.c.kind == "reminder")).all()
        return {row.reminder: row for row in rows}

    def audit(self, action: str) -> list[Any]:
        with self.engine.connect() as conn:
            query = select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action)
            return list(conn.execute(query.order_by(AUDIT_EVENTS.c.id)))


@pytest.fixture
def world(engine: Engine, client: TestClient) -> World:
    return World(engine, client)


def _abbr(day: dt.date, hour: int, zone: str) -> str:
    """The zone's abbreviation on that day (daylight time or not)."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone)).tzname() or ""


def _text(page: Any) -> str:
    """A page's text without tags, entities decoded and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def test_signed_out_goes_to_the_sign_in(world: World) -> None:
    world.client.cookies.clear()
    for path in ("/console/elections", "/console/elections/new", "/console/elections/1"):
        answer = world.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and "/console/login" in answer.headers["location"]


def test_an_admin_defines_an_election_and_sees_its_plan(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    form = admin.get("/console/elections/new")
    assert form.status_code == 200 and 'for="link-registration_lookup-es"' in form.text
    election_id = world.define(admin)
    with world.engine.connect() as conn:
        row = conn.execute(select(ELECTIONS).where(ELECTIONS.c.id == election_id)).one()
    assert (row.source, row.state, row.counties) == ("console", "CA", ["Los Angeles", "Orange"])
    assert row.polls_close == dt.time(20, 0) and row.same_day_registration is True
    assert row.links == {
        "registration_lookup": {
            "default": "https://voterstatus.sos.ca.gov/",
            "es": "https://voterstatus.sos.ca.gov/es",
        }
    }
    steps = world.steps()
    assert sorted(steps) == ["closing", "early_voting", "eve", "morning", "registration_deadline"]
    [made] = world.audit("election.create")
    assert made.subject == f"election:{election_id}" and made.detail["planned"] == 5

    listed = _text(admin.get("/console/elections"))
    assert "General Election" in listed and DAY.isoformat() in listed
    plan = admin.get(f"/console/elections/{election_id}")
    assert plan.status_code == 200
    text = _text(plan)
    # Times on the election's clock (New York), not the coalition's (Los Angeles).
    assert "Times in America/New_York" in text
    eve, ny = EVE, "America/New_York"
    assert f"{eve.strftime('%b %-d, %Y')}, 5:00 PM {_abbr(eve, 17, ny)}" in text
    closing = f"{DAY.strftime('%b %-d, %Y')}, 6:00 PM {_abbr(DAY, 18, ny)}"
    assert closing in text  # 2 hours before the polls close at 20:00
    # Reach: three said YES and did not opt out; two of them in Spanish.
    assert "Will reach 3 voters if it went now" in text
    step = re.search(r'<li id="step-(\d+)" class="step status-scheduled">.*?</li>', plan.text, re.S)
    assert step is not None
    cells = re.findall(r"<td>([\d,]+)</td>", step.group(0))
    assert cells[:3] == ["1", "2", "0"]  # en, es, zh (the zh contact did not say YES)
    # Each language's text as the dispatcher renders it, the election's facts filled in.
    assert 'lang="es" dir="ltr"' in plan.text
    assert "General Election" in text and 'value="' in plan.text


def test_times_move_with_the_zone_of_the_election(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    election_id = world.define(admin, timezone="")  # the coalition's: Los Angeles
    text = _text(admin.get(f"/console/elections/{election_id}"))
    assert "Times in America/Los_Angeles" in text
    eve = EVE
    la = _abbr(eve, 17, "America/Los_Angeles")
    assert f"{eve.strftime('%b %-d, %Y')}, 5:00 PM {la}" in text
    eve = world.steps()["eve"]
    local = eve.send_at.replace(tzinfo=eve.send_at.tzinfo or dt.UTC)
    assert local.astimezone(ZoneInfo("America/Los_Angeles")).hour == 17


def test_the_form_says_what_is_wrong(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    bad = {
        "date": "2026-02-30",
        "timezone": "Pacific/Nowhere",
        "state": "Atlantis",
        "link-ballot_tracking-default": "not a link",
    }
    answer = admin.post("/console/elections/new", {**FORM, **bad})
    assert answer.status_code == 422
    assert 'id="error-summary"' in answer.text and 'href="#state"' in answer.text
    assert "is not a US state" in _text(answer)
    answer = admin.post("/console/elections/new", {**FORM, **bad, "state": "CA"})
    assert answer.status_code == 422
    for field in ("date", "timezone", "link-ballot_tracking-default"):
        assert f'href="#{field}"' in answer.text, field
    assert 'id="timezone" name="timezone" list="zones" value="Pacific/Nowhere"' in answer.text
    order = {**FORM, "polls_open": "21:00"}
    answer = admin.post("/console/elections/new", order)
    assert answer.status_code == 422 and 'href="#polls_open"' in answer.text
    assert "must open before they close" in answer.text
    missing = admin.post("/console/elections/new", {**FORM, "name": "", "date": ""})
    assert missing.status_code == 422 and 'href="#name"' in missing.text
    with world.engine.connect() as conn:
        assert conn.execute(select(ELECTIONS)).first() is None  # nothing was written


def test_editing_moves_the_plan(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    election_id = world.define(admin)
    form = admin.get(f"/console/elections/{election_id}/edit")
    assert 'value="General Election"' in form.text and 'value="20:00"' in form.text
    assert 'value="https://voterstatus.sos.ca.gov/es"' in form.text
    before = world.steps()["closing"].send_at
    answer = admin.post(f"/console/elections/{election_id}/edit", {**FORM, "polls_close": "21:00"})
    assert answer.status_code == 303
    after = world.steps()["closing"].send_at
    assert after - before == dt.timedelta(hours=1)
    [changed] = world.audit("election.update")
    assert changed.subject == f"election:{election_id}"
    # A new date: the old day's steps are cancelled, the new day's planned.
    later = (DAY + dt.timedelta(days=7)).isoformat()
    answer = admin.post(f"/console/elections/{election_id}/edit", {**FORM, "date": later})
    assert answer.status_code == 303
    with world.engine.connect() as conn:
        rows = conn.execute(select(SENDS.c.election_date, SENDS.c.status)).all()
    old = {status for day, status in rows if day == DAY}
    new = {status for day, status in rows if day == DAY + dt.timedelta(days=7)}
    assert old == {"cancelled"} and new == {"scheduled"}


def test_editing_a_feeds_election_keeps_the_feed(world: World) -> None:
    with world.engine.begin() as conn:
        feed_id = save_election(
            conn,
            values={"name": "General Election", "date": DAY, "state": "CA"},
            source="MARICOPA (VIP 04013)",
            now=utcnow(),
        )
    admin = world.sign_in("admin@coalition.org")
    answer = admin.post(f"/console/elections/{feed_id}/edit", {**FORM, "polls_close": "19:00"})
    assert answer.status_code == 303
    with world.engine.connect() as conn:
        rows = conn.execute(select(ELECTIONS.c.id, ELECTIONS.c.source)).all()
    assert sorted(source for _, source in rows) == ["MARICOPA (VIP 04013)", "console"]
    console_id = next(i for i, source in rows if source == "console")
    assert answer.headers["location"].startswith(f"/console/elections/{console_id}?")


def _step_id(world: World, key: str) -> int:
    return int(world.steps()[key].id)


def test_an_admin_moves_a_step_on_the_elections_clock(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    election_id = world.define(admin)
    eve = _step_id(world, "eve")
    at = f"{EVE.isoformat()}T18:30"
    answer = admin.post(f"/console/elections/{election_id}/reminders/{eve}/move", {"send_at": at})
    assert answer.status_code == 303 and answer.headers["location"].endswith(f"#step-{eve}")
    row = world.steps()["eve"]
    moved = row.send_at.replace(tzinfo=row.send_at.tzinfo or dt.UTC)
    assert moved.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "18:30"
    assert row.edited is True
    [audited] = world.audit("reminder.move")
    assert audited.subject == f"reminder:{eve}" and audited.detail["zone"] == "America/New_York"
    page = _text(admin.get(f"/console/elections/{election_id}"))
    assert f"6:30 PM {_abbr(EVE, 18, 'America/New_York')}" in page
    assert "moved" in page
    # After its expiry (polls opening): refused, said at the top of the page.
    late = admin.post(
        f"/console/elections/{election_id}/reminders/{eve}/move",
        {"send_at": f"{DAY.isoformat()}T09:00"},
    )
    assert late.status_code == 422 and f'href="#send-at-{eve}"' in late.text
    assert "not worth sending after" in late.text
    nonsense = admin.post(
        f"/console/elections/{election_id}/reminders/{eve}/move", {"send_at": "soon"}
    )
    assert nonsense.status_code == 422 and "give a date and a time" in nonsense.text


def test_an_admin_rewords_pauses_resumes_and_cancels(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    election_id = world.define(admin)
    morning = _step_id(world, "morning")
    base = f"/console/elections/{election_id}/reminders/{morning}"
    answer = admin.post(f"{base}/reword", {"text-es": "¡Hoy se vota! Reply STOP to opt out."})
    assert answer.status_code == 303
    assert world.steps()["morning"].texts == {"es": "¡Hoy se vota! Reply STOP to opt out."}
    page = admin.get(f"/console/elections/{election_id}")
    assert "¡Hoy se vota!" in page.text and "own text" in page.text
    assert admin.post(f"{base}/reword", {}).status_code == 303  # back to the catalog message
    assert world.steps()["morning"].texts is None
    bad = admin.post(f"{base}/reword", {"text-xx": "ignored", "text-en": "a\x00b"})
    assert bad.status_code == 422
    assert admin.post(f"{base}/pause").status_code == 303
    assert world.steps()["morning"].status == "paused"
    assert "Resume" in admin.get(f"/console/elections/{election_id}").text
    again = admin.post(f"{base}/pause")
    assert again.status_code == 409 and "cannot be paused" in again.text
    assert admin.post(f"{base}/resume").status_code == 303
    assert world.steps()["morning"].status == "scheduled"
    assert admin.post(f"{base}/cancel").status_code == 303
    assert world.steps()["morning"].status == "cancelled"
    assert [e.subject for e in world.audit("reminder.reword")] == [f"reminder:{morning}"] * 2
    for action in ("pause", "resume", "cancel"):
        assert [e.subject for e in world.audit(f"reminder.{action}")] == [f"reminder:{morning}"]
    assert admin.post(f"{base}/explode").status_code == 404


@pytest.mark.parametrize("email", ["ana@alpha.org", "vic@coalition.org"])
def test_partners_and_viewers_read_but_change_nothing(world: World, email: str) -> None:
    admin = world.sign_in("admin@coalition.org")
    election_id = world.define(admin)
    eve = _step_id(world, "eve")
    other = world.sign_in(email)
    listed = other.get("/console/elections")
    assert listed.status_code == 200 and "General Election" in listed.text
    assert "/console/elections/new" not in listed.text
    plan = other.get(f"/console/elections/{election_id}")
    assert plan.status_code == 200 and "Will reach 3 voters" in _text(plan)
    assert "/move" not in plan.text and "/edit" not in plan.text
    assert other.get("/console/elections/new").status_code == 403
    assert other.get(f"/console/elections/{election_id}/edit").status_code == 403
    base = f"/console/elections/{election_id}"
    changes = [
        ("/console/elections/new", FORM),
        (f"{base}/edit", FORM),
        (f"{base}/reminders/{eve}/move", {"send_at": f"{EVE.isoformat()}T18:30"}),
        (f"{base}/reminders/{eve}/reword", {"text-en": "Hi"}),
        (f"{base}/reminders/{eve}/pause", {}),
        (f"{base}/reminders/{eve}/cancel", {}),
    ]
    for path, data in changes:
        assert other.post(path, data).status_code == 403, path
    assert world.steps()["eve"].status == "scheduled" and not world.steps()["eve"].edited


def test_missing_things_are_404_and_forms_need_their_token(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    election_id = world.define(admin)
    for path in ("/console/elections/999", "/console/elections/abc", "/console/elections/999/edit"):
        assert admin.get(path).status_code == 404, path
    eve = _step_id(world, "eve")
    assert admin.post(f"/console/elections/{election_id}/reminders/9999/pause").status_code == 404
    # A step of another election's plan is not this election's.
    other = world.define(
        admin, name="Special Election", date=(DAY + dt.timedelta(days=28)).isoformat()
    )
    assert admin.post(f"/console/elections/{other}/reminders/{eve}/pause").status_code == 404
    no_token = admin.client.post(
        f"/console/elections/{election_id}/reminders/{eve}/pause",
        data={},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    assert world.steps()["eve"].status == "scheduled"


def test_the_pages_in_spanish(world: World, engine: Engine) -> None:
    make_user(engine, "eva@coalition.org", world.coalition, "admin", ui_language="es")
    admin = world.sign_in("eva@coalition.org")
    election_id = world.define(admin)
    text = _text(admin.get(f"/console/elections/{election_id}"))
    assert "Plan de recordatorios" in text and "America/New_York" in text
    assert "17:00" in text  # the eve, on a 24-hour clock
