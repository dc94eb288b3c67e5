"""The blast composer's holdout field (bot/console/templates/blast_holdout.html): the share
held back, typed as a percentage. Kept apart from `bot.console.lift` so that the blasts page
can read it without importing the lift page."""

from __future__ import annotations

from typing import Any

INVALID = -1.0  # refused by BlastIn (0 to 0.5), which says what to change


def holdout_share(form: Any) -> float:
    """The form's `holdout_percent` (0 to 50) as a share; 0 when left empty."""
    raw = str(form.get("holdout_percent") or "").strip().rstrip("%").replace(",", ".")
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        return INVALID
    return value / 100 if value == value else INVALID
