"""What every admin API route depends on: a database session and the caller.

`Authorization: Bearer <key>`; a missing, unknown or revoked key is one and the same 401.
A partner's key acts as an organizer of its organization; a coalition admin's key as an admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from bot.access import Caller, Role
from bot.clock import utcnow
from bot.contacts.imports.languages import LanguageNames
from bot.contacts.imports.runner import ImportOptions
from bot.contacts.organizations import authenticate
from bot.db import session_scope
from bot.errors import Forbidden, NotAuthenticated
from bot.runtime import Runtime

MAX_ID = 2_147_483_647  # ids are 32-bit integers on PostgreSQL
SLUG = r"^[a-z0-9-]{1,64}$"  # as `bot.contacts.organizations.slugify` makes them
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="api_key",
    description="An organization's API key (`turnout org create NAME` prints one).",
)
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="an id, as the API gave it")]
Slug = Annotated[
    str, Path(min_length=1, max_length=64, pattern=SLUG, description="an organization's slug")
]
OrganizationQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        pattern=SLUG,
        description="coalition admins: one organization's (its slug)",
    ),
]


def build_import_options(runtime: Runtime) -> ImportOptions:
    """Import settings from the loaded runtime (catalogs give the language names)."""
    settings = runtime.settings
    return ImportOptions(
        region=settings.default_region,
        languages=LanguageNames.from_catalogs(runtime.catalogs),
        batch_rows=settings.import_batch_rows,
    )


def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """One unit of work per request: committed as soon as the route returns (its dependency
    scope is the function's), before the response goes out and before any background task
    starts, so that SQLite's writer is never held past the route."""
    with session_scope(engine) as session:
        yield session


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The caller, from their key; NotAuthenticated for no key, a wrong one or a revoked one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("missing, invalid or revoked API key")
    found = authenticate(session=session, key=credentials.credentials.strip(), now=utcnow())
    if found is None:
        raise NotAuthenticated("missing, invalid or revoked API key")
    key, org = found
    assert org.id is not None and key.id is not None
    session.commit()  # last_used_at, before any later error rolls the request back
    role = Role.ADMIN if org.is_admin else Role.ORGANIZER
    return Caller(organization_id=org.id, role=role, slug=org.slug, key_id=key.id)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_admin(caller: CallerDep) -> Caller:
    """The caller, who must hold a coalition admin's key."""
    if not caller.is_admin:
        raise Forbidden("this needs a coalition admin's API key")
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]
