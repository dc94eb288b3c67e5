"""What the admin API reads and returns. Table classes are never returned: these are."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.models import ApiKey, ContactImport
from bot.voter.elections import ONE_LINE


class OrganizationCreate(BaseModel):
    """A new partner organization (or another coalition admin)."""

    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE, examples=["Chinatown Votes"])
    slug: str | None = Field(
        None, max_length=64, pattern=ONE_LINE, description="from the name when omitted"
    )
    is_admin: bool = Field(False, description="a coalition admin sees every organization")


class OrganizationPublic(BaseModel):
    """An organization."""

    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    is_admin: bool
    created_at: datetime


class ApiKeyPublic(BaseModel):
    """A key as listed: never the key itself."""

    id: int
    organization: str
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey, organization: str) -> ApiKeyPublic:
        """The public view of a key row."""
        assert key.id is not None
        return cls(
            id=key.id,
            organization=organization,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class ApiKeyCreated(ApiKeyPublic):
    """A key just made: the only time the key itself is shown."""

    key: str = Field(description="store it now: it is not shown again")


class OrganizationCreated(BaseModel):
    """A new organization and its first key."""

    organization: OrganizationPublic
    api_key: ApiKeyCreated


class ImportPublic(BaseModel):
    """A contact import: its consent basis, status and counts so far."""

    id: int
    organization: str
    status: str = Field(description="pending, running, done or failed")
    dry_run: bool
    filename: str
    consent_basis: str
    consent_language: str
    consent_date: date | None
    consent_source: str | None
    file: dict[str, Any] | None = Field(
        description="how the file was read: format, encoding, delimiter, columns, ignored ones"
    )
    rows: int = Field(description="rows with anything in them (blank rows are not counted)")
    new_contacts: int | None = Field(
        description="phones the coalition did not know; shown to coalition admins only "
        "(to a partner it would tell which numbers are on other lists)"
    )
    new_memberships: int
    updated: int = Field(description="memberships already on the list that took new values")
    unchanged: int
    duplicates: int = Field(description="rows repeating a phone seen earlier in the file")
    rejected: int = Field(description="rows not imported: see errors.csv")
    suppressed: int = Field(description="rows of voters who opted out: never re-subscribed")
    warnings: int = Field(description="values left out of imported rows: see errors.csv")
    error: str | None
    errors_url: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, imp: ContactImport, organization: str, *, admin: bool) -> ImportPublic:
        """The public view of an import row."""
        assert imp.id is not None
        fields = {
            name: getattr(imp, name)
            for name in (
                "status",
                "dry_run",
                "filename",
                "consent_basis",
                "consent_language",
                "consent_date",
                "consent_source",
                "rows",
                "new_memberships",
                "updated",
                "unchanged",
                "duplicates",
                "rejected",
                "suppressed",
                "warnings",
                "error",
                "created_at",
                "updated_at",
                "finished_at",
            )
        }
        return cls(
            id=imp.id,
            organization=organization,
            file=imp.file_info,
            new_contacts=imp.new_contacts if admin else None,
            errors_url=f"/api/v1/contacts/imports/{imp.id}/errors.csv",
            **fields,
        )
