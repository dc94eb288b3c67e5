"""`turnout org ...`: partner organizations and their API keys (`bot.contacts.organizations`)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from bot.cli.common import console, engine, fail, refusals
from bot.clock import utcnow
from bot.contacts.organizations import (
    create_key,
    create_organization,
    find_organization,
    list_keys,
    list_organizations,
    revoke_key,
)
from bot.db import session_scope
from bot.models import ApiKey

app = typer.Typer(help="Partner organizations and their API keys.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    """A refusal: these commands exit 1 when they cannot do what was asked."""
    return fail(message, code)


@app.command("create")
def org_create(
    name: str = typer.Argument(..., help="The organization's name."),
    admin: bool = typer.Option(False, "--admin", help="A coalition admin: sees everything."),
    slug: str | None = typer.Option(None, help="Short name in URLs; from NAME by default."),
) -> None:
    """Create an organization and print its API key (shown this once)."""
    with session_scope(engine()) as session:
        with refusals(code=1):
            org, key = create_organization(
                session=session, name=name, slug=slug, is_admin=admin, now=utcnow()
            )
        kind = "coalition admin" if admin else "partner"
        console.print(f"Created {kind} organization [bold]{org.slug}[/bold] ({org.name}).")
        console.print("Its API key, shown only this once (store it now):")
    print(key.secret)


@app.command("list")
def org_list() -> None:
    """Every organization."""
    with Session(engine()) as session:
        table = Table("slug", "name", "admin", "created")
        for org in list_organizations(session=session):
            table.add_row(org.slug, org.name, "yes" if org.is_admin else "", _day(org.created_at))
    Console().print(table)


@app.command("keys")
def org_keys(slug: str = typer.Argument(..., help="The organization's slug.")) -> None:
    """An organization's API keys (never the keys themselves)."""
    with Session(engine()) as session:
        org = find_organization(session=session, slug=slug)
        if org is None or org.id is None:
            raise _fail(f"no organization {slug!r}")
        table = Table("id", "key starts", "created", "last used", "revoked")
        for key in list_keys(session=session, organization_id=org.id):
            table.add_row(
                str(key.id),
                f"{key.prefix}…",
                _day(key.created_at),
                _day(key.last_used_at),
                _day(key.revoked_at),
            )
    Console().print(table)


@app.command("new-key")
def org_new_key(slug: str = typer.Argument(..., help="The organization's slug.")) -> None:
    """Another API key for an organization, printed once (rotate: new key, then revoke)."""
    with session_scope(engine()) as session:
        org = find_organization(session=session, slug=slug)
        if org is None:
            raise _fail(f"no organization {slug!r}")
        made = create_key(session=session, organization=org, now=utcnow())
        console.print(f"New key {made.row.id} for [bold]{slug}[/bold], shown only this once:")
    print(made.secret)


@app.command("revoke")
def org_revoke(
    key_id: int = typer.Argument(..., help="The key's id (`turnout org keys`)."),
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    with session_scope(engine()) as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            raise _fail(f"no API key {key_id}")
        revoke_key(session=session, key=key, now=utcnow())
        console.print(f"Key {key_id} ({key.prefix}…) is revoked.")


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else ""
