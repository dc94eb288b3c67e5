"""Helpers for the sending tests: organizations and their lists, a blast, the web app served
for real (so that the Twilio double's status callbacks reach it), and the sending side."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from sqlalchemy import Engine, insert, select

from bot import tables
from bot.app import create_app
from bot.clock import utcnow
from bot.sending import outbox, sends
from bot.sending.sends import tags_value
from bot.settings import Settings
from bot.tables import CONTACTS, MEMBERSHIPS
from bot.tables import ORGANIZATIONS as ORGS
from scheduler.dispatcher import Stats
from scheduler.process import Sending
from tests.helpers.webhook import AUTH_TOKEN

ACCOUNT = "AC" + "0" * 32


def open_hours(zone: str = "America/Los_Angeles") -> str:
    """A TURNOUT_QUIET_HOURS window from six hours before to six hours after now in `zone`
    (wrapping midnight as needed): open now for every US contact, whatever time CI runs."""
    local = utcnow().astimezone(ZoneInfo(zone))
    start = (local - dt.timedelta(hours=6)).strftime("%H:%M")
    end = (local + dt.timedelta(hours=6)).strftime("%H:%M")
    return f"{start}-{end}"


def closed_hours(zone: str = "America/Los_Angeles") -> tuple[str, dt.datetime]:
    """A window that opens three hours from now in `zone`, and that opening in UTC."""
    local = utcnow().astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0)
    opening = local + dt.timedelta(hours=3)
    end = local + dt.timedelta(hours=8)
    window = f"{opening.strftime('%H:%M')}-{end.strftime('%H:%M')}"
    return window, opening.astimezone(dt.UTC)


def sending_settings(engine: Engine, double_url: str, public: str | None, **extra: Any) -> Settings:
    """Settings for a dispatcher that talks to the double."""
    values: dict[str, Any] = {
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
        "TWILIO_API_BASE_URL": double_url,
        "TURNOUT_COALITION_NAME": "Voter Power Coalition",
        "TURNOUT_QUIET_HOURS": open_hours(),
        "TURNOUT_SEND_RATE": "0",
        "TURNOUT_SEND_LEASE_SECONDS": "2",
    }
    if public:
        values["PUBLIC_BASE_URL"] = public
    values.update(extra)
    return Settings(**values, _env_file=None)


def organization(engine: Engine, slug: str, *, admin: bool = False) -> int:
    """An organization, by slug."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(ORGS)
                .values(slug=slug, name=slug.title(), is_admin=admin, created_at=utcnow())
                .returning(ORGS.c.id)
            ).scalar_one()
        )


def contact(
    engine: Engine,
    phone: str,
    *,
    language: str | None = "en",
    orgs: tuple[int, ...] = (),
    zip_code: str | None = "90012",
    opted_out: bool = False,
    reminders: bool = False,
    whatsapp_at: dt.datetime | None = None,
    sms_at: dt.datetime | None = None,
    tags: str | None = None,
) -> int:
    """A contact, on the lists of `orgs`."""
    now = utcnow()
    with engine.begin() as conn:
        cid = int(
            conn.execute(
                insert(tables.CONTACTS)
                .values(
                    phone=phone,
                    language=language,
                    opted_out=opted_out,
                    reminders=reminders,
                    whatsapp_last_inbound_at=whatsapp_at,
                    sms_last_inbound_at=sms_at,
                    created_at=now,
                    updated_at=now,
                )
                .returning(tables.CONTACTS.c.id)
            ).scalar_one()
        )
        for org in orgs:
            conn.execute(
                insert(tables.MEMBERSHIPS).values(
                    organization_id=org,
                    contact_id=cid,
                    zip=zip_code,
                    tags=tags,
                    created_at=now,
                    updated_at=now,
                )
            )
    return cid


def blast(engine: Engine, org: int, texts: dict[str, str], **values: Any) -> int:
    """A blast of `org`, due now unless told otherwise."""
    now = utcnow()
    row = {
        "kind": "blast",
        "organization_id": org,
        "name": "test blast",
        "send_at": now,
        "texts": texts,
        "audience": {"organizations": [org]},
        **values,
    }
    with engine.begin() as conn:
        return sends.create_send(conn, row, now)


def run(sending: Sending) -> Stats:
    """Start due sends and make one dispatcher pass, as the scheduler's jobs do."""
    try:
        sending.start_sends()
        return asyncio.run(sending.pass_once())
    finally:
        sending.role.release()  # as a stopping scheduler does: the next test's may take it


def drain(sending: Sending, *, timeout: float = 30.0) -> None:
    """Run passes until no row waits or is in flight (retries after their backoff and rows
    in doubt after their lease included)."""
    deadline = time.monotonic() + timeout
    while True:
        run(sending)
        with sending.engine.connect() as conn:
            left = outbox.open_rows(conn)
        if not left:
            sending.start_sends()  # marks finished sends done
            sending.role.release()
            return
        if time.monotonic() > deadline:
            raise AssertionError("the outbox did not drain")
        time.sleep(0.2)


def outbox_rows(engine: Engine, send_id: int) -> list[Any]:
    """The outbox rows of a send, by contact."""
    o = tables.OUTBOX.c
    with engine.connect() as conn:
        return list(
            conn.execute(select(tables.OUTBOX).where(o.send_id == send_id).order_by(o.contact_id))
        )


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(settings: Settings, engine: Engine, port: int) -> Iterator[str]:
    """The web app on a real port (its base URL), for Twilio's status callbacks."""
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def add_contact(
    engine: Engine,
    phone: str,
    language: str | None,
    lists: list[tuple[int, str, list[str]]],
    *,
    opted_out: bool = False,
    reminders: bool = False,
) -> int:
    """A contact on some lists: (organization id, ZIP, tags) each."""
    now = utcnow()
    with engine.begin() as conn:
        contact_id = int(
            conn.execute(
                insert(CONTACTS)
                .values(
                    phone=phone,
                    language=language,
                    opted_out=opted_out,
                    reminders=reminders,
                    created_at=now,
                    updated_at=now,
                )
                .returning(CONTACTS.c.id)
            ).scalar_one()
        )
        for org_id, zip_code, tags in lists:
            conn.execute(
                insert(MEMBERSHIPS).values(
                    organization_id=org_id,
                    contact_id=contact_id,
                    zip=zip_code,
                    tags=tags_value(tags),
                    created_at=now,
                    updated_at=now,
                )
            )
    return contact_id
