"""Tables. Times are timezone-aware UTC (SQLModel stores UTC and gives it back aware).

No citizenship or immigration status is ever asked or stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Organization(SQLModel, table=True):
    """A partner organization of the coalition."""

    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
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
    status: str = Field(max_length=16, index=True)  # replied, sent, delivered, failed ...
    twilio_sid: str | None = Field(default=None, max_length=64, unique=True)
    error_code: int | None = None
    created_at: datetime
    updated_at: datetime


class HandoffRequest(SQLModel, table=True):
    """A texter asked for a person; organizers answer from the console."""

    __tablename__ = "handoff_requests"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    status: str = Field(default="open", max_length=16)  # open, closed
    created_at: datetime
    updated_at: datetime
