"""Who is asking: an organization's key or user, in a role; the one place roles are read.

Every service that reads or changes an organization's things takes a `Caller`. A partner's
caller sees its own organization only (another's things are `NotFound`, exactly as missing
ones); a coalition admin (of the coalition's admin organization) sees every organization;
a viewer reads and changes nothing. The command line's operator is a coalition admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import Forbidden


class Role(StrEnum):
    """What a person (or key) may do in an organization."""

    ADMIN = "admin"  # of the coalition's admin organization: everything, everywhere
    ORGANIZER = "organizer"  # their organization's inbox, blasts, imports ...
    VIEWER = "viewer"  # reads only


@dataclass(frozen=True)
class Caller:
    """The organization a request acts for, and the role it acts in."""

    organization_id: int
    role: Role
    slug: str = ""
    user_id: int | None = None  # a console user
    key_id: int | None = None  # an API key

    @property
    def is_admin(self) -> bool:
        """A coalition admin: sees and acts on every organization's things."""
        return self.role is Role.ADMIN

    def can_see(self, organization_id: int | None) -> bool:
        """Whether this caller may see an organization's things."""
        return self.is_admin or (
            organization_id is not None and organization_id == self.organization_id
        )

    def require_change(self) -> None:
        """Refuse a viewer: changing anything needs an organizer or an admin."""
        if self.role is Role.VIEWER:
            raise Forbidden("viewers can read but not change anything")

    def require_admin(self) -> None:
        """Refuse anyone but a coalition admin."""
        if not self.is_admin:
            raise Forbidden("this needs a coalition admin")


def operator(organization_id: int = 0) -> Caller:
    """The person at the command line: a coalition admin."""
    return Caller(organization_id=organization_id, role=Role.ADMIN, slug="operator")
