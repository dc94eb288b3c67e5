"""The console's blasts on SQLite and PostgreSQL: the list, the composer's live counters
(GSM-7 against UCS-2) and live audience (recipients per language from the seeded lists, who
falls back to another language's text, who needs a WhatsApp template), scheduling now or at a
time in the organization's zone (stored in UTC), errors that store nothing, a blast's page with
its live progress, chart and tests, pause, resume and cancel, and the roles: another
organization's blast is a 404, a viewer reads only, every change is in the audit log."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from bot.clock import utcnow
from bot.sending import sends
from bot.sending.drafts import utc
from bot.tables import AUDIT_EVENTS, CONTACTS, ORGANIZATIONS, OUTBOX, SENDS
from tests.helpers.console import Person, make_user, person
from tests.helpers.partners import make_org
from tests.helpers.sending import add_contact

pytestmark = pytest.mark.db
ANA_PHONE = "+12135550150"
EN, ES, ZH = (
    "Early voting starts Saturday!",
    "¡El voto anticipado empieza el sábado!",
    "提前投票周六开始！",
)
PAGES = [
    "/console/blasts",
    "/console/blasts/new",
    "/console/blasts/1",
    "/console/blasts/1/progress",
    "/console/blasts/1/chart",
    "/console/blasts/1/chart.svg",
    "/console/blasts/1/chart.csv",
    "/console/blasts/1/cancel",
]


class World:
    """The coalition, two partners and their lists:
    Alpha: 3 English (one tagged volunteer), 2 Spanish (ZIP 90031), 1 Chinese, 1 Vietnamese,
    1 opted-out Spanish; Ana (an organizer, whose phone is on the list), Vic (a viewer),
    Noa (an organizer without a phone). Beta: 1 Korean; Bo (an organizer)."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        self.coalition, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, self.alpha_slug, _ = make_org(engine, "Alpha")
        self.beta, self.beta_slug, _ = make_org(engine, "Beta")
        make_user(engine, "admin@coalition.org", self.coalition, "admin")
        make_user(engine, "ana@alpha.org", self.alpha, "organizer", phone=ANA_PHONE)
        make_user(engine, "noa@alpha.org", self.alpha, "organizer")
        make_user(engine, "vic@alpha.org", self.alpha, "viewer")
        make_user(engine, "bo@beta.org", self.beta, "organizer")
        a = self.alpha
        add_contact(engine, ANA_PHONE, "en", [(a, "90012", ["volunteer"])])
        add_contact(engine, "+12135550101", "en", [(a, "90012", [])])
        add_contact(engine, "+12135550102", "en", [(a, "90012", [])])
        add_contact(engine, "+12135550103", "es", [(a, "90031", [])])
        add_contact(engine, "+12135550104", "es", [(a, "90031", [])])
        add_contact(engine, "+12135550105", "zh", [(a, "90012", [])])
        self.vi = add_contact(engine, "+12135550106", "vi", [(a, "90012", [])])
        add_contact(engine, "+12135550107", "es", [(a, "90031", [])], opted_out=True)
        add_contact(engine, "+12135550108", "ko", [(self.beta, "90012", [])])
        self.engine, self.client = engine, client

    def sign_in(self, email: str) -> Person:
        """A fresh browser (its own cookies) for this person."""
        self.client.cookies.clear()
        return person(self.client, self.engine, email)


@pytest.fixture
def world(engine: Engine, client: TestClient) -> World:
    return World(engine, client)


def form(**values: Any) -> dict[str, Any]:
    """The composer's fields: a name, texts in English, Spanish and Chinese, now."""
    base: dict[str, Any] = {
        "name": "Early voting",
        "mode": "texts",
        "text_en": EN,
        "text_es": ES,
        "text_zh": ZH,
        "when": "now",
    }
    base.update(values)
    return {k: v for k, v in base.items() if v is not None}


def plain(html: str) -> str:
    """A page's text, tags out and spaces folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def blast_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(SENDS)).scalar_one())


def audit_actions(engine: Engine) -> list[tuple[str, str | None]]:
    a = AUDIT_EVENTS.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.action, a.subject).where(a.action.like("blast.%")).order_by(a.id)
        )
        return [(str(x), s) for x, s in rows]


def create(p: Person, **values: Any) -> int:
    answer = p.post("/console/blasts", form(**values))
    assert answer.status_code == 303, plain(answer.text)[:800]
    found = re.fullmatch(r"/console/blasts/(\d+)", answer.headers["location"])
    assert found
    return int(found.group(1))


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_pages_send_you_to_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login?next=")


def test_the_composer_offers_every_language_a_catalog_message_and_the_zone(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/blasts/new")
    assert page.status_code == 200
    for code in ("en", "es", "zh", "zh-Hant", "vi", "ko"):
        assert f'name="text_{code}"' in page.text
        assert f'hx-post="/console/blasts/counter/{code}"' in page.text
        assert f'name="template_{code}"' in page.text
    assert '<option value="help.info">' in page.text
    assert "{# holdout #}" not in page.text  # a template comment, not shown
    text = plain(page.text)
    assert "America/Los_Angeles" in text
    assert "between 08:00 and 21:00" in text
    assert "organizations" not in re.findall(r'name="(\w+)"', page.text)  # a partner: own list
    assert "send a test to your phone (+1 ••• ••• 0150)" in text or "0150" in text


def test_the_admins_composer_chooses_organizations(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    page = admin.get("/console/blasts/new")
    assert f'name="organizations" value="{world.alpha_slug}"' in page.text
    assert f'name="organizations" value="{world.beta_slug}"' in page.text


def test_the_counter_counts_gsm7_and_ucs2_segments_with_the_opt_out_line(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    english = ana.post("/console/blasts/counter/en", {"text_en": "Polls are open until 8pm!"})
    assert english.status_code == 200
    text = plain(english.text)
    assert "1 SMS segment(s) · GSM-7" in text
    assert "with the opt-out line" in text
    found = re.search(r"(\d+) characters", text)
    assert found and int(found.group(1)) > len("Polls are open until 8pm!")  # the line added
    chinese = ana.post("/console/blasts/counter/zh", {"text_zh": "提前投票周六开始！" * 8})
    text = plain(chinese.text)
    assert "UCS-2" in text and "2 SMS segment(s)" in text
    assert "70 characters instead of 160" in text
    assert "about $0.0166 a message" in text  # 2 × TURNOUT_COST_PER_SEGMENT (0.0083)
    one_accent = ana.post("/console/blasts/counter/es", {"text_es": "Vote el sábado á"})
    assert "UCS-2" in plain(one_accent.text)
    empty = ana.post("/console/blasts/counter/es", {"text_es": "  "})
    assert plain(empty.text) == "Not written."
    too_long = ana.post("/console/blasts/counter/en", {"text_en": "x" * 1600})
    assert "Too long: at most 1600 characters." in plain(too_long.text)
    assert ana.post("/console/blasts/counter/xx", {}).status_code == 404


def test_the_preview_counts_recipients_per_language_and_says_who_falls_back(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    answer = ana.post("/console/blasts/preview", form())
    assert answer.status_code == 200
    text = plain(answer.text)
    assert "7 recipients" in text  # the opted-out voter and Beta's are not
    rows = dict(
        re.findall(r'<th scope="row"><span [^>]+>([^<]+)</span></th>\s*<td>(\d+)</td>', answer.text)
    )
    assert rows == {"English": "3", "Español": "2", "简体中文": "1", "Tiếng Việt": "1"}, rows
    assert "1 recipients speak Tiếng Việt, which has no text: they get the English text." in text
    assert "Reply STOP to opt out." in text  # the body as sent, the opt-out line included
    assert 'lang="zh"' in answer.text
    assert "Estimated cost: $" in text
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SENDS)).scalar_one() == 0


def test_the_audience_narrows_as_it_changes(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    by_zip = plain(ana.post("/console/blasts/preview", form(zips="90031")).text)
    assert "2 recipients" in by_zip
    by_tag = plain(ana.post("/console/blasts/preview", form(tags="Volunteer")).text)
    assert "1 recipients" in by_tag
    by_language = ana.post("/console/blasts/preview", {**form(), "languages": ["es", "zh"]})
    assert "3 recipients" in plain(by_language.text)
    by_county = plain(
        ana.post("/console/blasts/preview", form(counties="Los Angeles County, CA")).text
    )
    assert "7 recipients" in by_county
    bad = plain(ana.post("/console/blasts/preview", form(counties="Nowhere County")).text)
    assert "unknown county" in bad
    bad_zip = plain(ana.post("/console/blasts/preview", form(zips="9001")).text)
    assert "ZIP codes: five digits each (9001)." in bad_zip


def test_the_preview_warns_of_voters_without_any_text_and_of_whatsapp(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(CONTACTS)
            .where(CONTACTS.c.id == world.vi)
            .values(whatsapp_last_inbound_at=utcnow() - dt.timedelta(days=2))
        )
    ana = world.sign_in("ana@alpha.org")
    only_spanish = plain(ana.post("/console/blasts/preview", form(text_en=None, text_zh=None)).text)
    assert "there is no text for them, nor in English, so they will be skipped" in only_spanish
    assert "last wrote on WhatsApp more than 24 hours ago" in only_spanish
    with_template = {"template_vi": "HX" + "a" * 32}
    assert "last wrote on WhatsApp" not in plain(
        ana.post("/console/blasts/preview", form(**with_template)).text
    )
    nothing = plain(
        ana.post("/console/blasts/preview", form(text_en=None, text_es=None, text_zh=None)).text
    )
    assert "7 recipients" in nothing and "Write a text" in nothing


def test_the_admin_previews_another_organizations_list(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    beta = plain(admin.post("/console/blasts/preview", form(organizations=world.beta_slug)).text)
    assert "1 recipients" in beta and "한국어" in beta
    everyone = plain(admin.post("/console/blasts/preview", form()).text)
    assert "8 recipients" in everyone


def test_scheduling_now_stores_the_blast_and_audits_it(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    before = utcnow()
    blast_id = create(ana, zips="90012 90031", tags="")
    with world.engine.connect() as conn:
        row = conn.execute(select(SENDS).where(SENDS.c.id == blast_id)).one()
    assert row.kind == "blast" and row.status == "scheduled"
    assert row.organization_id == world.alpha
    assert row.texts == {"en": EN, "es": ES, "zh": ZH}
    assert row.audience["zips"] == ["90012", "90031"]
    assert row.audience["organizations"] == [world.alpha]
    send_at = utc(row.send_at)
    assert send_at is not None and before - dt.timedelta(seconds=1) <= send_at <= utcnow()
    assert audit_actions(world.engine) == [
        ("blast.create", f"blast:{blast_id}"),
        ("blast.schedule", f"blast:{blast_id}"),
    ]
    page = ana.get(f"/console/blasts/{blast_id}")
    assert page.status_code == 200
    text = plain(page.text)
    assert "Early voting" in text and EN in text and ZH in text
    assert 'lang="zh"' in page.text


def test_a_time_is_read_in_the_organizations_zone_and_stored_in_utc(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            update(ORGANIZATIONS)
            .where(ORGANIZATIONS.c.id == world.alpha)
            .values(timezone="America/New_York")
        )
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/blasts/new")
    assert "in America/New_York" in plain(page.text)
    zone = ZoneInfo("America/New_York")
    local = (utcnow().astimezone(zone) + dt.timedelta(days=10)).replace(
        hour=9, minute=30, second=0, microsecond=0, tzinfo=None
    )
    blast_id = create(ana, when="later", send_at=local.strftime("%Y-%m-%dT%H:%M"))
    with world.engine.connect() as conn:
        stored = conn.execute(select(SENDS.c.send_at).where(SENDS.c.id == blast_id)).scalar_one()
    assert utc(stored) == local.replace(tzinfo=zone).astimezone(dt.UTC)
    with world.engine.connect() as conn:
        detail = conn.execute(
            select(AUDIT_EVENTS.c.detail).where(AUDIT_EVENTS.c.action == "blast.schedule")
        ).scalar_one()
    assert detail["now"] is False
    shown = plain(ana.get(f"/console/blasts/{blast_id}").text)
    assert "America/New_York" in shown and "9:30" in shown


def test_errors_show_a_summary_keep_what_was_typed_and_store_nothing(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    answer = ana.post(
        "/console/blasts",
        form(name="", zips="9001", template_es="HX123", text_zh="提前投票 keep me"),
    )
    assert answer.status_code == 422
    text = plain(answer.text)
    assert "There is a problem" in text
    assert "Name: write one" in text
    assert "ZIP codes: five digits each (9001)." in text
    assert "WhatsApp template for Español" in text
    assert 'href="#zips"' in answer.text and 'href="#template-es"' in answer.text
    assert "提前投票 keep me" in answer.text  # what was typed stays
    past = ana.post("/console/blasts", form(when="later", send_at="2020-01-01T10:00"))
    assert past.status_code == 422 and "is in the past" in plain(past.text)
    bad_time = ana.post("/console/blasts", form(when="later", send_at="tomorrow"))
    assert bad_time.status_code == 422 and "When: choose a date and a time." in plain(bad_time.text)
    county = ana.post("/console/blasts", form(counties="Nowhere County"))
    assert county.status_code == 422 and "unknown county" in plain(county.text)
    nothing = ana.post("/console/blasts", form(text_en=None, text_es=None, text_zh=None))
    assert nothing.status_code == 422 and "Write a text in at least one language" in plain(
        nothing.text
    )
    no_key = ana.post("/console/blasts", form(mode="message"))
    assert no_key.status_code == 422 and "Catalog message" in plain(no_key.text)
    assert blast_count(world.engine) == 0
    assert audit_actions(world.engine) == []


def test_a_catalog_message_blast(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    preview = plain(
        ana.post("/console/blasts/preview", form(mode="message", message_key="help.info")).text
    )
    assert "7 recipients" in preview and "their own text" in preview
    blast_id = create(ana, mode="message", message_key="help.info")
    with world.engine.connect() as conn:
        row = conn.execute(select(SENDS).where(SENDS.c.id == blast_id)).one()
    assert row.message_key == "help.info" and row.texts is None


def test_a_partner_cannot_send_to_another_organizations_list(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    answer = ana.post("/console/blasts", form(organizations=world.beta_slug))
    assert answer.status_code == 403
    assert (
        ana.post("/console/blasts/preview", form(organizations=world.beta_slug)).status_code == 403
    )
    assert blast_count(world.engine) == 0


def test_changes_need_the_csrf_token(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    answer = ana.client.post("/console/blasts", data=form(), follow_redirects=False)
    assert answer.status_code == 403
    assert blast_count(world.engine) == 0


def test_the_list_shows_ones_own_blasts_and_the_admin_everyones(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    mine = create(ana, name="Alpha's blast")
    bo = world.sign_in("bo@beta.org")
    theirs = create(bo, name="Beta's blast", text_en="Hello Beta", text_es=None, text_zh=None)
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/blasts")
    assert page.status_code == 200
    assert f"/console/blasts/{mine}" in page.text and "Beta's blast" not in plain(page.text)
    assert "New blast" in page.text
    admin = world.sign_in("admin@coalition.org")
    everyone = admin.get("/console/blasts")
    assert f"/console/blasts/{mine}" in everyone.text
    assert f"/console/blasts/{theirs}" in everyone.text
    assert "Organization" in plain(everyone.text)
    assert f"/console/blasts/{mine}" in admin.get(f"/console/blasts/{mine}").text or True
    filtered = admin.get("/console/blasts?status=done")
    assert "No blasts yet." in plain(filtered.text)


def _started(engine: Engine, blast_id: int) -> list[int]:
    """Start the blast as the scheduler does; its outbox ids."""
    now = utcnow()
    with engine.begin() as conn:
        sends.start_send(conn, blast_id, default_language="en", now=now)
        return list(
            conn.execute(
                select(OUTBOX.c.id).where(OUTBOX.c.send_id == blast_id).order_by(OUTBOX.c.id)
            ).scalars()
        )


def _settle(engine: Engine, outbox_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == outbox_id).values(**values))


def test_the_blast_page_shows_live_progress_by_outcome(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(ana)
    page = ana.get(f"/console/blasts/{blast_id}")
    assert "Not started" in plain(page.text)
    assert "If it started now" in plain(page.text)
    ids = _started(world.engine, blast_id)
    assert len(ids) == 7
    now = utcnow()
    morning = now + dt.timedelta(hours=9)
    _settle(world.engine, ids[0], status="sent", sent_at=now)
    _settle(world.engine, ids[1], status="delivered", sent_at=now, updated_at=now)
    _settle(world.engine, ids[2], status="undelivered", error_code=30007, sent_at=now)
    _settle(world.engine, ids[3], status="skipped", reason="frequency_cap")
    _settle(world.engine, ids[4], status="deferred", reason="quiet_hours", available_at=morning)
    fragment = ana.get(f"/console/blasts/{blast_id}/progress")
    assert fragment.status_code == 200
    assert 'hx-trigger="every 2s"' in fragment.text
    text = plain(fragment.text)
    assert "Decided: 4 of 7" in text
    assert "Queued: 2" in text and "Deferred by quiet hours: 1" in text
    assert "Sent, no delivery report yet: 1" in text and "Delivered: 1" in text
    assert "Failed: 1" in text and "carrier filtering (30007): 1" in text
    assert "Skipped: 1" in text and "already got a blast in the last 24 hours: 1" in text
    assert "They go when quiet hours end" in text
    assert '<progress id="bar-decided" value="4" max="7">' in fragment.text
    assert f'action="/console/blasts/{blast_id}/pause"' in fragment.text  # steer it from here
    for outbox_id in ids[4:]:
        _settle(world.engine, outbox_id, status="delivered", sent_at=now, updated_at=now)
    with world.engine.begin() as conn:
        sends.finish_sends(conn, utcnow())
    done = ana.get(f"/console/blasts/{blast_id}/progress")
    assert "every 2s" not in done.text  # it stops asking
    assert "Done: every message has been decided." in plain(done.text)
    page = ana.get(f"/console/blasts/{blast_id}")
    assert f'src="/console/blasts/{blast_id}/chart.svg?at=7"' in page.text
    assert "Pause" not in plain(page.text)  # a done blast cannot be steered
    assert "every 10s" not in page.text


def test_the_chart_is_an_svg_with_its_numbers_as_a_table_and_csv(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(ana)
    empty = ana.get(f"/console/blasts/{blast_id}/chart.svg")
    assert empty.status_code == 200 and empty.headers["content-type"].startswith("image/svg+xml")
    ids = _started(world.engine, blast_id)
    now = utcnow()
    for outbox_id in ids[:3]:
        _settle(world.engine, outbox_id, status="delivered", sent_at=now, updated_at=now)
    _settle(world.engine, ids[3], status="sent", sent_at=now)
    svg = ana.get(f"/console/blasts/{blast_id}/chart.svg")
    assert "<svg" in svg.text and "Sends and deliveries over time" in svg.text
    csv = ana.get(f"/console/blasts/{blast_id}/chart.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "time_utc,sent,delivered"
    assert lines[-1].endswith(",4,3")
    page = plain(ana.get(f"/console/blasts/{blast_id}").text)
    assert "The chart's numbers" in page
    fragment = ana.get(f"/console/blasts/{blast_id}/chart")
    assert fragment.status_code == 200 and 'hx-trigger="every 10s"' in fragment.text
    assert "<td>4</td><td>3</td>" in fragment.text


def test_pause_resume_and_cancel_with_a_confirmation_and_audit(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(
        ana,
        when="later",
        send_at=(utcnow() + dt.timedelta(days=2))
        .astimezone(ZoneInfo("America/Los_Angeles"))
        .strftime("%Y-%m-%dT%H:%M"),
    )
    assert "Pause" in plain(ana.get(f"/console/blasts/{blast_id}").text)

    def status() -> str:
        with world.engine.connect() as conn:
            return str(
                conn.execute(select(SENDS.c.status).where(SENDS.c.id == blast_id)).scalar_one()
            )

    assert ana.post(f"/console/blasts/{blast_id}/pause").status_code == 303
    assert status() == "paused"
    assert "Resume" in plain(ana.get(f"/console/blasts/{blast_id}").text)
    again = ana.post(f"/console/blasts/{blast_id}/pause")
    assert again.status_code == 409 and "a paused send cannot be paused" in plain(again.text)
    assert ana.post(f"/console/blasts/{blast_id}/resume").status_code == 303
    assert status() == "scheduled"
    confirm = ana.get(f"/console/blasts/{blast_id}/cancel")
    assert confirm.status_code == 200 and 'name="confirm"' in confirm.text
    unconfirmed = ana.post(f"/console/blasts/{blast_id}/cancel")
    assert unconfirmed.status_code == 422
    assert "Tick the box to cancel the blast" in plain(unconfirmed.text)
    assert status() == "scheduled"
    assert ana.post(f"/console/blasts/{blast_id}/cancel", {"confirm": "yes"}).status_code == 303
    assert status() == "cancelled"
    assert "nothing to cancel" in plain(ana.get(f"/console/blasts/{blast_id}/cancel").text)
    subject = f"blast:{blast_id}"
    assert audit_actions(world.engine) == [
        ("blast.create", subject),
        ("blast.schedule", subject),
        ("blast.pause", subject),
        ("blast.resume", subject),
        ("blast.cancel", subject),
    ]


def test_a_test_goes_to_the_phone_in_ones_profile(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(ana)
    page = ana.get(f"/console/blasts/{blast_id}")
    assert "Send a test to my phone" in plain(page.text)
    answer = ana.post(f"/console/blasts/{blast_id}/test", {"language": "es"})
    assert answer.status_code == 303, plain(answer.text)[:500]
    with world.engine.connect() as conn:
        test = conn.execute(select(SENDS).where(SENDS.c.kind == "test")).one()
    assert test.parent_id == blast_id and test.audience["language"] == "es"
    assert ("blast.test", f"blast:{blast_id}") in audit_actions(world.engine)
    shown = plain(ana.get(f"/console/blasts/{blast_id}?tested=1").text)
    assert "Test queued" in shown and "0150" in shown and ANA_PHONE not in shown
    bad = ana.post(f"/console/blasts/{blast_id}/test", {"language": "xx"})
    assert bad.status_code == 422 and "unknown language" in plain(bad.text)


def test_without_a_phone_in_the_profile_the_page_says_where_to_add_one(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(ana)
    noa = world.sign_in("noa@alpha.org")
    page = noa.get(f"/console/blasts/{blast_id}")
    assert "you have none yet" in plain(page.text) and 'href="/console/profile"' in page.text
    assert "you have none yet" in plain(noa.get("/console/blasts/new").text)
    answer = noa.post(f"/console/blasts/{blast_id}/test", {})
    assert answer.status_code == 422 and "Add your phone to your profile" in plain(answer.text)
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).where(SENDS.c.kind == "test")).scalar_one() == 0


def test_a_partners_test_goes_only_to_its_own_contacts(world: World) -> None:
    make_user(world.engine, "eve@alpha.org", world.alpha, "organizer", phone="+12135550199")
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(ana)
    eve = world.sign_in("eve@alpha.org")
    answer = eve.post(f"/console/blasts/{blast_id}/test", {})
    assert answer.status_code == 422 and "this number is not on your list" in plain(answer.text)


def test_another_organizations_blast_is_not_found(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(ana)
    bo = world.sign_in("bo@beta.org")
    for path in ("", "/progress", "/chart", "/chart.svg", "/chart.csv", "/cancel"):
        answer = bo.get(f"/console/blasts/{blast_id}{path}")
        assert answer.status_code == 404, path
        assert "Early voting" not in answer.text and EN not in answer.text, path  # nothing shown
    for action in ("pause", "resume", "cancel", "test"):
        assert (
            bo.post(f"/console/blasts/{blast_id}/{action}", {"confirm": "yes"}).status_code == 404
        )
    assert _status(world, blast_id) == "scheduled"  # none of Bo's changes took
    assert bo.get("/console/blasts/999999").status_code == 404
    assert bo.get("/console/blasts/abc").status_code == 404
    admin = world.sign_in("admin@coalition.org")
    page = admin.get(f"/console/blasts/{blast_id}")
    assert page.status_code == 200 and "Early voting" in plain(page.text)
    assert admin.post(f"/console/blasts/{blast_id}/pause").status_code == 303
    assert _status(world, blast_id) == "paused"


def _status(world: World, blast_id: int) -> str:
    with world.engine.connect() as conn:
        return str(conn.execute(select(SENDS.c.status).where(SENDS.c.id == blast_id)).scalar_one())


def test_a_viewer_reads_but_changes_nothing(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    blast_id = create(ana)
    vic = world.sign_in("vic@alpha.org")
    listing = vic.get("/console/blasts")
    assert listing.status_code == 200 and "New blast" not in plain(listing.text)
    page = vic.get(f"/console/blasts/{blast_id}")
    assert page.status_code == 200 and "Pause" not in plain(page.text)
    assert vic.get(f"/console/blasts/{blast_id}/progress").status_code == 200
    assert vic.get("/console/blasts/new").status_code == 403
    assert vic.post("/console/blasts", form()).status_code == 403
    for action in ("pause", "resume", "cancel", "test"):
        assert (
            vic.post(f"/console/blasts/{blast_id}/{action}", {"confirm": "yes"}).status_code == 403
        )
    assert blast_count(world.engine) == 1
    assert [a for a, _ in audit_actions(world.engine)] == ["blast.create", "blast.schedule"]


def test_the_pages_read_in_spanish(world: World) -> None:
    make_user(world.engine, "lu@alpha.org", world.alpha, "organizer", ui_language="es")
    lu = world.sign_in("lu@alpha.org")
    assert "Nuevo envío" in plain(lu.get("/console/blasts/new").text)
    counter = plain(lu.post("/console/blasts/counter/en", {"text_en": "Vote!"}).text)
    assert "segmento" in counter


def test_the_composer_saves_a_blast_paused_and_sends_a_test_first(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/blasts/new")
    assert 'name="action" value="test"' in page.text
    answer = ana.post("/console/blasts", form(action="test"))
    assert answer.status_code == 303
    found = re.fullmatch(r"/console/blasts/(\d+)\?tested=1", answer.headers["location"])
    assert found
    blast_id = int(found.group(1))
    with world.engine.connect() as conn:
        status = conn.execute(select(SENDS.c.status).where(SENDS.c.id == blast_id)).scalar_one()
        test = conn.execute(select(SENDS).where(SENDS.c.kind == "test")).one()
    assert status == "paused" and test.parent_id == blast_id
    subject = f"blast:{blast_id}"
    assert audit_actions(world.engine) == [
        ("blast.create", subject),
        ("blast.schedule", subject),
        ("blast.pause", subject),
        ("blast.test", subject),
    ]
    shown = plain(ana.get(f"/console/blasts/{blast_id}?tested=1").text)
    assert "Test queued" in shown and "Resume" in shown


def test_a_test_first_that_cannot_go_stores_nothing(world: World) -> None:
    make_user(world.engine, "eve@alpha.org", world.alpha, "organizer", phone="+12135550199")
    eve = world.sign_in("eve@alpha.org")
    answer = eve.post("/console/blasts", form(action="test"))
    assert answer.status_code == 422
    text = plain(answer.text)
    assert "There is a problem" in text and "this number is not on your list" in text
    assert 'href="#test-first"' in answer.text
    assert ES in answer.text  # what was typed stays
    noa = world.sign_in("noa@alpha.org")
    assert 'name="action" value="test"' not in noa.get("/console/blasts/new").text
    no_phone = noa.post("/console/blasts", form(action="test"))
    assert no_phone.status_code == 422 and "Add your phone to your profile" in plain(no_phone.text)
    assert blast_count(world.engine) == 0
    assert audit_actions(world.engine) == []
