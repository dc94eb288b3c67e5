"""Tables. Times are timezone-aware UTC (SQLModel stores UTC and gives it back aware).

No citizenship or immigration status is ever asked or stored.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class Organization(SQLModel, table=True):
    """A partner organization of the coalition."""

    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    # A coalition admin sees every organization's memberships and imports; a partner, its own.
    is_admin: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # When a person answers voters who ask for one: the bot says "soon" inside these local
    # hours and when outside them. Null: 09:00-18:00 in TURNOUT_TIMEZONE.
    staffed_from: time | None = None
    staffed_until: time | None = None
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime


class Contact(SQLModel, table=True):
    """One person, by phone number, across SMS and WhatsApp and every partner's list."""

    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True)  # E.164
    language: str | None = Field(default=None, max_length=16)
    language_source: str | None = Field(default=None, max_length=16)  # chosen, detected ...
    timezone: str | None = Field(default=None, max_length=64)
    opted_out: bool = Field(default=False)
    opted_out_at: datetime | None = None
    reminders: bool = Field(default=False)  # explicit YES to election reminders
    sms_last_inbound_at: datetime | None = None
    whatsapp_last_inbound_at: datetime | None = None  # opens WhatsApp's 24-hour window
    # The polling place the voter's own address was matched to, when they asked where to
    # vote ("<source name>|<the feed's place id>"): reminders name it. Not the address.
    polling_place_ref: str | None = Field(default=None, max_length=300)
    created_at: datetime
    updated_at: datetime


class ConsentEvent(SQLModel, table=True):
    """Every opt-in, opt-out, help, start and reminders choice: when, how, what was said."""

    __tablename__ = "consent_events"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    kind: str = Field(max_length=32)  # opt_in, opt_out, help, reminders_opt_in, ...
    channel: str = Field(max_length=16)  # sms, whatsapp, console, api, import
    source: str = Field(max_length=32)  # keyword, carrier, twilio_advanced_opt_out, menu ...
    text: str | None = Field(default=None, sa_column=Column(Text))
    organization_id: int | None = Field(default=None, foreign_key="organizations.id")
    created_at: datetime


class Conversation(SQLModel, table=True):
    """A contact's place in the flows, as the engine's JSON state."""

    __tablename__ = "conversations"

    contact_id: int = Field(foreign_key="contacts.id", primary_key=True)
    state: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    last_activity_at: datetime


class InboundMessage(SQLModel, table=True):
    """A message Twilio delivered to us, once per MessageSid, with the reply we gave."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("message_sid", name="uq_inbound_message_sid"),)

    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(max_length=64)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    channel: str = Field(max_length=16)
    to_address: str = Field(max_length=64)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    num_media: int = 0
    received_at: datetime
    reply_twiml: str | None = Field(default=None, sa_column=Column(Text))


class OutboundMessage(SQLModel, table=True):
    """One message to one recipient: a reply or a send, with its Twilio status."""

    __tablename__ = "outbound_messages"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    inbound_id: int | None = Field(default=None, foreign_key="inbound_messages.id")
    channel: str = Field(max_length=16)
    to_address: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    message_key: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16)
    status: str = Field(max_length=32, index=True)  # replied, sent, partially_delivered ...
    twilio_sid: str | None = Field(default=None, max_length=64, unique=True)
    error_code: int | None = None
    created_at: datetime
    updated_at: datetime


class HandoffRequest(SQLModel, table=True):
    """A texter asked for a person; organizers answer from the console. It belongs to the
    organizations whose lists hold the contact, else to the coalition (its admin
    organization): read from the memberships when shown, never stored."""

    __tablename__ = "handoff_requests"
    __table_args__ = (Index("ix_handoff_status_waiting", "status", "last_inbound_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    status: str = Field(default="open", max_length=16)  # open, closed
    channel: str | None = Field(default=None, max_length=16)  # as the voter wrote in
    language: str | None = Field(default=None, max_length=16)
    assigned_to: int | None = Field(default=None, foreign_key="users.id")
    assigned_at: datetime | None = None
    last_inbound_at: datetime | None = None  # the voter's last message
    first_answer_at: datetime | None = None  # a person's first reply
    last_answer_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key="users.id")
    close_reason: str | None = Field(default=None, max_length=16)  # closed, timeout, stop, menu
    created_at: datetime
    updated_at: datetime


class User(SQLModel, table=True):
    """A person who signs in to the console: an organizer, a viewer, a coalition admin."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # folded to lower case
    name: str | None = Field(default=None, max_length=200)
    password_hash: str | None = Field(default=None, max_length=200)  # argon2; none until set
    ui_language: str = Field(default="en", max_length=16)  # the console's own language
    speaks: list[str] | None = Field(default=None, sa_column=Column(JSON))  # voters' languages
    phone: str | None = Field(default=None, max_length=20)  # E.164: their own test sends
    disabled_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class UserRole(SQLModel, table=True):
    """A user's role in one organization (a person may belong to several)."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "organization_id", name="uq_user_role_org"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    role: str = Field(max_length=16)  # admin (of the admin organization), organizer, viewer
    created_at: datetime


class Invitation(SQLModel, table=True):
    """A one-time link to set a password (a new user, or a forgotten password); only its
    SHA-256 is kept."""

    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=254, index=True)
    organization_id: int = Field(foreign_key="organizations.id")
    role: str = Field(max_length=16)
    invited_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, this row its SHA-256."""

    __tablename__ = "console_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id")  # the one they act for now
    csrf_token: str = Field(max_length=64)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the absolute lifetime
    ended_at: datetime | None = None


class SignInFailure(SQLModel, table=True):
    """A failed sign-in, to slow and then refuse guessing, per account and per address."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failure_email", "email", "at"),
        Index("ix_sign_in_failure_address", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)  # the client's IP address
    at: datetime


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, in which organization (no voter's phone or text)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_org_at", "organization_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    user_id: int | None = Field(default=None, foreign_key="users.id")
    organization_id: int | None = Field(default=None, foreign_key="organizations.id")
    action: str = Field(max_length=64)  # handoff.reply, handoff.assign, user.invite ...
    subject: str | None = Field(default=None, max_length=100)  # "handoff:12", "user:3"
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class ApiKey(SQLModel, table=True):
    """A key to the admin API; only its SHA-256 is kept, the key is shown once."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    prefix: str = Field(max_length=16)  # the key's first characters, to tell keys apart
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class Membership(SQLModel, table=True):
    """A contact on one organization's list, with what that organization knows and its consent.

    The consent itself is in the consent log (an `opt_in` event per new membership); no
    import ever changes the contact's opt-out.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "contact_id", name="uq_membership_org_contact"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id")
    contact_id: int = Field(foreign_key="contacts.id")
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    zip: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    external_id: str | None = Field(default=None, max_length=64)  # VANID, Spoke external_id
    birth_date: date | None = None  # when the list gives it: vote-history matching (bot.lift)
    language: str | None = Field(default=None, max_length=16)
    opted_in_at: datetime | None = None  # when the organization collected the consent
    consent_source: str | None = Field(default=None, max_length=200)
    # The organization's own labels, folded and between bars ("|volunteer|guide-es|"), so that
    # a blast's audience can name a tag with one LIKE on either database.
    tags: str | None = Field(default=None, max_length=500)
    # The last import that listed this membership: how an import tells a phone it already
    # saw in the same file, even across a resume. A marker, hence no foreign key.
    last_import_id: int | None = None
    created_at: datetime
    updated_at: datetime


class ContactImport(SQLModel, table=True):
    """One partner list being imported: its consent basis, progress and counts."""

    __tablename__ = "contact_imports"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    status: str = Field(max_length=16)  # pending, running, done, failed
    dry_run: bool = False
    filename: str = Field(max_length=255)
    stored_path: str | None = Field(default=None, sa_column=Column(Text))  # to resume from
    consent_basis: str = Field(sa_column=Column(Text, nullable=False))
    consent_language: str = Field(max_length=16)
    consent_date: date | None = None
    consent_source: str | None = Field(default=None, max_length=200)
    mapping: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    file_info: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    position: int = 0  # records read after the header, blank ones included: where to resume
    rows: int = 0
    new_contacts: int = 0
    new_memberships: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    suppressed: int = 0
    warnings: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


class ContactImportError(SQLModel, table=True):
    """A problem with one row of an import: the row is rejected, or one value is left out."""

    __tablename__ = "contact_import_errors"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="contact_imports.id", index=True)
    row_number: int  # as a spreadsheet numbers it: the header is row 1
    column_name: str | None = Field(default=None, max_length=200)
    value: str | None = Field(default=None, max_length=200)
    problem: str = Field(max_length=500)
    rejected: bool  # true: the row was not imported; false: only this value was left out


class Send(SQLModel, table=True):
    """A blast, a test send, or one step of an election's reminder plan: what to say, to
    whom, when. Its recipients are rows of the outbox, created when it starts."""

    __tablename__ = "sends"
    __table_args__ = (
        UniqueConstraint("election_date", "reminder", name="uq_send_reminder"),
        UniqueConstraint("idempotency_key", name="uq_send_idempotency_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # blast, reminder, test, reply
    organization_id: int | None = Field(default=None, foreign_key="organizations.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="sends.id")  # a test's blast
    name: str = Field(max_length=200)
    # scheduled -> sending -> done; paused (and resumed); cancelled
    status: str = Field(max_length=16, index=True)
    send_at: datetime = Field(index=True)
    expires_at: datetime | None = None  # not worth sending after this (polls closed ...)
    texts: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))  # lang -> text
    message_key: str | None = Field(default=None, max_length=64)  # or a catalog message
    templates: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))  # WhatsApp
    audience: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    election_date: date | None = None  # reminders: the election they are for
    reminder: str | None = Field(default=None, max_length=32)  # reminders: the plan's step
    edited: bool = Field(default=False)  # an organizer set the time: the plan leaves it
    # A person's reply: the form's one-time token (a resubmission is the same reply), the
    # request it answers and who wrote it.
    idempotency_key: str | None = Field(default=None, max_length=64)
    handoff_id: int | None = Field(default=None, foreign_key="handoff_requests.id")
    author_id: int | None = Field(default=None, foreign_key="users.id")
    recipients: int | None = None  # outbox rows created when it started
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class OutboxMessage(SQLModel, table=True):
    """One recipient of one send: pending -> claimed -> sending -> sent -> delivered /
    undelivered / failed; or deferred (quiet hours), skipped (with the reason), review (in
    doubt after a crash and Twilio could not say)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("send_id", "contact_id", name="uq_outbox_send_contact"),
        Index("ix_outbox_due", "status", "available_at"),
        Index("ix_outbox_send_status", "send_id", "status"),
        Index("ix_outbox_contact_sending", "contact_id", "sending_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    send_id: int = Field(foreign_key="sends.id")
    contact_id: int = Field(foreign_key="contacts.id")
    language: str = Field(max_length=16)
    zip: str | None = Field(default=None, max_length=16)  # for the time zone
    listed: bool = Field(default=False)  # on a partner's list: consent to SMS
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=32)  # why skipped, failed or retried
    available_at: datetime  # not before (deferral, retry backoff)
    attempts: int = Field(default=0)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    channel: str | None = Field(default=None, max_length=16)  # chosen when sent
    to_address: str | None = Field(default=None, max_length=64)
    body: str | None = Field(default=None, sa_column=Column(Text))
    content_sid: str | None = Field(default=None, max_length=64)
    sending_at: datetime | None = None
    sent_at: datetime | None = None
    twilio_sid: str | None = Field(default=None, max_length=64, unique=True)
    error_code: int | None = None
    error_message: str | None = Field(default=None, max_length=300)
    created_at: datetime
    updated_at: datetime


class SenderPace(SQLModel, table=True):
    """The next free sending slot of one sender (a number, a messaging service, WhatsApp),
    shared by every dispatcher so that together they keep the carrier's rate."""

    __tablename__ = "sender_pace"

    sender: str = Field(primary_key=True, max_length=64)
    next_at: float  # Unix time of the next free slot


class Translation(SQLModel, table=True):
    """A coalition's own translation of one catalog message, edited in the console: a draft
    while it is worked on, then reviewed by a reviewer of its language. `reviewed_text` is
    what the bot says (over the catalog's text) from the moment it is marked reviewed."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("language", "key", name="uq_translation_language_key"),)

    id: int | None = Field(default=None, primary_key=True)
    language: str = Field(max_length=16)
    key: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))  # the working text
    state: str = Field(max_length=16)  # draft, reviewed
    reviewed_text: str | None = Field(default=None, sa_column=Column(Text))  # in effect
    previous_text: str | None = Field(default=None, sa_column=Column(Text))  # before it
    edited_by: int | None = Field(default=None, foreign_key="users.id")
    reviewed_by: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class TranslationReviewer(SQLModel, table=True):
    """A user who may review (edit and mark reviewed) one voters' language."""

    __tablename__ = "translation_reviewers"
    __table_args__ = (UniqueConstraint("user_id", "language", name="uq_reviewer_language"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    language: str = Field(max_length=16)
    created_at: datetime


class TranslationVersion(SQLModel, table=True):
    """One row: bumped whenever a reviewed translation changes, so that every process sees
    at a glance that its copy of the reviewed translations is out of date."""

    __tablename__ = "translation_version"

    id: int = Field(primary_key=True)
    version: int = Field(default=0)
    changed_at: datetime | None = None


from bot.lift import experiment as _lift_tables  # noqa: E402,F401  (the lift tables)
from bot.voter import schema as _voter_tables  # noqa: E402,F401  (register the voter tables)
