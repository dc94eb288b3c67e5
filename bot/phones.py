"""Phone numbers: Twilio addresses to (channel, E.164), and masking for logs.

Only ASCII digits ever reach E.164: digits of other scripts (٢١٣, ２１３) are read as the digits
they are; letters (1-800-FLOWERS), extensions and other channels' addresses (messenger:...)
are refused with the reason, and so is the coalition's own number as a contact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from bot.errors import Invalid

WHATSAPP_PREFIX = "whatsapp:"
MAX_RAW = 64  # characters of a phone as written that are worth reading
# What Twilio sends is already E.164: the webhook need not parse it again. ASCII digits only
# (`\d` would take any script's).
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{1,20}):")
_EXTENSION = re.compile(r"(?i)(?:ext\.?|extension|x|#)\s*[0-9]+\s*$")


_ERRORS = phonenumbers.NumberParseException
_PARSE_REASONS = {
    _ERRORS.INVALID_COUNTRY_CODE: "not a phone number: no such country code",
    _ERRORS.NOT_A_NUMBER: "not a phone number",
    _ERRORS.TOO_SHORT_AFTER_IDD: "not a phone number: too short",
    _ERRORS.TOO_SHORT_NSN: "not a phone number: too short",
    _ERRORS.TOO_LONG: "not a phone number: too long",
}


class AddressError(Invalid):
    """An address that is not a usable phone number."""


@dataclass(frozen=True)
class Address:
    """Where a message came from or goes to: the channel and the E.164 number."""

    channel: str  # "sms" or "whatsapp"
    phone: str

    @property
    def twilio(self) -> str:
        """The address as Twilio writes it (`whatsapp:+1...` for WhatsApp)."""
        return f"{WHATSAPP_PREFIX}{self.phone}" if self.channel == "whatsapp" else self.phone


def ascii_digits(text: str) -> str:
    """Digits of any script as ASCII digits (٢١٣ and ２１３ are 213); the rest as it is."""
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text
    )


def plain_number(raw: str) -> str:
    """A phone as written, checked for what phonenumbers would quietly accept: letters
    (vanity numbers), an extension, another channel's scheme. AddressError says which."""
    value = ascii_digits(unicodedata.normalize("NFKC", raw)).strip()
    if len(value) > MAX_RAW:
        raise AddressError(f"not a phone number: longer than {MAX_RAW} characters")
    if _EXTENSION.search(value) and len(re.sub(r"[^0-9]", "", value)) > 10:
        raise AddressError("a phone number with an extension cannot receive texts")
    if any(ch.isalpha() for ch in value):
        raise AddressError("not a phone number: it has letters (write the digits)")
    if any(unicodedata.category(ch)[0] == "C" for ch in value):
        raise AddressError("not a phone number: it has control characters")
    return value


def to_e164(number: str, region: str = "US") -> str:
    """Normalize a phone number to E.164 (ASCII digits), or raise AddressError saying why."""
    value = plain_number(number)
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "not a phone number")
        raise AddressError(reason) from None
    if parsed.extension:
        raise AddressError("a phone number with an extension cannot receive texts")
    if not phonenumbers.is_possible_number(parsed):
        raise AddressError("not a possible phone number (wrong length)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_address(raw: str, region: str = "US") -> Address:
    """Split a Twilio `From`/`To` value into channel and E.164 number (SMS or WhatsApp only)."""
    value = raw.strip()
    channel = "sms"
    if value.lower().startswith(WHATSAPP_PREFIX):
        channel, value = "whatsapp", value[len(WHATSAPP_PREFIX) :]
    elif _SCHEME.match(value) and not value.lower().startswith("tel:"):
        raise AddressError("only SMS and WhatsApp addresses (a phone number, or whatsapp:+1...)")
    value = value.removeprefix("tel:").removeprefix("TEL:")
    return Address(channel, value if _E164.fullmatch(value) else to_e164(value, region))


def contact_number(raw: str, region: str, ours: Iterable[str | None]) -> str:
    """A voter's phone as a contact's E.164 number: never one of the coalition's own."""
    phone = parse_address(raw, region).phone
    if phone in {parse_address(n, region).phone for n in ours if n}:
        raise AddressError("that is the coalition's own number, not a voter's")
    return phone


def mask(phone: str | None) -> str:
    """A phone number with all but the last four digits hidden, for logs."""
    if not phone:
        return "-"
    digits = [ch for ch in phone if ch.isdigit()]
    return "…" + "".join(digits[-4:]) if len(digits) > 4 else "…"
