"""The dispatcher end to end on both databases: outbox rows to the Twilio double over HTTP,
its status callbacks back to the web app served on a real port, and every rule checked when
a row is claimed."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import col
from twilio.request_validator import RequestValidator

from bot import tables
from bot.clock import utcnow
from bot.errors import Conflict
from bot.models import ConsentEvent
from bot.sending import sends
from bot.sending.plans import edit_reminder, ensure_plans, reminders_of
from bot.settings import Settings
from bot.voter.elections import save_election
from scheduler.process import Sending
from tests.helpers.sending import (
    ACCOUNT,
    blast,
    closed_hours,
    contact,
    drain,
    free_port,
    organization,
    outbox_rows,
    run,
    sending_settings,
    served,
)
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN

pytestmark = pytest.mark.db


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(ACCOUNT, AUTH_TOKEN) as d:
        yield d


@pytest.fixture
def live(engine: Engine, double: TwilioDouble) -> Iterator[Settings]:
    """Settings whose PUBLIC_BASE_URL is the web app, served for the callbacks."""
    port = free_port()
    settings = sending_settings(engine, double.url, f"http://127.0.0.1:{port}")
    with served(settings, engine, port):
        yield settings


def _wait(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_a_multilingual_blast_reaches_each_member_once(
    engine: Engine, double: TwilioDouble, live: Settings
) -> None:
    a, b = organization(engine, "asian-voters"), organization(engine, "latino-vote")
    en = contact(engine, "+12135550101", language="en", orgs=(a,))
    es = contact(engine, "+12135550102", language="es", orgs=(a, b))  # on both lists
    zh = contact(engine, "+12135550103", language="zh", orgs=(b,))
    vi = contact(engine, "+12135550104", language="vi", orgs=(b,))  # no Vietnamese text
    contact(engine, "+12135550105", language="es", orgs=(a,), opted_out=True)
    contact(engine, "+12135550106", language="en")  # on nobody's list
    texts = {"en": "Vote on Nov 3!", "es": "¡Vote el 3 de nov.!", "zh": "11月3日投票！"}
    send_id = blast(engine, a, texts, audience={"organizations": [a, b]})

    drain(Sending.from_settings(engine, live))
    _wait(lambda: double.count_by_to().total() == 4 and double.callbacks_sent >= 8)
    drain(Sending.from_settings(engine, live))

    bodies = {m["to"]: m["body"] for m in double.created}
    assert double.count_by_to() == {
        "+12135550101": 1,
        "+12135550102": 1,
        "+12135550103": 1,
        "+12135550104": 1,
    }
    assert bodies["+12135550101"] == "Vote on Nov 3!\nReply STOP to opt out."
    assert bodies["+12135550102"].startswith("¡Vote el 3 de nov.!\n")
    assert bodies["+12135550103"].startswith("11月3日投票！\n")
    assert bodies["+12135550104"].startswith("Vote on Nov 3!")  # the default language's
    rows = {r.contact_id: r for r in outbox_rows(engine, send_id)}
    assert set(rows) == {en, es, zh, vi}
    for form in double.requests:
        callback = urlsplit(form["StatusCallback"])
        assert callback.path == "/twilio/status"
        outbox_id = int(parse_qs(callback.query)["o"][0])
        assert rows[next(c for c, r in rows.items() if r.id == outbox_id)].to_address == form["To"]
    _wait(lambda: all(r.status == "delivered" for r in outbox_rows(engine, send_id)))
    with engine.connect() as conn:
        counts = sends.counts(conn, send_id)
        status, recipients = conn.execute(
            select(tables.SENDS.c.status, tables.SENDS.c.recipients).where(
                tables.SENDS.c.id == send_id
            )
        ).one()
    assert counts["delivered"] == 4 and counts["recipients"] == 4
    assert (status, recipients) == ("done", 4)
    assert all(r.twilio_sid and r.twilio_sid.startswith("SM") for r in rows.values())


def test_quiet_hours_defer_to_the_opening_minute_never_drop(
    engine: Engine, double: TwilioDouble
) -> None:
    window, opening = closed_hours()
    settings = sending_settings(
        engine, double.url, "http://127.0.0.1:9", TURNOUT_QUIET_HOURS=window
    )
    org = organization(engine, "org")
    contact(engine, "+12135550111", orgs=(org,))  # Los Angeles by ZIP 90012
    send_id = blast(engine, org, {"en": "Early voting starts today"})

    run(Sending.from_settings(engine, settings))

    (row,) = outbox_rows(engine, send_id)
    assert row.status == "deferred" and row.reason == "quiet_hours"
    assert row.available_at == opening
    assert double.created == []
    with engine.connect() as conn:
        assert sends.counts(conn, send_id)["deferred"] == 1


def test_one_blast_a_day_per_contact_coalition_wide_but_reminders_go(
    engine: Engine, double: TwilioDouble, live: Settings
) -> None:
    a, b = organization(engine, "a"), organization(engine, "b")
    shared = contact(engine, "+12135550121", orgs=(a, b), reminders=True)
    only_b = contact(engine, "+12135550122", orgs=(b,))
    first = blast(engine, a, {"en": "From A"})
    drain(Sending.from_settings(engine, live))
    second = blast(engine, b, {"en": "From B"})
    drain(Sending.from_settings(engine, live))

    assert [r.status in ("sent", "delivered") for r in outbox_rows(engine, first)] == [True]
    rows = {r.contact_id: r for r in outbox_rows(engine, second)}
    assert rows[shared].status == "skipped" and rows[shared].reason == "frequency_cap"
    assert rows[only_b].status in ("sent", "delivered")
    assert double.count_by_to() == {"+12135550121": 1, "+12135550122": 1}

    # An election reminder is not a blast: it still reaches the contact that day.
    now = utcnow()
    with engine.begin() as conn:
        save_election(
            conn,
            values={
                "name": "General Election",
                "date": (now + dt.timedelta(days=10)).date(),
                "polls_open": dt.time(7),
                "polls_close": dt.time(20),
                "timezone": "America/Los_Angeles",
            },
            source="cli",
            now=now,
        )
        ensure_plans(conn, default_zone="America/Los_Angeles", now=now)
        eve = next(
            r
            for r in reminders_of(conn, (now + dt.timedelta(days=10)).date())
            if r.reminder == "eve"
        )
        edit_reminder(conn, eve.id, now=now, send_at=now)
    drain(Sending.from_settings(engine, live))
    assert double.count_by_to()["+12135550121"] == 2
    reminder = double.created[-1]["body"]
    assert "General Election" in reminder and "7:00 AM - 8:00 PM" in reminder
    with engine.connect() as conn:
        assert sends.counts(conn, eve.id)["skipped"] == {}


def test_a_stop_during_a_paced_blast_stops_the_rest_for_that_contact(
    engine: Engine, double: TwilioDouble, live: Settings
) -> None:
    org = organization(engine, "org")
    phones = [f"+1213555013{i}" for i in range(8)]
    for phone in phones:
        contact(engine, phone, orgs=(org,))
    send_id = blast(engine, org, {"en": "Polls are open"})
    paced = live.model_copy(update={"send_rate": 4.0})
    sending = Sending.from_settings(engine, paced)
    sending.start_sends()
    worker = threading.Thread(target=lambda: asyncio.run(sending.pass_once()))
    worker.start()
    _wait(lambda: double.count_by_to().total() >= 1)
    # The last contact texts STOP (through the signed webhook) while the blast is going.
    url = f"{live.public_base_url}/twilio/messages"
    form = {"MessageSid": "SM" + "7" * 32, "From": phones[-1], "To": "+15005550006", "Body": "STOP"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    headers = {"X-Twilio-Signature": signature}
    request = urllib.request.Request(url, data=urlencode(form).encode(), headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310  (our own server)
        assert "You are unsubscribed" in reply.read().decode()
    worker.join(timeout=30)
    sending.role.release()

    assert phones[-1] not in double.count_by_to()
    assert double.count_by_to().total() == 7
    rows = outbox_rows(engine, send_id)
    assert rows[-1].status == "skipped" and rows[-1].reason == "opted_out"


def test_pause_resume_and_cancel(engine: Engine, double: TwilioDouble, live: Settings) -> None:
    org = organization(engine, "org")
    for i in range(6):
        contact(engine, f"+1213555014{i}", orgs=(org,))
    send_id = blast(engine, org, {"en": "Reminder"})
    sending = Sending.from_settings(engine, live)
    sending.start_sends()
    with engine.begin() as conn:
        assert sends.set_state(conn, send_id, "pause", utcnow()) == "paused"
    run(sending)
    assert double.created == []
    # Only three go: the rest are cancelled before the next pass.
    ids = [r.id for r in outbox_rows(engine, send_id)][3:]
    with engine.begin() as conn:
        assert sends.set_state(conn, send_id, "resume", utcnow()) == "sending"
        conn.execute(
            update(tables.OUTBOX)
            .where(tables.OUTBOX.c.id.in_(ids))
            .values(available_at=utcnow() + dt.timedelta(hours=1))
        )
    run(sending)
    assert double.count_by_to().total() == 3
    with engine.begin() as conn:
        assert sends.set_state(conn, send_id, "cancel", utcnow()) == "cancelled"
        with pytest.raises(Conflict, match="cannot be paused"):
            sends.set_state(conn, send_id, "pause", utcnow())
    run(sending)
    assert double.count_by_to().total() == 3
    with engine.connect() as conn:
        counts = sends.counts(conn, send_id)
    assert counts["skipped"] == {"cancelled": 3}


def test_twilio_errors_retry_fail_and_opt_out(
    engine: Engine, double: TwilioDouble, live: Settings
) -> None:
    org = organization(engine, "org")
    ok = "+12135550150"
    flaky, stopped, invalid, filtered = (
        "+12135550151",
        "+12135550152",
        "+12135550153",
        "+12135550154",
    )
    for phone in (ok, flaky, stopped, invalid, filtered):
        contact(engine, phone, orgs=(org,))
    double.fail_for[flaky] = (503, 20503, "Service Unavailable")
    double.fail_times[flaky] = 1
    double.fail_for[stopped] = (400, 21610, "Attempt to send to unsubscribed recipient")
    double.fail_for[invalid] = (400, 21211, "The 'To' number is not a valid phone number.")
    double.callback_error_for[filtered] = ("undelivered", 30007)
    send_id = blast(engine, org, {"en": "Vote"})

    drain(Sending.from_settings(engine, live))
    _wait(
        lambda: (
            {r.to_address: r.status for r in outbox_rows(engine, send_id)}[filtered]
            == "undelivered"
        )
    )

    rows = {r.to_address: r for r in outbox_rows(engine, send_id)}
    assert rows[flaky].status in ("sent", "delivered") and rows[flaky].attempts == 1
    assert rows[stopped].status == "failed" and rows[stopped].error_code == 21610
    assert rows[invalid].status == "failed" and rows[invalid].reason == "invalid_number"
    assert rows[filtered].error_code == 30007 and rows[filtered].reason == "filtered"
    assert double.count_by_to() == {ok: 1, flaky: 1, filtered: 1}
    with engine.connect() as conn:
        counts = sends.counts(conn, send_id)
        opted = conn.execute(
            select(tables.CONTACTS.c.opted_out).where(tables.CONTACTS.c.phone == stopped)
        ).scalar()
        events = conn.execute(select(col(ConsentEvent.kind), col(ConsentEvent.source))).all()
    assert counts["failed_by_error"] == {"21610": 1, "21211": 1, "30007": 1}
    assert opted is True
    assert ("opt_out", "carrier") in [tuple(e) for e in events]


def test_whatsapp_window_template_and_sms_fallback(
    engine: Engine, double: TwilioDouble, live: Settings
) -> None:
    now = utcnow()
    org = organization(engine, "org")
    fresh = "+12135550161"  # wrote on WhatsApp an hour ago: free text
    stale = "+12135550162"  # two days ago, Spanish, a template exists: the template
    stale_sms = "+12135550163"  # two days ago, no template, on a list (SMS consent): SMS
    closed = "+12135550165"  # inside the window by our clock, refused by WhatsApp: SMS
    contact(engine, fresh, orgs=(org,), whatsapp_at=now - dt.timedelta(hours=1))
    contact(engine, stale, language="es", orgs=(org,), whatsapp_at=now - dt.timedelta(days=2))
    contact(engine, stale_sms, orgs=(org,), whatsapp_at=now - dt.timedelta(days=2))
    contact(engine, closed, orgs=(org,), whatsapp_at=now - dt.timedelta(hours=2))
    double.callback_error_for[closed] = ("failed", 63016)
    template = "HX" + "a" * 32
    send_id = blast(engine, org, {"en": "Vote", "es": "Vote"}, templates={"es": template})

    def sms_after_63016() -> bool:
        # WhatsApp's refusal comes by status callback, whenever it comes; the next pass
        # after it sends the SMS.
        drain(Sending.from_settings(engine, live))
        return double.count_by_to()[closed] == 1

    _wait(sms_after_63016, timeout=30)

    sent = [(f["To"], f.get("ContentSid", ""), f.get("Body", "")) for f in double.requests]
    footer = "Vote\nReply STOP to opt out."
    assert sorted(sent) == sorted(
        [
            (f"whatsapp:{fresh}", "", footer),
            (f"whatsapp:{stale}", template, ""),
            (stale_sms, "", footer),
            (f"whatsapp:{closed}", "", footer),  # refused by WhatsApp (63016) ...
            (closed, "", footer),  # ... so it went by SMS
        ]
    )
    rows = {r.to_address: r for r in outbox_rows(engine, send_id)}
    assert rows[closed].channel == "sms" and rows[closed].status in ("sent", "delivered")
    assert rows[f"whatsapp:{stale}".removeprefix("whatsapp:")].content_sid == template


def test_a_whatsapp_only_contact_outside_the_window_is_skipped(
    engine: Engine, double: TwilioDouble, live: Settings
) -> None:
    """A contact who opted in to reminders on WhatsApp and is on nobody's list has no SMS
    channel: outside the window and without a template, the reminder is skipped."""
    now = utcnow()
    contact(engine, "+12135550171", reminders=True, whatsapp_at=now - dt.timedelta(days=3))
    inside = "+12135550172"
    contact(engine, inside, reminders=True, whatsapp_at=now - dt.timedelta(hours=3))
    with engine.begin() as conn:
        send_id = sends.create_send(
            conn,
            {
                "kind": "reminder",
                "name": "tomorrow",
                "send_at": now,
                "texts": {"en": "Tomorrow is election day. Reply STOP to opt out."},
                "audience": {},
            },
            now,
        )

    drain(Sending.from_settings(engine, live))

    assert [f["To"] for f in double.requests] == [f"whatsapp:{inside}"]
    with engine.connect() as conn:
        assert sends.counts(conn, send_id)["skipped"] == {"whatsapp_window": 1}


def test_a_busy_sqlite_writer_delays_a_pass_and_never_ends_it(
    engine: Engine, double: TwilioDouble, caplog: pytest.LogCaptureFixture
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no single writer to wait for")
    from bot.db import _writer  # the writer every SQLite transaction of this process takes

    org = organization(engine, "asian-voters")
    phones = [f"+1213555{n:04d}" for n in range(200, 205)]
    for number in phones:
        contact(engine, number, orgs=(org,))
    blast(engine, org, {"en": "Vote on Nov 3!"})
    sending = Sending.from_settings(engine, sending_settings(engine, double.url, None))
    sending.start_sends()  # the blast's outbox rows, before the writer is taken
    writer = _writer(engine)
    writer.acquire()  # another unit of work holding the writer past the dispatcher's wait
    failed: list[BaseException] = []

    def pass_() -> None:
        try:
            asyncio.run(sending.pass_once())
        except BaseException as exc:  # the assertion below says what
            failed.append(exc)

    worker = threading.Thread(target=pass_)
    worker.start()
    try:
        _wait(lambda: "the database is busy" in caplog.text, timeout=60)
    finally:
        writer.release()
    worker.join(timeout=120)
    assert not worker.is_alive() and not failed, failed  # the pass went on, and ended
    drain(sending)
    assert double.count_by_to() == dict.fromkeys(phones, 1)  # every one, once
