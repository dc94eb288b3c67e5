"""What every admin API route depends on: a database session and the caller's organization.

`Authorization: Bearer <key>`; a missing, unknown or revoked key is one and the same 401.
A partner's key sees its own organization only; a coalition admin's key sees everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from bot.api.errors import Forbidden, NotAuthenticated, NotFound
from bot.clock import utcnow
from bot.contacts.imports.languages import LanguageNames
from bot.contacts.imports.runner import ImportOptions
from bot.contacts.organizations import authenticate, find_organization
from bot.db import session_scope
from bot.models import Organization
from bot.runtime import Runtime

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="api_key",
    description="An organization's API key (`turnout org create NAME` prints one).",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organization, through one of its keys."""

    organization_id: int
    slug: str
    is_admin: bool
    key_id: int

    def can_see(self, organization_id: int) -> bool:
        """Whether this caller may see an organization's things."""
        return self.is_admin or organization_id == self.organization_id


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
    """One unit of work per request: committed when the route succeeds."""
    with session_scope(engine) as session:
        yield session


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, from their key; NotAuthenticated for no key, a wrong one or a revoked one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated()
    found = authenticate(session=session, key=credentials.credentials.strip(), now=utcnow())
    if found is None:
        raise NotAuthenticated()
    key, org = found
    assert org.id is not None and key.id is not None
    session.commit()  # last_used_at, before any later error rolls the request back
    return Principal(org.id, org.slug, org.is_admin, key.id)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: PrincipalDep) -> Principal:
    """The caller, who must hold a coalition admin's key."""
    if not principal.is_admin:
        raise Forbidden()
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def visible_organization(session: Session, principal: Principal, slug: str) -> Organization:
    """An organization the caller may see, by slug; NotFound otherwise (another partner's
    organization is answered exactly like one that does not exist)."""
    org = find_organization(session=session, slug=slug)
    if org is None or org.id is None or not principal.can_see(org.id):
        raise NotFound()
    return org


def target_organization(session: Session, principal: Principal, slug: str | None) -> int:
    """The organization a request is about: the caller's own, or for an admin, any named."""
    if slug is None or slug == principal.slug:
        return principal.organization_id
    org = visible_organization(session, principal, slug)
    assert org.id is not None
    return org.id
