"""Partner organizations and their API keys.

A key is `turnout_` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored:
a key that random needs no slow hash, and a lookup by digest is one index probe. The key is
shown once, when created; its first characters are kept to tell keys apart.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.access import Caller
from bot.errors import Conflict, Invalid, NotFound
from bot.models import ApiKey, Organization

KEY_PREFIX = "turnout_"
SHOWN = 16  # characters of a key kept for display: the prefix and 8 random ones
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint: not one write per request


class PartnerError(Invalid):
    """A request about organizations or keys that cannot be done; the message says why."""


@dataclass(frozen=True)
class NewKey:
    """A key just made: the row, and the secret shown this once."""

    row: ApiKey
    secret: str


def slugify(name: str) -> str:
    """A URL-safe slug from an organization's name ('Asian Americans Advancing' → ...)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")
    if not slug:
        raise PartnerError(f"cannot make a slug from {name!r}; give one")
    return slug


def digest(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(*, session: Session, organization: Organization, now: datetime) -> NewKey:
    """A new key for an organization (the caller commits)."""
    assert organization.id is not None
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        organization_id=organization.id,
        prefix=secret[:SHOWN],
        key_hash=digest(secret),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return NewKey(row, secret)


def create_organization(
    *, session: Session, name: str, slug: str | None, is_admin: bool, now: datetime
) -> tuple[Organization, NewKey]:
    """An organization and its first key; Conflict if the slug is taken."""
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > 200:
        raise PartnerError("an organization needs a name of 1 to 200 characters")
    clean_slug = slugify(slug or clean_name)
    if session.exec(select(Organization).where(Organization.slug == clean_slug)).first():
        raise Conflict(f"an organization with the slug {clean_slug!r} exists already")
    org = Organization(slug=clean_slug, name=clean_name, is_admin=is_admin, created_at=now)
    session.add(org)
    session.flush()
    return org, create_key(session=session, organization=org, now=now)


def find_organization(*, session: Session, slug: str) -> Organization | None:
    """An organization by slug."""
    return session.exec(select(Organization).where(Organization.slug == slug)).first()


def list_organizations(*, session: Session) -> list[Organization]:
    """Every organization, by slug."""
    return list(session.exec(select(Organization).order_by(col(Organization.slug))).all())


def list_keys(*, session: Session, organization_id: int) -> list[ApiKey]:
    """An organization's keys, oldest first, revoked ones included."""
    query = select(ApiKey).where(ApiKey.organization_id == organization_id)
    return list(session.exec(query.order_by(col(ApiKey.id))).all())


def revoke_key(*, session: Session, key: ApiKey, now: datetime) -> ApiKey:
    """Revoke a key (again is fine: the first revocation time stays)."""
    if key.revoked_at is None:
        key.revoked_at = now
        session.add(key)
        session.flush()
    return key


def authenticate(
    *, session: Session, key: str, now: datetime
) -> tuple[ApiKey, Organization] | None:
    """The live key and its organization for a presented key; None if unknown or revoked."""
    if not key.startswith(KEY_PREFIX) or len(key) > 128:
        return None
    found = session.exec(
        select(ApiKey, Organization)
        .join(Organization, col(Organization.id) == ApiKey.organization_id)
        .where(ApiKey.key_hash == digest(key))
    ).first()
    if found is None or found[0].revoked_at is not None:
        return None
    api_key, org = found
    if api_key.last_used_at is None or now - api_key.last_used_at > TOUCH_EVERY:
        api_key.last_used_at = now
        session.add(api_key)
    return api_key, org


def visible_organization(*, session: Session, caller: Caller, slug: str) -> Organization:
    """An organization the caller may see, by slug; NotFound otherwise (another partner's
    organization is answered exactly like one that does not exist)."""
    org = find_organization(session=session, slug=slug)
    if org is None or org.id is None or not caller.can_see(org.id):
        raise NotFound()
    return org


def target_organization(*, session: Session, caller: Caller, slug: str | None) -> int:
    """The organization a request is about: the caller's own, or for an admin, any named."""
    if slug is None or slug == caller.slug:
        return caller.organization_id
    org = visible_organization(session=session, caller=caller, slug=slug)
    assert org.id is not None
    return org.id


def visible_key(*, session: Session, caller: Caller, key_id: int) -> tuple[ApiKey, Organization]:
    """A key of an organization the caller may see, with its organization; NotFound else."""
    key = session.get(ApiKey, key_id)
    if key is None or not caller.can_see(key.organization_id):
        raise NotFound()
    org = session.get(Organization, key.organization_id)
    assert org is not None
    return key, org
