"""Voter-data imports, in one place: polling places (with their elections) and the voter roll.

report = import_places(engine=engine, path=Path("vipfeed.zip"), now=utcnow())
report = import_voters(engine=engine, path=Path("roll.csv"), now=utcnow())
purge_voters(engine=engine)
"""

from __future__ import annotations

from bot.voter.bulk import ImportFailed, ImportReport, RowError
from bot.voter.place_import import import_places
from bot.voter.roll_import import import_voters, purge_voters

__all__ = [
    "ImportFailed",
    "ImportReport",
    "RowError",
    "import_places",
    "import_voters",
    "purge_voters",
]
