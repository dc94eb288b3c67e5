"""Voter-data lookups over a Connection: where to vote, and am I registered.

with engine.begin() as conn:
    answer = find_polling_places(conn, text_or_query="22932", today=today, language="es")
    status = check_registration(conn, contact_id=7, first="Ana", last="Ruiz",
                                dob_text="3/5/1980", zip="90057", language="es", today=today)
"""

from __future__ import annotations

from bot.voter.answers import (
    NextSteps,
    OfficeContact,
    OpenHours,
    PlaceAnswer,
    PlacesAnswer,
    RegistrationAnswer,
)
from bot.voter.place_lookup import find_polling_places
from bot.voter.roll_lookup import DAILY_LIMIT, active_roll, check_registration

__all__ = [
    "DAILY_LIMIT",
    "NextSteps",
    "OfficeContact",
    "OpenHours",
    "PlaceAnswer",
    "PlacesAnswer",
    "RegistrationAnswer",
    "active_roll",
    "check_registration",
    "find_polling_places",
]
