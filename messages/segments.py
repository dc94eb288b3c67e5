"""SMS segment counting: GSM-7 (with its extension table) versus UCS-2, and what a text costs.

A message that fits in GSM-7 travels at 160 septets in one segment, 153 per segment once split
(the user-data header takes the rest); anything else is UCS-2 at 70 UTF-16 code units, 67 when
split. An extension character takes two septets and an astral character (emoji) two code units,
and neither is ever split across segments, so counting packs segments greedily, as carriers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels: its encoding, its length in units, and how many segments it takes."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    def cost(self, price_per_segment: Decimal) -> Decimal:
        """What sending this text once costs at the given price per segment."""
        return price_per_segment * self.segments


def is_gsm7(text: str) -> bool:
    """True when every character of the text has a GSM-7 encoding."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _unit_sizes(text: str, gsm: bool) -> list[int]:
    if gsm:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(sizes: list[int], per_segment: int) -> int:
    segments, used = 1, 0
    for size in sizes:
        if used + size > per_segment:
            segments, used = segments + 1, 0
        used += size
    return segments


def count_segments(text: str) -> SegmentInfo:
    """Encoding, length and number of segments of an SMS body."""
    gsm = is_gsm7(text)
    sizes = _unit_sizes(text, gsm)
    units = sum(sizes)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if gsm else (UCS2_SINGLE, UCS2_MULTI)
    if units == 0:
        return SegmentInfo("GSM-7" if gsm else "UCS-2", 0, 1)
    segments = 1 if units <= single else _pack(sizes, multi)
    return SegmentInfo("GSM-7" if gsm else "UCS-2", units, segments)
