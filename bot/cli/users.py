"""`turnout users ...`: the console's users. No email is sent: an invitation prints a one-time
link (valid 72 hours) to hand over; a forgotten password is a new invitation."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, select

from bot.access import operator
from bot.accounts import users
from bot.cli.common import console, database, fail, refusals
from bot.clock import utcnow
from bot.settings import Settings
from bot.tables import ORGANIZATIONS, USER_ROLES
from bot.translations import reviews
from messages.catalog import Catalogs

app = typer.Typer(help="The organizer console's users.", no_args_is_help=True)
Email = Annotated[str, typer.Argument(help="Their email address (their sign-in name).")]
Org = Annotated[str, typer.Option("--org", help="The organization (slug).")]
RoleOption = Annotated[
    str,
    typer.Option(
        "--role",
        help="admin (of the coalition's admin organization only), organizer or viewer.",
    ),
]


def _organization_id(conn: Connection, slug: str) -> int:
    found = conn.execute(select(ORGANIZATIONS.c.id).where(ORGANIZATIONS.c.slug == slug)).scalar()
    if found is None:
        raise fail(f"--org: no organization {slug!r} (see `turnout org list`)")
    return int(found)


def base_url(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> str:
    """The console's address as people open it."""
    return settings.public_base_url or f"http://{host}:{port}"


@app.command("invite")
def invite(email: Email, org: Org, role: RoleOption = "organizer") -> None:
    """Print a one-time link where the person sets their password (valid 72 hours)."""
    with database() as (engine, settings), engine.begin() as conn, refusals():
        made = users.invite(
            conn,
            caller=operator(),
            email=email,
            organization_id=_organization_id(conn, org),
            role=role,
            now=utcnow(),
        )
    console.print(
        f"Invitation for {made.email} ({role} of {org}), valid until "
        f"{made.expires_at:%Y-%m-%d %H:%M} UTC. Give them this link:"
    )
    print(f"{base_url(settings)}/console/invite/{made.token}")


@app.command("add")
def add(
    email: Email,
    org: Org,
    role: RoleOption = "organizer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with a password at once (for scripts)."""
    if not password_stdin:
        raise fail("give --password-stdin and the password on standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    with database() as (engine, _), engine.begin() as conn, refusals():
        users.add(
            conn,
            email=email,
            organization_id=_organization_id(conn, org),
            role=role,
            password=password,
            now=utcnow(),
        )
    console.print(f"[green]Added[/green] {email.strip().lower()} as {role} of {org}.")


@app.command("list")
def list_users() -> None:
    """Every user, their roles and whether they can sign in."""
    with database() as (engine, _), engine.connect() as conn:
        people = users.list_users(conn)
        r, o = USER_ROLES.c, ORGANIZATIONS.c
        roles: dict[int, list[str]] = {}
        for user_id, slug, role in conn.execute(
            select(r.user_id, o.slug, r.role).join(ORGANIZATIONS, o.id == r.organization_id)
        ):
            roles.setdefault(int(user_id), []).append(f"{slug}:{role}")
    table = Table("email", "name", "roles", "status", "last sign-in")
    for person in people:
        status = (
            "disabled"
            if person.disabled_at
            else "invited"
            if not person.password_hash
            else "active"
        )
        last = f"{person.last_sign_in_at:%Y-%m-%d %H:%M}" if person.last_sign_in_at else ""
        table.add_row(
            person.email, person.name or "", ", ".join(roles.get(person.id, [])), status, last
        )
    Console().print(table)


@app.command("disable")
def disable(email: Email) -> None:
    """Disable a user: signed out everywhere at once, no sign-in until invited again."""
    with database() as (engine, _), engine.begin() as conn, refusals(f"no user {email!r}"):
        found = users.find_user(conn, email=email)
        users.disable(conn, caller=operator(), user_id=int(found.id), now=utcnow())
    console.print(f"{email.strip().lower()} is disabled and signed out everywhere.")


@app.command("reviewer")
def reviewer(
    email: Email,
    language: Annotated[
        str, typer.Option("--language", help="The voters' language they review (es, zh ...).")
    ],
    remove: Annotated[
        bool, typer.Option("--remove", help="No longer a reviewer of this language.")
    ] = False,
) -> None:
    """Make a user a translation reviewer of a language (or, with --remove, no longer)."""
    with database() as (engine, _), engine.begin() as conn, refusals(f"no user {email!r}"):
        found = users.find_user(conn, email=email)
        changed = reviews.set_reviewer(
            conn,
            caller=operator(),
            catalogs=Catalogs.load(),
            user_id=int(found.id),
            language=language,
            reviewer=not remove,
            now=utcnow(),
        )
        now_reviews = reviews.reviewer_languages(conn, user_id=int(found.id))
    who = email.strip().lower()
    if remove:
        said = "is no longer" if changed else "was not"
        console.print(f"{who} {said} a reviewer of {language}.")
    else:
        said = "is now" if changed else "was already"
        console.print(f"{who} {said} a reviewer of {language}.")
    console.print(f"Reviews: {', '.join(now_reviews) or 'none'}.")

