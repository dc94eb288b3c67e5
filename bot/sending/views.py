"""What a blast's (or a reminder's) page shows: its counts, its test sends, its preview of
recipients, segments and cost per language. Plain values, for every front end."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class AudienceOut(BaseModel):
    """A blast's audience, organizations by slug (empty: every organization's list)."""

    organizations: list[str]
    languages: list[str]
    zips: list[str]
    counties: list[str]
    tags: list[str]


class Counts(BaseModel):
    """What became of a send's messages so far (zero before it starts)."""

    recipients: int = Field(description="outbox rows: one per recipient")
    queued: int
    deferred: int = Field(description="waiting for the recipient's allowed hours")
    sending: int
    sent: int = Field(description="handed to Twilio, no delivery report yet")
    delivered: int
    failed: int
    review: int = Field(description="outcome unknown after a crash: an operator decides")
    skipped: dict[str, int] = Field(
        description="by reason: opted_out, cancelled, expired (not sent before its expiry), "
        "frequency_cap, whatsapp_window, no_channel, no_text"
    )
    failed_by_error: dict[str, int] = Field(description="by Twilio error code")


class TestOut(BaseModel):
    """A test send of a blast and what became of it."""

    id: int
    to: str = Field(description="the phone, masked")
    language: str | None
    status: str = Field(description="the test send's status")
    outcome: str | None = Field(description="its message's status once started: sent, ...")
    reason: str | None
    error_code: int | None
    created_at: dt.datetime


class HoldoutBlock(BaseModel):
    """Treated and control counts of one block (organization × language × voter history)."""

    organization: str | None
    language: str
    history: str = Field(description="first_time, infrequent, regular, or unknown")
    treated: int
    control: int


class HoldoutOut(BaseModel):
    """The lift holdout a send counts toward: its election, share and counts per block
    (among the send's recipients once it started; everyone assigned so far before)."""

    election_date: dt.date
    share: float = Field(description="the share of each block held back (0 to 0.5)")
    treated: int
    control: int
    blocks: list[HoldoutBlock]


class HoldoutPreview(BaseModel):
    """What a holdout would tell: arm sizes and the minimum detectable effect (80% power,
    two-sided 5%) at a baseline turnout."""

    share: float
    treated: int
    control: int
    baseline: float = Field(description="turnout assumed without messages (0 to 1)")
    minimum_detectable_effect: float | None = Field(
        description="in turnout share (0.02 = 2 points); null when an arm is empty"
    )


class BlastOut(BaseModel):
    """A blast, its state and its counts."""

    id: int
    name: str
    organization: str
    status: str = Field(description="scheduled, sending, paused, done or cancelled")
    send_at: dt.datetime
    texts: dict[str, str] | None
    message_key: str | None
    audience: AudienceOut
    whatsapp_templates: dict[str, str] | None
    recipients: int | None = Field(description="set when it starts")
    counts: Counts
    tests: list[TestOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    holdout: HoldoutOut | None = Field(None, description="its lift holdout, if it has one")


class LanguagePreview(BaseModel):
    """What the recipients of one language would get."""

    language: str
    recipients: int
    text: str = Field(description="the body as sent, the opt-out line included")
    text_language: str = Field(description="the language the text is in")
    fallback: bool = Field(description="the language has no text: the default language's")
    characters: int
    encoding: str = Field(description="GSM-7 or UCS-2")
    segments: int
    estimated_cost: str = Field(description="recipients × segments × cost per segment")


class PreviewOut(BaseModel):
    """Who a blast would reach and what it would cost. Costs are decimal strings in the
    currency of TURNOUT_COST_PER_SEGMENT, rounded to cents, counted as SMS (a WhatsApp
    template is priced per conversation instead)."""

    recipients: int = Field(description="every contact in the audience, once")
    languages: list[LanguagePreview]
    without_text: dict[str, int] = Field(
        description="recipients per language with no text and no default: they are skipped"
    )
    cost_per_segment: str
    estimated_cost: str
    holdout: HoldoutPreview | None = Field(None, description="with a holdout_share")


class TestCreated(BaseModel):
    """A test send, queued for the dispatcher (quiet hours and the daily cap do not apply;
    an opt-out does)."""

    id: int
    blast_id: int
    to: str
    language: str | None
    status: str
    send_at: dt.datetime
