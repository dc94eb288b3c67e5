"""SMS segment counting: GSM-7 with its extension table versus UCS-2."""

from __future__ import annotations

from decimal import Decimal

import pytest

from messages.segments import count_segments, is_gsm7


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 159 + "€", "GSM-7", 161, 2),
        # 306 septets would fill two segments, but the escape and the € cannot be split
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("Más información", "UCS-2", 15, 1),  # á is not GSM-7: the whole text becomes UCS-2
        ("¿Dónde?", "UCS-2", 7, 1),
        ("Ñandú ü", "UCS-2", 7, 1),
        ("ñü¿¡ÄÖ", "GSM-7", 6, 1),
        ("中" * 70, "UCS-2", 70, 1),
        ("中" * 71, "UCS-2", 71, 2),
        ("中" * 134, "UCS-2", 134, 2),
        ("中" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # astral characters take two UTF-16 units
        ("a" * 68 + "😀", "UCS-2", 70, 1),
        ("a" * 69 + "😀", "UCS-2", 71, 2),
    ],
)
def test_count_segments(text: str, encoding: str, units: int, segments: int) -> None:
    info = count_segments(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments)


def test_emoji_never_split_across_segments() -> None:
    # 134 units would fit two 67-unit segments, but the emoji at units 67-68 cannot be split:
    # it moves to segment two, and the last "y" spills into a third.
    info = count_segments("x" * 66 + "😀" + "y" * 66)
    assert (info.units, info.segments) == (134, 3)


def test_cost() -> None:
    assert count_segments("中" * 135).cost(Decimal("0.0079")) == Decimal("0.0237")


def test_is_gsm7() -> None:
    assert is_gsm7("Hello {}[]~^|€\\")
    assert not is_gsm7("Tiếng Việt")
