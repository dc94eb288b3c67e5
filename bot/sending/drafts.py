"""What a blast is made of, checked: its text per language (or a catalog message), its audience,
its time, its WhatsApp templates; and a test send's number. The same checks for the API, the
command line and the console: each front end parses its input into a `BlastIn` and calls
`check_blast`, which raises `Invalid` or `Forbidden` saying what to change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import Connection

from bot.access import Caller
from bot.errors import Forbidden, Invalid
from bot.runtime import Runtime, operator_params
from bot.sending.render import Renderer
from bot.sending.sends import MAX_TEXT, Audience, SendError, fold_tag, organization_ids
from bot.settings import Settings
from bot.voter.elections import LINES, ONE_LINE, upcoming_election
from messages.catalog import CatalogError, Catalogs, is_list_key

EARLIEST = dt.timedelta(minutes=5)  # how far in the past a send_at may be (clocks differ)


LATEST = dt.timedelta(days=365)  # how far ahead


PARTNER_AUDIENCE = (
    "audience.organizations: a partner organization's blast goes to its own list only; "
    "leave organizations out (or name only your own)"
)


TEMPLATE_PATTERN = r"^HX[0-9a-fA-F]{32}$"


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT, pattern=LINES),
]


Template = Annotated[str, StringConstraints(strip_whitespace=True, pattern=TEMPLATE_PATTERN)]


Zip = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{5}$")]


Word = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=ONE_LINE)
]


# A language as the catalogs name them (en, zh-Hant); which ones exist is checked against them.
Language = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})?$")
]


Status = Literal["scheduled", "sending", "paused", "done", "cancelled"]


class AudienceIn(BaseModel):
    """Who a blast goes to. Every condition given must hold (any of the values named within
    one); opted-out contacts never, whatever the audience says."""

    model_config = ConfigDict(extra="forbid")

    organizations: list[Word] = Field(
        default_factory=list,
        max_length=200,
        description="slugs of the lists; a partner: its own only (the default); a coalition "
        "admin: any, or none for every organization's list",
    )
    languages: list[Language] = Field(
        default_factory=list, max_length=50, description="contacts' languages (catalog codes)"
    )
    zips: list[Zip] = Field(default_factory=list, max_length=10_000, examples=[["90012"]])
    counties: list[Word] = Field(
        default_factory=list, max_length=200, examples=[["Los Angeles County, CA"]]
    )
    tags: list[Word] = Field(
        default_factory=list, max_length=100, description="the lists' own labels (any of them)"
    )


class BlastIn(BaseModel):
    """A blast to create or to preview."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ONE_LINE),
    ]
    texts: dict[Language, Text] | None = Field(
        None,
        min_length=1,
        description="the text per language; a recipient whose language has none gets the "
        "default language's (TURNOUT_DEFAULT_LANGUAGE). The opt-out line is added unless the "
        "text says STOP",
        examples=[{"en": "Early voting starts Saturday!", "es": "¡El voto anticipado empieza!"}],
    )
    message_key: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$",
        description="or a catalog message, sent translated (instead of texts)",
    )
    audience: AudienceIn = Field(default_factory=AudienceIn)
    send_at: AwareDatetime | None = Field(
        None, description="with its offset or Z; now when omitted; at most a year ahead"
    )
    whatsapp_templates: dict[Language, Template] | None = Field(
        None,
        description="per language, the Content SID of an approved WhatsApp template, for "
        "contacts outside WhatsApp's 24-hour window",
    )
    holdout_share: float = Field(
        0.0,
        ge=0.0,
        le=0.5,
        description="the share of each block (organization × language) held back at random "
        "to measure the lift in turnout at the next election (docs/lift.md); 0: nobody",
    )

    @model_validator(mode="after")
    def _one_kind_of_text(self) -> BlastIn:
        if (self.texts is None) == (self.message_key is None):
            raise ValueError("give exactly one of texts (per language) or message_key")
        return self


class TestIn(BaseModel):
    """Where to send a test of a blast."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=40, pattern=ONE_LINE, examples=["+12135550100"])
    language: Language | None = Field(
        None, description="the text's language; the number's own by default"
    )


@dataclass(frozen=True)
class SendContext:
    """What checking and rendering a send needs: settings, the catalogs, operator variables."""

    settings: Settings
    catalogs: Catalogs
    params: Mapping[str, Any]

    @classmethod
    def of(cls, runtime: Runtime) -> SendContext:
        """From the app's runtime."""
        return cls(runtime.settings, runtime.catalogs, runtime.params)

    @classmethod
    def load(cls, settings: Settings) -> SendContext:
        """Without the rest of the runtime (the CLI)."""
        catalogs = Catalogs.load()
        return cls(settings, catalogs, operator_params(settings, catalogs))

    def renderer(self) -> Renderer:
        """A renderer of bodies, as the dispatcher renders them."""
        return Renderer(self.settings, self.catalogs, self.params)


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as aware UTC (SQLite gives UTC back without its zone)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def check_time(name: str, value: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A time to send at, as UTC: not in the past (a few minutes' grace), at most a year on."""
    if value.tzinfo is None:
        raise Invalid(f"{name}: give the time with its offset (2026-11-03T09:00:00-08:00)")
    value = value.astimezone(dt.UTC)
    if value < now - EARLIEST:
        raise Invalid(f"{name}: {value:%Y-%m-%d %H:%M} UTC is in the past")
    if value > now + LATEST:
        raise Invalid(f"{name}: more than a year ahead")
    return value


def check_languages(name: str, codes: Iterable[str], catalogs: Catalogs) -> None:
    """Every code a language with a catalog."""
    unknown = sorted(set(codes) - set(catalogs.languages))
    if unknown:
        raise Invalid(
            f"{name}: unknown language {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(catalogs.languages)}"
        )


def check_texts(conn: Connection, texts: Mapping[str, str], ctx: SendContext) -> None:
    """Known languages, and bodies within Twilio's limit once the opt-out line is added."""
    check_languages("texts", texts, ctx.catalogs)
    renderer = ctx.renderer()
    send = SimpleNamespace(id=0, kind="blast", texts=dict(texts), message_key=None)
    for language in texts:
        body = renderer.body(conn, send, language)
        if body is not None and len(body) > MAX_TEXT:
            raise Invalid(
                f"texts.{language}: {len(body)} characters with the opt-out line added; "
                f"the limit is {MAX_TEXT}"
            )


def check_message_key(key: str, ctx: SendContext) -> None:
    """A catalog message that can be sent as a blast, in every language."""
    if key not in ctx.catalogs.keys or is_list_key(key):
        raise Invalid(f"message_key: no message {key!r} in the catalogs")
    for language in ctx.catalogs.languages:
        try:
            ctx.catalogs.render(key, language, ctx.params)
        except CatalogError as exc:
            raise Invalid(
                f"message_key: {key!r} needs values a blast does not have ({exc}); "
                "send your own texts instead"
            ) from None


def audience_organizations(conn: Connection, *, caller: Caller, slugs: Sequence[str]) -> list[int]:
    """The lists a blast may go to: a partner's own (naming another, or one that does not
    exist, is the same refusal); for an admin, those named (all when none)."""
    wanted = list(dict.fromkeys(slugs))
    if not caller.is_admin:
        if any(slug != caller.slug for slug in wanted):
            raise Forbidden(PARTNER_AUDIENCE)
        return [caller.organization_id]
    found = organization_ids(conn, wanted)
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise Invalid(f"audience.organizations: no organization {', '.join(map(repr, unknown))}")
    return [found[slug] for slug in wanted]


def check_audience(
    conn: Connection, *, caller: Caller, body: AudienceIn, ctx: SendContext
) -> Audience:
    """The audience as a send stores it, or Invalid/Forbidden saying what is wrong."""
    check_languages("audience.languages", body.languages, ctx.catalogs)
    tags = []
    for tag in body.tags:
        folded = fold_tag(tag)
        if not folded:
            raise Invalid(f"audience.tags: {tag!r} has no letters or digits")
        tags.append(folded)
    audience = Audience(
        organizations=tuple(audience_organizations(conn, caller=caller, slugs=body.organizations)),
        languages=tuple(dict.fromkeys(body.languages)),
        zips=tuple(dict.fromkeys(body.zips)),
        counties=tuple(dict.fromkeys(body.counties)),
        tags=tuple(dict.fromkeys(tags)),
    )
    try:
        audience.zip_codes()
    except SendError as exc:
        raise Invalid(f"audience.counties: {exc}") from None
    return audience


def check_blast(
    conn: Connection, *, caller: Caller, body: BlastIn, ctx: SendContext, now: dt.datetime
) -> dict[str, Any]:
    """The values of the send a blast would be, every rule checked (nothing is written)."""
    if body.texts is not None:
        check_texts(conn, body.texts, ctx)
    if body.message_key is not None:
        check_message_key(body.message_key, ctx)
    templates = body.whatsapp_templates or None
    check_languages("whatsapp_templates", templates or {}, ctx.catalogs)
    send_at = check_time("send_at", body.send_at or now, now)
    audience = check_audience(conn, caller=caller, body=body.audience, ctx=ctx)
    check_holdout(conn, share=body.holdout_share, send_at=send_at)
    return {
        "kind": "blast",
        "organization_id": caller.organization_id,
        "name": body.name,
        "send_at": send_at,
        "texts": dict(body.texts) if body.texts else None,
        "message_key": body.message_key,
        "templates": templates,
        "audience": audience.to_json(),
    }


def check_holdout(conn: Connection, *, share: float, send_at: dt.datetime) -> dt.date | None:
    """The election a blast's holdout measures (the next one on or after its day), or None
    without a holdout; Invalid when there is no election to measure against."""
    if share <= 0:
        return None
    if not share <= 0.5:
        raise Invalid("holdout_share: between 0 and 0.5")
    election = upcoming_election(conn, today=send_at.date())
    if election is None:
        raise Invalid(
            "holdout_share: no election on or after the send's day to measure against; "
            "define the election first"
        )
    return election.date


def unsaved(values: Mapping[str, Any]) -> Any:
    """A send not stored, for `preview` and the renderer."""
    return SimpleNamespace(
        id=0,
        kind="blast",
        texts=values.get("texts"),
        message_key=values.get("message_key"),
        election_date=None,
    )
