"""Phone numbers: Twilio addresses to (channel, E.164), and masking for logs."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from bot.errors import Invalid

WHATSAPP_PREFIX = "whatsapp:"
# What Twilio sends is already E.164: the webhook need not parse it again.
_E164 = re.compile(r"\+[1-9]\d{7,14}")


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


def to_e164(number: str, region: str = "US") -> str:
    """Normalize a phone number to E.164, or raise AddressError saying why."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise AddressError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise AddressError("not a possible phone number (wrong length)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_address(raw: str, region: str = "US") -> Address:
    """Split a Twilio `From`/`To` value into channel and E.164 number."""
    value = raw.strip()
    channel = "sms"
    if value.lower().startswith(WHATSAPP_PREFIX):
        channel, value = "whatsapp", value[len(WHATSAPP_PREFIX) :]
    return Address(channel, value if _E164.fullmatch(value) else to_e164(value, region))


def mask(phone: str | None) -> str:
    """A phone number with all but the last four digits hidden, for logs."""
    if not phone:
        return "-"
    digits = [ch for ch in phone if ch.isdigit()]
    return "…" + "".join(digits[-4:]) if len(digits) > 4 else "…"
