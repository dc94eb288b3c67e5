"""Organizations and their API keys."""

from __future__ import annotations

from fastapi import APIRouter

from bot.api.deps import AdminDep, PrincipalDep, SessionDep, visible_organization
from bot.api.errors import Conflict, Invalid, NotFound
from bot.api.schemas import (
    ApiKeyCreated,
    ApiKeyPublic,
    OrganizationCreate,
    OrganizationCreated,
    OrganizationPublic,
)
from bot.clock import utcnow
from bot.contacts.organizations import (
    PartnerError,
    create_key,
    create_organization,
    list_keys,
    list_organizations,
    revoke_key,
)
from bot.models import ApiKey, Organization

router = APIRouter(tags=["organizations"])


def _created(org: Organization, key: ApiKey, secret: str) -> ApiKeyCreated:
    return ApiKeyCreated(**ApiKeyPublic.of(key, org.slug).model_dump(), key=secret)


@router.get("/me", response_model=OrganizationPublic, summary="The caller's organization")
def me(principal: PrincipalDep, session: SessionDep) -> Organization:
    """The organization the presented key belongs to."""
    return visible_organization(session, principal, principal.slug)


@router.get("/organizations", response_model=list[OrganizationPublic])
def organizations(_admin: AdminDep, session: SessionDep) -> list[Organization]:
    """Every organization of the coalition (coalition admins only)."""
    return list_organizations(session=session)


@router.post("/organizations", response_model=OrganizationCreated, status_code=201)
def new_organization(
    body: OrganizationCreate, _admin: AdminDep, session: SessionDep
) -> OrganizationCreated:
    """Create an organization and its first key, shown this once (coalition admins only)."""
    try:
        org, key = create_organization(
            session=session, name=body.name, slug=body.slug, is_admin=body.is_admin, now=utcnow()
        )
    except PartnerError as exc:
        raise (Conflict if "exists" in str(exc) else Invalid)(str(exc)) from None
    session.commit()
    return OrganizationCreated(
        organization=OrganizationPublic.model_validate(org),
        api_key=_created(org, key.row, key.secret),
    )


@router.get("/organizations/{slug}/keys", response_model=list[ApiKeyPublic])
def keys(slug: str, principal: PrincipalDep, session: SessionDep) -> list[ApiKeyPublic]:
    """An organization's keys, revoked ones included; never the keys themselves."""
    org = visible_organization(session, principal, slug)
    assert org.id is not None
    return [
        ApiKeyPublic.of(k, org.slug) for k in list_keys(session=session, organization_id=org.id)
    ]


@router.post("/organizations/{slug}/keys", response_model=ApiKeyCreated, status_code=201)
def new_key(slug: str, principal: PrincipalDep, session: SessionDep) -> ApiKeyCreated:
    """Another key for an organization (to rotate keys: make one, then revoke the old)."""
    org = visible_organization(session, principal, slug)
    made = create_key(session=session, organization=org, now=utcnow())
    session.commit()
    return _created(org, made.row, made.secret)


@router.post("/keys/{key_id}/revoke", response_model=ApiKeyPublic)
def revoke(key_id: int, principal: PrincipalDep, session: SessionDep) -> ApiKeyPublic:
    """Revoke a key at once; requests with it are refused from then on."""
    key = session.get(ApiKey, key_id)
    if key is None or not principal.can_see(key.organization_id):
        raise NotFound()
    org = session.get(Organization, key.organization_id)
    assert org is not None
    revoke_key(session=session, key=key, now=utcnow())
    session.commit()
    return ApiKeyPublic.of(key, org.slug)
