"""The lift's tables: one experiment per election (its holdout share and seed), the sends that
count toward it, each contact's fixed assignment, the matched vote history, and the history
imports' reports. Nothing of a history file is kept but the matched contact, whether they voted,
how, and how they were matched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class LiftExperiment(SQLModel, table=True):
    """An election's holdout: the share held back and the seed that drew it. Fixed once made."""

    __tablename__ = "lift_experiments"

    id: int | None = Field(default=None, primary_key=True)
    election_date: dt.date = Field(unique=True)
    share: float
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    by_history: bool = False  # blocks also by first-time / infrequent voter
    created_at: dt.datetime


class LiftSend(SQLModel, table=True):
    """A send (a blast, a reminder step) that counts toward an experiment's measurement."""

    __tablename__ = "lift_sends"

    send_id: int = Field(foreign_key="sends.id", primary_key=True)
    experiment_id: int = Field(foreign_key="lift_experiments.id", index=True)


class LiftAssignment(SQLModel, table=True):
    """A contact's arm in an experiment: treated or control, never changed once drawn."""

    __tablename__ = "lift_assignments"
    __table_args__ = (
        UniqueConstraint("experiment_id", "contact_id", name="uq_lift_assignment"),
        Index("ix_lift_assignment_block", "experiment_id", "block"),
    )

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="lift_experiments.id")
    contact_id: int = Field(foreign_key="contacts.id")
    arm: str = Field(max_length=8)  # treated, control
    block: str = Field(max_length=120)  # "<org id>|<language>|<history class>"
    organization_id: int | None = Field(default=None, foreign_key="organizations.id")
    language: str = Field(max_length=16)
    history_class: str = Field(max_length=16)  # first_time, infrequent, regular, unknown
    channel: str = Field(max_length=16)  # sms, whatsapp: how they are reachable
    position: int  # the order of drawing within the block (appended, never reshuffled)
    assigned_at: dt.datetime


class LiftVote(SQLModel, table=True):
    """One matched contact's turnout in one election, from an official vote history."""

    __tablename__ = "lift_votes"
    __table_args__ = (UniqueConstraint("label", "contact_id", name="uq_lift_vote"),)

    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=32)  # the election's date (2026-11-03) or column (g2024)
    election_date: dt.date = Field(index=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    voted: bool
    method: str | None = Field(default=None, max_length=16)  # mail, early, polls, ...
    matched_by: str = Field(max_length=16)  # voter_id, keys, name_zip
    confidence: float
    household: int | None = Field(default=None, sa_column=Column(BigInteger))  # address hash
    import_id: int | None = None


class LiftImport(SQLModel, table=True):
    """One vote-history file read: rows, matches by method, rows that could not be read."""

    __tablename__ = "lift_imports"

    id: int | None = Field(default=None, primary_key=True)
    election_date: dt.date
    filename: str = Field(max_length=255)
    layout: str = Field(max_length=16)  # rows, columns
    status: str = Field(max_length=16)  # running, done, failed
    rows: int = 0
    unreadable: int = 0
    matched: int = 0
    counts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    problems: list[Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
