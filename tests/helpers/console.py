"""The organizer console in tests: users made through the accounts service, signed in through
the login form like a person, voters asking for a person through the signed webhook."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from bot.accounts import users
from bot.clock import utcnow
from bot.tables import CONSOLE_SESSIONS, ORGANIZATIONS
from tests.helpers.webhook import Signer, fields

PASSWORD = "a long enough passphrase"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="key" value="([^"]+)"')


@dataclass
class Person:
    """A signed-in browser: its cookie jar is the client's."""

    client: TestClient
    email: str
    user_id: int
    csrf: str

    def get(self, path: str, **kw: Any) -> Any:
        """GET a console page without following redirects."""
        return self.client.get(path, follow_redirects=False, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        """POST a form with this session's CSRF token."""
        return self.client.post(
            path, data={"csrf_token": self.csrf, **(data or {})}, follow_redirects=False, **kw
        )

    def form_key(self, contact_id: int) -> str:
        """The one-time key of the reply form on a conversation's page."""
        page = self.get(f"/console/conversations/{contact_id}")
        found = _KEY.search(page.text)
        assert found, page.text[:500]
        return found.group(1)


def make_user(engine: Engine, email: str, org_id: int, role: str, **profile: Any) -> int:
    """A user with PASSWORD and a role in one organization (and any profile fields)."""
    with engine.begin() as conn:
        user_id = users.add(
            conn, email=email, organization_id=org_id, role=role, password=PASSWORD, now=utcnow()
        )
        if profile:
            users.update_profile(
                conn,
                user_id=user_id,
                name=profile.get("name"),
                ui_language=profile.get("ui_language", "en"),
                speaks=profile.get("speaks", []),
                phone=profile.get("phone"),
                now=utcnow(),
            )
    return user_id


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    """POST the sign-in form as a browser does."""
    return client.post(
        "/console/login", data={"email": email, "password": password}, follow_redirects=False
    )


def person(client: TestClient, engine: Engine, email: str) -> Person:
    """Sign in (the response must be the redirect into the console) and keep the session."""
    answer = sign_in(client, email)
    assert answer.status_code == 303, answer.text
    page = client.get("/console/profile")
    csrf = _CSRF.search(page.text)
    assert csrf, page.text[:300]
    with engine.connect() as conn:
        user_id = conn.execute(
            select(CONSOLE_SESSIONS.c.user_id).order_by(CONSOLE_SESSIONS.c.id.desc()).limit(1)
        ).scalar_one()
    return Person(client, email, int(user_id), csrf.group(1))


def ask_for_a_person(post_signed: Signer, phone: str, *texts: str) -> None:
    """A voter greets the bot in Spanish, texts 4, then says what they need."""
    for text in ("hola", "4", *texts):
        answer = post_signed("/twilio/messages", fields(text, sender=phone))
        assert answer.status_code == 200, answer.text


def staffed(engine: Engine, org_id: int, *, always: bool) -> None:
    """An organization staffed every minute of the day, or never now (a one-minute window
    twelve hours away): what the bot says to "4" must not depend on when the test runs."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    if always:
        start, end = dt.time(0, 0), dt.time(23, 59, 59)
    else:
        local = utcnow().astimezone(ZoneInfo("America/Los_Angeles"))
        start = (local + dt.timedelta(hours=12)).time().replace(second=0, microsecond=0)
        end = (local + dt.timedelta(hours=12, minutes=1)).time().replace(second=0, microsecond=0)
    with engine.begin() as conn:
        conn.execute(
            update(ORGANIZATIONS)
            .where(ORGANIZATIONS.c.id == org_id)
            .values(staffed_from=start, staffed_until=end, timezone="America/Los_Angeles")
        )
