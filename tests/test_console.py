"""The organizer console's routes on SQLite and PostgreSQL: signing in and out, invitations,
roles, CSRF, the inbox and a conversation, a person's reply through the outbox, closing a
request, and what another organization's people can never see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from bot.access import Caller, Role
from bot.accounts import sessions, users
from bot.clock import utcnow
from bot.sending import replies
from bot.settings import Settings
from bot.tables import (
    AUDIT_EVENTS,
    CONSOLE_SESSIONS,
    CONTACTS,
    HANDOFFS,
    OUTBOUND,
    OUTBOX,
    SENDS,
    SIGN_IN_FAILURES,
    USERS,
)
from tests.helpers.console import (
    PASSWORD,
    Person,
    ask_for_a_person,
    make_user,
    person,
    sign_in,
    staffed,
)
from tests.helpers.partners import make_org
from tests.helpers.sending import add_contact
from tests.helpers.webhook import Signer, bodies, fields

pytestmark = pytest.mark.db
VOTER, OTHER = "+12135550170", "+12135550171"
PAGES = [
    "/console/inbox",
    "/console/inbox/rows",
    "/console/conversations/1",
    "/console/conversations/1/thread",
    "/console/people",
    "/console/profile",
]


class World:
    """The coalition, two partners, a voter on Alpha's list who asked for a person."""

    def __init__(self, engine: Engine, client: TestClient, post_signed: Signer) -> None:
        self.coalition, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, _, _ = make_org(engine, "Alpha")
        self.beta, _, _ = make_org(engine, "Beta")
        staffed(engine, self.alpha, always=True)
        make_user(engine, "admin@coalition.org", self.coalition, "admin")
        make_user(engine, "ana@alpha.org", self.alpha, "organizer", speaks=["es"], name="Ana")
        make_user(engine, "vic@alpha.org", self.alpha, "viewer")
        make_user(engine, "bo@beta.org", self.beta, "organizer")
        self.voter = add_contact(engine, VOTER, "es", [(self.alpha, "90012", [])])
        ask_for_a_person(post_signed, VOTER, "¿Me pueden llevar a votar?")
        self.engine, self.client = engine, client

    def sign_in(self, email: str) -> Person:
        """A fresh browser (its own cookies) for this person."""
        self.client.cookies.clear()
        return person(self.client, self.engine, email)


@pytest.fixture
def world(engine: Engine, client: TestClient, post_signed: Signer) -> World:
    return World(engine, client, post_signed)


def _requests(engine: Engine) -> list[tuple[int, str, str | None]]:
    h = HANDOFFS.c
    with engine.connect() as conn:
        return [
            (int(r.contact_id), r.status, r.close_reason)
            for r in conn.execute(select(HANDOFFS).order_by(h.id))
        ]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_pages_send_you_to_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login?next=%2Fconsole%2F")
    htmx = client.get(path, headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/console/login")


def test_the_root_and_the_console_lead_to_the_dashboard(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/console"
    assert (
        client.get("/console", follow_redirects=False).headers["location"] == "/console/dashboard"
    )


def test_sign_in_sets_a_server_side_session_cookie(world: World, engine: Engine) -> None:
    answer = sign_in(world.client, "ana@alpha.org")
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/dashboard")
    cookie = answer.headers["set-cookie"]
    assert "turnout_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is not https here
    token = re.search(r"turnout_session=([^;]+)", cookie)
    assert token is not None
    with engine.connect() as conn:
        stored = conn.execute(select(CONSOLE_SESSIONS.c.token_hash)).scalars().all()
    assert stored == [users.digest(token.group(1))]  # the row keeps only the token's hash
    page = world.client.get("/console/inbox")
    assert page.status_code == 200 and "Voters who asked for a person" in page.text


def test_a_wrong_password_is_refused_and_counted(world: World, engine: Engine) -> None:
    answer = sign_in(world.client, "ana@alpha.org", "not the password at all")
    assert answer.status_code == 401 and "Wrong email or password." in answer.text
    unknown = sign_in(world.client, "nobody@alpha.org", "not the password at all")
    assert unknown.status_code == 401 and "Wrong email or password." in unknown.text
    assert "turnout_session" not in answer.headers.get("set-cookie", "")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SIGN_IN_FAILURES)).scalar() == 2


def test_repeated_failures_lock_the_account_and_say_for_how_long(world: World) -> None:
    with world.engine.begin() as conn:  # nine failures already, as if from a guesser
        conn.execute(
            SIGN_IN_FAILURES.insert(),
            [
                {"email": "ana@alpha.org", "address": "10.0.0.9", "at": utcnow()}
                for _ in range(sessions.ACCOUNT_LIMIT - 1)
            ],
        )
    assert sign_in(world.client, "ana@alpha.org", "still not it, sorry").status_code == 401
    refused = sign_in(world.client, "ana@alpha.org")  # even the right password, for now
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this account. Try again in 15 minutes" in refused.text
    assert sign_in(world.client, "bo@beta.org").status_code == 303  # another account is fine


def test_an_invitation_sets_a_password_once(world: World, engine: Engine) -> None:
    with engine.begin() as conn:
        made = users.invite(
            conn,
            caller=Caller(organization_id=world.coalition, role=Role.ADMIN),
            email="New.Person@Alpha.org",
            organization_id=world.alpha,
            role="organizer",
            now=utcnow(),
        )
    link = f"/console/invite/{made.token}"
    form = world.client.get(link)
    assert form.status_code == 200 and "new.person@alpha.org" in form.text
    short = world.client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    done = world.client.post(
        link,
        data={"password": PASSWORD, "confirm": PASSWORD, "name": "Newt"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/console/dashboard")
    assert world.client.get("/console/inbox").status_code == 200  # signed in at once
    again = world.client.get(link)
    assert again.status_code == 404 and "does not work any more" in again.text
    world.client.cookies.clear()
    assert sign_in(world.client, "new.person@alpha.org").status_code == 303


def test_an_invitation_expires_after_72_hours(world: World, engine: Engine) -> None:
    admin = Caller(organization_id=world.coalition, role=Role.ADMIN)
    old = utcnow() - dt.timedelta(hours=73)
    with engine.begin() as conn:
        made = users.invite(
            conn,
            caller=admin,
            email="late@alpha.org",
            organization_id=world.alpha,
            role="viewer",
            now=old,
        )
    assert world.client.get(f"/console/invite/{made.token}").status_code == 404


def test_the_voters_request_is_in_its_organizations_inbox_only(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/inbox")
    assert page.status_code == 200
    assert f'href="/console/conversations/{world.voter}"' in page.text
    assert "¿Me pueden llevar a votar?" in page.text and 'lang="es"' in page.text
    bo = world.sign_in("bo@beta.org")
    other = bo.get("/console/inbox?filtered=1")
    assert f"/console/conversations/{world.voter}" not in other.text
    # Another organization's voter is answered exactly like one that does not exist.
    hidden = bo.get(f"/console/conversations/{world.voter}")
    missing = bo.get("/console/conversations/999999")
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.text == missing.text
    for path in ("thread", "reply", "assign", "close"):
        method = bo.get if path == "thread" else bo.post
        assert method(f"/console/conversations/{world.voter}/{path}").status_code == 404
    admin = world.sign_in("admin@coalition.org")
    assert f"/console/conversations/{world.voter}" in admin.get("/console/inbox").text


def test_the_inbox_starts_filtered_to_the_languages_one_speaks(
    world: World, post_signed: Signer, engine: Engine
) -> None:
    add_contact(engine, OTHER, "en", [(world.alpha, "90012", [])])
    for text in ("hello", "1", "4"):  # an English speaker on Alpha's list asks too
        post_signed("/twilio/messages", fields(text, sender=OTHER))
    ana = world.sign_in("ana@alpha.org")  # speaks Spanish
    first = ana.get("/console/inbox").text
    assert "…0170" in first and "…0171" not in first
    everyone = ana.get("/console/inbox?filtered=1").text
    assert "…0170" in everyone and "…0171" in everyone


def test_changes_without_the_csrf_token_are_refused(world: World, engine: Engine) -> None:
    ana = world.sign_in("ana@alpha.org")
    key = ana.form_key(world.voter)
    path = f"/console/conversations/{world.voter}/reply"
    missing = ana.client.post(path, data={"body": "Hola", "key": key}, follow_redirects=False)
    forged = ana.client.post(
        path, data={"body": "Hola", "key": key, "csrf_token": "x" * 43}, follow_redirects=False
    )
    assert (missing.status_code, forged.status_code) == (403, 403)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(SENDS.c.kind == "reply")).scalar() == 0


def test_a_viewer_reads_but_cannot_reply_or_close(world: World, engine: Engine) -> None:
    vic = world.sign_in("vic@alpha.org")
    page = vic.get(f"/console/conversations/{world.voter}")
    assert page.status_code == 200 and 'name="body"' not in page.text
    key = "k" * 24
    assert (
        vic.post(
            f"/console/conversations/{world.voter}/reply", {"body": "x", "key": key}
        ).status_code
        == 403
    )
    assert vic.post(f"/console/conversations/{world.voter}/close").status_code == 403
    assert _requests(engine) == [(world.voter, "open", None)]


def test_a_reply_is_one_outbox_message_however_often_it_is_sent(
    world: World, engine: Engine
) -> None:
    ana = world.sign_in("ana@alpha.org")
    key = ana.form_key(world.voter)
    form = {"body": "¡Claro! ¿A qué hora le conviene?", "key": key}
    path = f"/console/conversations/{world.voter}/reply"
    first = ana.post(path, form)
    second = ana.post(path, form)  # a double click, a resubmitted page
    htmx = ana.post(path, form, headers={"HX-Request": "true"})
    assert (first.status_code, second.status_code) == (303, 303)
    assert htmx.status_code == 200 and "This reply was sent already." in htmx.text
    with engine.connect() as conn:
        rows = conn.execute(
            select(OUTBOX.c.contact_id, OUTBOX.c.status, SENDS.c.kind, SENDS.c.texts).join(
                SENDS, SENDS.c.id == OUTBOX.c.send_id
            )
        ).all()
        request = conn.execute(select(HANDOFFS)).one()
        audit = conn.execute(select(AUDIT_EVENTS.c.action)).scalars().all()
    assert [(r.contact_id, r.status, r.kind) for r in rows] == [(world.voter, "pending", "reply")]
    assert rows[0].texts == {"es": form["body"]}
    assert request.first_answer_at is not None and "handoff.reply" in audit
    thread = ana.get(f"/console/conversations/{world.voter}/thread").text
    assert "¿A qué hora le conviene?" in thread and "Ana" in thread


def test_what_the_voter_texts_meanwhile_joins_the_thread_without_a_bot_reply(
    world: World, post_signed: Signer
) -> None:
    answer = post_signed("/twilio/messages", fields("Soy yo otra vez", sender=VOTER))
    assert bodies(answer) == []  # the bot stays quiet while a person has the request
    ana = world.sign_in("ana@alpha.org")
    assert "Soy yo otra vez" in ana.get(f"/console/conversations/{world.voter}/thread").text


def test_stop_during_a_request_closes_it_and_closes_the_reply_box(
    world: World, post_signed: Signer, engine: Engine
) -> None:
    post_signed("/twilio/messages", fields("STOP", sender=VOTER))
    assert _requests(engine) == [(world.voter, "closed", "stop")]
    ana = world.sign_in("ana@alpha.org")
    page = ana.get(f"/console/conversations/{world.voter}")
    assert "This voter texted STOP." in page.text and 'name="body"' not in page.text
    refused = ana.post(
        f"/console/conversations/{world.voter}/reply", {"body": "Hola", "key": "z" * 24}
    )
    assert refused.status_code == 422 or refused.status_code == 409 or "STOP" in refused.text
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(SENDS.c.kind == "reply")).scalar() == 0


def test_closing_hands_the_voter_back_to_the_bot(
    world: World, post_signed: Signer, engine: Engine
) -> None:
    ana = world.sign_in("ana@alpha.org")
    closed = ana.post(f"/console/conversations/{world.voter}/close")
    assert (closed.status_code, closed.headers["location"]) == (303, "/console/inbox")
    assert _requests(engine) == [(world.voter, "closed", "closed")]
    with engine.connect() as conn:
        back = (
            conn.execute(select(SENDS.c.message_key).where(SENDS.c.kind == "reply")).scalars().all()
        )
    assert back == ["handoff.back"]
    assert bodies(post_signed("/twilio/messages", fields("2", sender=VOTER)))  # the bot answers


def test_a_request_nobody_answers_goes_back_to_the_bot_after_a_day(
    world: World, engine: Engine
) -> None:
    with engine.begin() as conn:
        assert replies.close_unanswered(conn, timeout=dt.timedelta(hours=24), now=utcnow()) == 0
        later = utcnow() + dt.timedelta(hours=25)
        assert replies.close_unanswered(conn, timeout=dt.timedelta(hours=24), now=later) == 1
    assert _requests(engine) == [(world.voter, "closed", "timeout")]


def test_the_bot_says_when_someone_will_answer(
    world: World, post_signed: Signer, engine: Engine
) -> None:
    staffed(engine, world.beta, always=False)
    add_contact(engine, OTHER, "es", [(world.beta, "90012", [])])
    post_signed("/twilio/messages", fields("hola", sender=OTHER))
    answer = bodies(post_signed("/twilio/messages", fields("4", sender=OTHER)))
    with engine.connect() as conn:
        keys = (
            conn.execute(select(OUTBOUND.c.message_key).order_by(OUTBOUND.c.id.desc()).limit(1))
            .scalars()
            .all()
        )
        first = (
            conn.execute(
                select(OUTBOUND.c.message_key)
                .join(CONTACTS, CONTACTS.c.id == OUTBOUND.c.contact_id)
                .where(CONTACTS.c.phone == VOTER, OUTBOUND.c.message_key.like("handoff.%"))
            )
            .scalars()
            .all()
        )
    assert keys == ["handoff.later"] and "a partir del" in answer[0]
    assert first == ["handoff.confirmed"]  # Alpha is staffed around the clock


def test_a_disabled_user_is_signed_out_at_once(world: World, engine: Engine) -> None:
    ana = world.sign_in("ana@alpha.org")
    assert ana.get("/console/inbox").status_code == 200
    admin = world.sign_in("admin@coalition.org")
    people = admin.get("/console/people")
    assert "ana@alpha.org" in people.text
    with engine.connect() as conn:
        ana_id = conn.execute(
            select(USERS.c.id).where(USERS.c.email == "ana@alpha.org")
        ).scalar_one()
    disabled = admin.post(f"/console/people/{ana_id}/disable")
    assert disabled.status_code == 303, disabled.text
    world.client.cookies.clear()
    world.client.cookies.set("turnout_session", "", path="/console")
    assert sign_in(world.client, "ana@alpha.org").status_code == 401
    with engine.connect() as conn:
        live = conn.execute(
            select(func.count()).where(
                CONSOLE_SESSIONS.c.user_id == ana_id, CONSOLE_SESSIONS.c.ended_at.is_(None)
            )
        ).scalar()
    assert live == 0


def test_the_console_speaks_spanish_to_who_chose_it(world: World, engine: Engine) -> None:
    ana = world.sign_in("ana@alpha.org")
    saved = ana.post("/console/profile", {"ui_language": "es", "speaks": ["es", "zh"]})
    assert saved.status_code == 303
    page = ana.get("/console/inbox")
    assert '<html lang="es"' in page.text and "Bandeja" in page.text
    assert "Votantes que pidieron hablar con una persona" in page.text


def test_an_admin_invites_from_the_console_and_copies_the_link(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    made = admin.post(
        "/console/people/invite",
        {"email": "sam@beta.org", "organization": str(world.beta), "role": "organizer"},
    )
    assert made.status_code == 200
    link = re.search(r'id="invite-link">([^<]+)<', made.text)
    assert link and "/console/invite/" in link.group(1)
    bad = admin.post(
        "/console/people/invite",
        {"email": "sam@beta.org", "organization": str(world.beta), "role": "admin"},
    )
    assert bad.status_code == 422 and "There is a problem" in bad.text
    ana = world.sign_in("ana@alpha.org")
    assert ana.get("/console/people").status_code == 403


def test_pages_carry_a_strict_content_security_policy(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get(f"/console/conversations/{world.voter}")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert 'dir="ltr"' in page.text and 'lang="es"' in page.text


def test_metrics_count_open_requests_and_peoples_replies(world: World, settings: Settings) -> None:
    ana = world.sign_in("ana@alpha.org")
    ana.post(
        f"/console/conversations/{world.voter}/reply",
        {"body": "Hola", "key": ana.form_key(world.voter)},
    )
    text = world.client.get("/metrics").text
    assert "turnout_handoff_open_requests 1.0" in text
    assert 'turnout_replies_by_people_total{channel="sms"}' in text
    assert "turnout_handoff_first_answer_seconds_count" in text
    with world.engine.begin() as conn:
        conn.execute(update(HANDOFFS).values(status="closed"))
    assert "turnout_handoff_open_requests 0.0" in world.client.get("/metrics").text
