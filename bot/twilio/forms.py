"""The values of Twilio's webhook forms and query strings, checked before anything is stored.

Each function takes what the request carried and returns the value to use, or raises
`FormError` saying which field is wrong and why (the webhook answers 400 with it). Nothing a
sender wrote is echoed back: a wrong value is described, not quoted.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import Invalid
from bot.twilio.codes import known_status

MAX_BODY = 1600  # Twilio's limit for one message's text
MAX_ADDRESS = 64  # our columns for To and From
MAX_MEDIA = 10  # Twilio's limit of media items on one message
MAX_ID = 2_147_483_647  # our ids are 32-bit integers on PostgreSQL
MAX_REPLIES = 100  # positions of replies to one inbound message (`n` of a reply's callback)
MAX_ERROR_CODE = 999_999
_SID = re.compile(r"[A-Za-z]{2}[0-9a-fA-F]{32}")
_OUR_ADDRESS = re.compile(r"(?:whatsapp:)?\+?[0-9]{3,15}")  # a number or a short code
_WHOLE = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() would take ² or ① too
_KEEP = {"\n", "\r", "\t"}
OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})  # Twilio's Advanced Opt-Out


class FormError(Invalid):
    """A field of a Twilio request that we cannot take, and why."""


def message_sid(raw: str, name: str = "MessageSid") -> str:
    """A Twilio message SID: two letters and 32 hexadecimal digits."""
    value = raw.strip()
    if not _SID.fullmatch(value):
        raise FormError(f"{name}: not a Twilio message SID (two letters and 32 hex digits)")
    return value


def our_address(raw: str, name: str = "To") -> str:
    """The number a message was sent to (ours): a phone number or short code, maybe WhatsApp."""
    value = raw.strip()
    if len(value) > MAX_ADDRESS or not _OUR_ADDRESS.fullmatch(value):
        raise FormError(f"{name}: not a phone number or short code")
    return value


def body(raw: str) -> str:
    """A message's text without the characters that no person typed (NUL and other controls;
    line breaks and tabs stay); FormError past Twilio's 1,600 characters."""
    if len(raw) > MAX_BODY:
        raise FormError(f"Body: longer than Twilio's {MAX_BODY} characters")
    return "".join(ch for ch in raw if ch in _KEEP or unicodedata.category(ch) != "Cc")


def whole(raw: str | None, name: str, *, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits within [low, high]; None when absent."""
    value = (raw or "").strip()
    if not value:
        return None
    if not _WHOLE.fullmatch(value) or not low <= int(value) <= high:
        raise FormError(f"{name}: must be a whole number from {low} to {high}")
    return int(value)


def media_count(raw: str | None) -> int:
    """NumMedia: 0 to 10."""
    return whole(raw, "NumMedia", low=0, high=MAX_MEDIA) or 0


def error_code(raw: str | None) -> int | None:
    """ErrorCode of a status callback."""
    return whole(raw, "ErrorCode", low=0, high=MAX_ERROR_CODE)


def status(raw: str) -> str | None:
    """MessageStatus as Twilio documents it; None for any other value (answered, counted as
    unknown, never stored, logged or used as a metric label)."""
    return known_status(raw) if len(raw) <= 32 else None


def opt_out_type(raw: str | None) -> str | None:
    """OptOutType of Twilio's Advanced Opt-Out, when it is one of its three."""
    value = (raw or "").strip().upper()
    return value if value in OPT_OUT_TYPES else None
