"""The hot path's SQL: one inbound message costs as few statements as the database allows.

SQLAlchemy Core statements are built once per dialect (or per shape) and reused, so a request
pays for executing statements, not for building them. Two units, each the same contract on
SQLite and PostgreSQL:

- `begin_inbound`: upsert the contact, insert the inbound message (a repeated MessageSid
  conflicts on its unique constraint), and read the conversation state.
- `write_back`: the contact's changes, consent events, the new state, the reply rows and the
  TwiML recorded on the inbound message.

PostgreSQL runs each unit as one statement with data-modifying CTEs (a round trip costs more
than the work); SQLite, which has no such CTEs but no round trips either, runs plain statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, cast, select, union_all, update
from sqlalchemy.dialects import postgresql

from bot.sql import upsert_insert
from bot.tables import CONSENT, CONTACTS, CONVERSATIONS, INBOUND, OUTBOUND

LAST_INBOUND = {"sms": "sms_last_inbound_at", "whatsapp": "whatsapp_last_inbound_at"}
CHANNELS = ("sms", "whatsapp", "console")
CONTACT_COLUMNS = ("id", "language", "opted_out", "reminders")
INBOUND_COLUMNS = ("message_sid", "channel", "to_address", "body", "num_media", "received_at")


@dataclass
class ContactState:
    """What the conversation reads and changes of a contact, and what it has to write."""

    id: int
    language: str | None
    opted_out: bool
    reminders: bool
    changes: dict[str, Any] = field(default_factory=dict)
    consent: list[dict[str, Any]] = field(default_factory=list)
    handoff: bool = False

    def set(self, **values: Any) -> None:
        """Change fields, remembering them for `write_back`."""
        for name, value in values.items():
            if name in ("language", "opted_out", "reminders"):
                setattr(self, name, value)
            self.changes[name] = value


def _contact_upsert(dialect: str, channel: str) -> Any:
    stmt = upsert_insert(dialect, CONTACTS).values(
        phone=bindparam("phone"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
        opted_out=False,
        reminders=False,
        **({LAST_INBOUND[channel]: bindparam("now")} if channel in LAST_INBOUND else {}),
    )
    changes = {"updated_at": stmt.excluded.updated_at}
    if channel in LAST_INBOUND:
        changes[LAST_INBOUND[channel]] = stmt.excluded[LAST_INBOUND[channel]]
    return stmt.on_conflict_do_update(index_elements=["phone"], set_=changes)


_STATE_OF = select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.contact_id == bindparam("cid"))


@cache
def _begin_statement(dialect: str, channel: str) -> Any:
    upsert = _contact_upsert(dialect, channel)
    columns = [CONTACTS.c[name] for name in CONTACT_COLUMNS]
    if dialect == "sqlite":
        # No data-modifying CTEs on SQLite: the inbound row and the state are read by
        # statements of their own (no round trips to save in an embedded database).
        return upsert.returning(*columns)
    contact = upsert.returning(*columns).cte("contact")
    inbound = (
        upsert_insert(dialect, INBOUND)
        .from_select(
            [*INBOUND_COLUMNS, "contact_id"],
            select(
                *(bindparam(name, type_=INBOUND.c[name].type) for name in INBOUND_COLUMNS),
                contact.c.id,
            ),
        )
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(INBOUND.c.id)
        .cte("inbound")
    )
    return select(
        *(contact.c[name] for name in CONTACT_COLUMNS),
        select(inbound.c.id).scalar_subquery().label("inbound_id"),
    )


@cache
def _insert_inbound(dialect: str) -> Any:
    values: dict[str, Any] = {name: bindparam(name) for name in (*INBOUND_COLUMNS, "contact_id")}
    return (
        upsert_insert(dialect, INBOUND)
        .values(values)
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(INBOUND.c.id)
    )


def begin_inbound(
    conn: Connection, channel: str, phone: str, inbound: dict[str, Any], now: Any
) -> tuple[ContactState, dict[str, Any] | None, int | None]:
    """Upsert the contact and record the inbound message; return the contact, its conversation
    state, and the inbound row's id (None when this MessageSid was seen before)."""
    dialect = conn.dialect.name
    row = conn.execute(
        _begin_statement(dialect, channel), {"phone": phone, "now": now, **inbound}
    ).one()
    contact = ContactState(row.id, row.language, row.opted_out, row.reminders)
    if dialect == "sqlite":
        inbound_id = conn.execute(
            _insert_inbound(dialect), {**inbound, "contact_id": row.id}
        ).scalar()
    else:
        inbound_id = row.inbound_id
    if inbound_id is None:
        return contact, None, None
    # A statement of its own, correlated by the contact's id: on PostgreSQL it also sees what
    # another message from this texter committed while this one waited for the contact's row
    # lock (a subquery of the upsert would not).
    state = conn.execute(_STATE_OF, {"cid": row.id}).scalar()
    return contact, state, inbound_id


@cache
def contact_update(columns: frozenset[str]) -> Any:
    """An UPDATE of these contact columns (and updated_at), by id; one per set of columns."""
    values: dict[str, Any] = {
        name: bindparam(f"v_{name}") for name in (*sorted(columns), "updated_at")
    }
    return update(CONTACTS).where(CONTACTS.c.id == bindparam("cid")).values(values)


@cache
def _state_upsert(dialect: str) -> Any:
    stmt = upsert_insert(dialect, CONVERSATIONS).values(
        contact_id=bindparam("cid"),
        state=bindparam("state", type_=CONVERSATIONS.c.state.type),
        last_activity_at=bindparam("now"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["contact_id"],
        set_={"state": stmt.excluded.state, "last_activity_at": stmt.excluded.last_activity_at},
    )


_SET_REPLY = (
    update(INBOUND).where(INBOUND.c.id == bindparam("iid")).values(reply_twiml=bindparam("twiml"))
)


def write_back(
    conn: Connection,
    contact: ContactState,
    state: dict[str, Any] | None,
    outbound: Sequence[dict[str, Any]],
    inbound_id: int,
    twiml: str,
    now: Any,
) -> None:
    """Persist one message's outcome: contact changes, consent, state, replies, TwiML."""
    params: dict[str, Any] = {
        "cid": contact.id,
        "state": state,
        "now": now,
        "iid": inbound_id,
        "twiml": twiml,
        "v_updated_at": now,
    }
    params.update({f"v_{name}": value for name, value in contact.changes.items()})
    if conn.dialect.name == "postgresql":
        for prefix, rows in (("e", contact.consent), ("o", outbound)):
            for i, row in enumerate(rows):
                params.update({f"{prefix}{i}_{name}": value for name, value in row.items()})
        shape = (frozenset(contact.changes), len(contact.consent), len(outbound))
        conn.execute(_write_back_cte(*shape), params)
        return
    if contact.changes:
        conn.execute(contact_update(frozenset(contact.changes)), params)
    if contact.consent:
        conn.execute(CONSENT.insert(), contact.consent)
    conn.execute(_state_upsert("sqlite"), params)
    if outbound:
        conn.execute(OUTBOUND.insert(), list(outbound))
    conn.execute(_SET_REPLY, params)


def _rows_insert(table: Table, prefix: str, count: int, columns: Sequence[str]) -> Any:
    # INSERT ... SELECT ... UNION ALL SELECT ...: unlike a multi-row VALUES, SQLAlchemy can
    # cache its compiled form. Casts give NULLs their column's type.
    rows = [
        select(*(cast(bindparam(f"{prefix}{i}_{name}"), table.c[name].type) for name in columns))
        for i in range(count)
    ]
    return postgresql.insert(table).from_select(
        list(columns), union_all(*rows) if count > 1 else rows[0]
    )


CONSENT_COLUMNS = (
    "contact_id",
    "kind",
    "channel",
    "source",
    "text",
    "organization_id",
    "created_at",
)
OUTBOUND_COLUMNS = (
    "contact_id",
    "inbound_id",
    "channel",
    "to_address",
    "body",
    "message_key",
    "language",
    "status",
    "twilio_sid",
    "error_code",
    "created_at",
    "updated_at",
)


@cache
def _write_back_cte(changed: frozenset[str], consent: int, outbound: int) -> Any:
    """One statement per shape (which columns changed, how many events and replies)."""
    ctes = [_state_upsert("postgresql").cte("state")]
    if changed:
        ctes.append(contact_update(changed).cte("contact"))
    if consent:
        ctes.append(_rows_insert(CONSENT, "e", consent, CONSENT_COLUMNS).cte("consent"))
    if outbound:
        ctes.append(_rows_insert(OUTBOUND, "o", outbound, OUTBOUND_COLUMNS).cte("outbound"))
    return _SET_REPLY.add_cte(*ctes)


def outbound_at(conn: Connection, inbound_id: int, position: int) -> int | None:
    """The id of the `position`-th reply (from 0) to an inbound message."""
    return conn.execute(
        select(OUTBOUND.c.id)
        .where(OUTBOUND.c.inbound_id == inbound_id)
        .order_by(OUTBOUND.c.id)
        .offset(position)
        .limit(1)
    ).scalar()
