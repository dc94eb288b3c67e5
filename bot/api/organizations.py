"""`/api/v1/me`, `/organizations` and keys: thin routes over `bot.contacts.organizations`."""

from __future__ import annotations

from fastapi import APIRouter

from bot.api.deps import AdminDep, CallerDep, Id, SessionDep, Slug
from bot.api.errors import ERRORS
from bot.api.links import link, links
from bot.api.schemas import (
    ApiKeyCreated,
    ApiKeyPublic,
    OrganizationCreate,
    OrganizationCreated,
    OrganizationPublic,
)
from bot.clock import utcnow
from bot.contacts import organizations as orgs
from bot.models import ApiKey, Organization

router = APIRouter(tags=["organizations"], responses=ERRORS)
KEYS = "/organizations/{slug}/keys"
REVOKE = "/keys/{key_id}/revoke"
ORGANIZATION_LINKS = links(
    201,
    keys=link(KEYS, "get", "its keys", slug="$response.body#/organization/slug"),
    new_key=link(KEYS, "post", "another key", slug="$response.body#/organization/slug"),
    revoke=link(REVOKE, "post", "revoke its first key", key_id="$response.body#/api_key/id"),
)
KEY_LINKS = links(
    201,
    keys=link(KEYS, "get", "the organization's keys", slug="$request.path.slug"),
    revoke=link(REVOKE, "post", "revoke this key", key_id="$response.body#/id"),
)


def _created(org: Organization, key: ApiKey, secret: str) -> ApiKeyCreated:
    return ApiKeyCreated(**ApiKeyPublic.of(key, org.slug).model_dump(), key=secret)


@router.get("/me", response_model=OrganizationPublic, summary="The caller's organization")
def me(caller: CallerDep, session: SessionDep) -> Organization:
    """The organization the presented key belongs to."""
    return orgs.visible_organization(session=session, caller=caller, slug=caller.slug)


@router.get("/organizations", response_model=list[OrganizationPublic])
def organizations(_admin: AdminDep, session: SessionDep) -> list[Organization]:
    """Every organization of the coalition (coalition admins only)."""
    return orgs.list_organizations(session=session)


@router.post(
    "/organizations",
    response_model=OrganizationCreated,
    status_code=201,
    responses=ORGANIZATION_LINKS,
)
def new_organization(
    body: OrganizationCreate, _admin: AdminDep, session: SessionDep
) -> OrganizationCreated:
    """Create an organization and its first key, shown this once (coalition admins only)."""
    org, key = orgs.create_organization(
        session=session, name=body.name, slug=body.slug, is_admin=body.is_admin, now=utcnow()
    )
    session.commit()
    return OrganizationCreated(
        organization=OrganizationPublic.model_validate(org),
        api_key=_created(org, key.row, key.secret),
    )


@router.get("/organizations/{slug}/keys", response_model=list[ApiKeyPublic])
def keys(slug: Slug, caller: CallerDep, session: SessionDep) -> list[ApiKeyPublic]:
    """An organization's keys, revoked ones included; never the keys themselves."""
    org = orgs.visible_organization(session=session, caller=caller, slug=slug)
    assert org.id is not None
    found = orgs.list_keys(session=session, organization_id=org.id)
    return [ApiKeyPublic.of(k, org.slug) for k in found]


@router.post(
    "/organizations/{slug}/keys", response_model=ApiKeyCreated, status_code=201, responses=KEY_LINKS
)
def new_key(slug: Slug, caller: CallerDep, session: SessionDep) -> ApiKeyCreated:
    """Another key for an organization (to rotate keys: make one, then revoke the old)."""
    org = orgs.visible_organization(session=session, caller=caller, slug=slug)
    made = orgs.create_key(session=session, organization=org, now=utcnow())
    session.commit()
    return _created(org, made.row, made.secret)


@router.post("/keys/{key_id}/revoke", response_model=ApiKeyPublic)
def revoke(key_id: Id, caller: CallerDep, session: SessionDep) -> ApiKeyPublic:
    """Revoke a key at once; requests with it are refused from then on."""
    key, org = orgs.visible_key(session=session, caller=caller, key_id=key_id)
    orgs.revoke_key(session=session, key=key, now=utcnow())
    session.commit()
    return ApiKeyPublic.of(key, org.slug)
