"""Typed handles of every table, for SQLAlchemy Core statements (the hot paths and bulk work).

The ORM classes live in `bot.models` and `bot.voter.schema`; Core code reads their tables here,
typed as `Table`, instead of each module aliasing `Model.__table__` (which mypy cannot type).
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables on SQLModel.metadata)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


ORGANIZATIONS = _table("organizations")
CONTACTS = _table("contacts")
CONSENT = _table("consent_events")
CONVERSATIONS = _table("conversations")
INBOUND = _table("inbound_messages")
OUTBOUND = _table("outbound_messages")
HANDOFFS = _table("handoff_requests")
API_KEYS = _table("api_keys")
MEMBERSHIPS = _table("memberships")
IMPORTS = _table("contact_imports")
IMPORT_ERRORS = _table("contact_import_errors")
SENDS = _table("sends")
OUTBOX = _table("outbox")
SENDER_PACE = _table("sender_pace")
USERS = _table("users")
USER_ROLES = _table("user_roles")
INVITATIONS = _table("invitations")
CONSOLE_SESSIONS = _table("console_sessions")
SIGN_IN_FAILURES = _table("sign_in_failures")
AUDIT_EVENTS = _table("audit_events")
ELECTIONS = _table("elections")
PLACE_SOURCES = _table("place_sources")
POLLING_PLACES = _table("polling_places")
PLACE_HOURS = _table("place_hours")
PRECINCTS = _table("precincts")
PRECINCT_PLACES = _table("precinct_places")
STREET_SEGMENTS = _table("street_segments")
VOTER_ROLLS = _table("voter_rolls")
VOTERS = _table("voters")
VOTER_KEYS = _table("voter_keys")
REGISTRATION_CHECKS = _table("registration_checks")
TRANSLATIONS = _table("translations")
TRANSLATION_REVIEWERS = _table("translation_reviewers")
TRANSLATION_VERSION = _table("translation_version")
LIFT_EXPERIMENTS = _table("lift_experiments")
LIFT_SENDS = _table("lift_sends")
LIFT_ASSIGNMENTS = _table("lift_assignments")
LIFT_VOTES = _table("lift_votes")
LIFT_IMPORTS = _table("lift_imports")
