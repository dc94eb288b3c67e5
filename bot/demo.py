"""`turnout serve --demo`: what a first look needs. The coalition's admin organization and a
partner, a first admin's one-time sign-in link, and a voter (texting from the terminal's
console channel) who asked for a person, so that the inbox has something to answer."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.access import operator
from bot.accounts import users
from bot.clock import utcnow
from bot.contacts.organizations import create_organization
from bot.conversation.service import Inbound, handle_inbound
from bot.phones import Address
from bot.runtime import Runtime
from bot.tables import CONTACTS, MEMBERSHIPS, ORGANIZATIONS

ADMIN_EMAIL = "admin@example.org"
VOTER = "+15555550199"
VOTER_SAYS = ("hola", "4", "Hola, necesito que alguien me lleve a votar el martes.")


@dataclass(frozen=True)
class Demo:
    """What the banner prints."""

    invite_token: str
    admin_email: str


def _organization(engine: Engine, name: str, *, admin: bool) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            select(ORGANIZATIONS.c.id).where(ORGANIZATIONS.c.is_admin == admin).limit(1)
        ).scalar()
    if found is not None:
        return int(found)
    with Session(engine) as session:
        org, _key = create_organization(
            session=session, name=name, slug=None, is_admin=admin, now=utcnow()
        )
        session.commit()
        assert org.id is not None
        return org.id


def prepare(engine: Engine, runtime: Runtime) -> Demo:
    """Make (once) the demo's organizations and voter; a new sign-in link each time."""
    admin_org = _organization(engine, "Coalition HQ", admin=True)
    partner = _organization(engine, "Chinatown Votes", admin=False)
    now = utcnow()
    with engine.begin() as conn:
        made = users.invite(
            conn,
            caller=operator(admin_org),
            email=ADMIN_EMAIL,
            organization_id=admin_org,
            role="admin",
            now=now,
        )
        known = conn.execute(select(CONTACTS.c.id).where(CONTACTS.c.phone == VOTER)).scalar()
    if known is None:
        for n, text in enumerate(VOTER_SAYS):
            msg = Inbound(f"demo-{uuid.uuid4().hex}", Address("sms", VOTER), "console", text)
            with engine.begin() as conn:
                handle_inbound(conn, runtime, msg, now + dt.timedelta(seconds=n))
        with engine.begin() as conn:
            contact = conn.execute(
                select(CONTACTS.c.id).where(CONTACTS.c.phone == VOTER)
            ).scalar_one()
            conn.execute(
                MEMBERSHIPS.insert().values(
                    organization_id=partner,
                    contact_id=contact,
                    first_name="María",
                    last_name="Demo",
                    language="es",
                    created_at=now,
                    updated_at=now,
                )
            )
    return Demo(made.token, made.email)
