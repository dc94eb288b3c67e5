"""The console in Spanish: every string its templates show has a translation (in
bot/console/locale/es.po or bot/console/locale/es/*.po), and the merged catalog reads."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from bot.console.web import HERE, catalog

# Values shown through _() that are not literal strings in the templates.
SHOWN_VALUES = ("sent", "delivered", "failed", "pending", "replied", "organizer", "viewer", "admin")


def template_strings() -> set[str]:
    """Every literal _("...") of the templates, as Babel extracts them."""
    found = extract_from_dir(
        str(HERE / "templates"),
        method_map=[("**.html", "jinja2")],
        keywords={"_": None},
    )
    return {str(message) for _file, _line, message, _comments, _context in found if message}


def test_every_template_string_has_a_spanish_translation() -> None:
    strings = template_strings()
    assert len(strings) > 50  # the extraction found the templates' strings
    spanish = catalog("es").strings
    missing = sorted(s for s in strings | set(SHOWN_VALUES) if s not in spanish)
    assert not missing, f"strings without a Spanish translation: {missing}"


def test_placeholders_match_in_the_translations() -> None:
    spanish = catalog("es").strings
    for english, translated in spanish.items():
        wanted = set(re.findall(r"\{(\w+)\}", english))
        assert set(re.findall(r"\{(\w+)\}", translated)) == wanted, english


def test_the_catalog_merges_every_spanish_file() -> None:
    files = [Path(HERE / "locale" / "es.po"), *sorted((HERE / "locale" / "es").glob("*.po"))]
    assert catalog("es").strings and all(f.exists() for f in files)
