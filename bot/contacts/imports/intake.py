"""Contact imports as partners ask for them: a file, a consent basis, an optional mapping.

An import is refused before anything is stored when its consent basis is missing or its file
is not a list (empty, a header and nothing under it, not text at all) or has no phone column;
everything after that is recorded on the import as it goes.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session, col, select

from bot.access import Caller
from bot.contacts.imports.columns import MappingProblem, resolve
from bot.contacts.imports.languages import LanguageNames, LanguageProblem
from bot.contacts.imports.reader import FileProblem, open_table, require_rows, stream_to
from bot.errors import Invalid, NotFound
from bot.models import ContactImport, ContactImportError
from bot.settings import Settings

MIN_BASIS = 10
NO_HEADER = (
    "the first row looks like a contact, not a header: add a header row that names the "
    "columns (phone, first_name, zip ...)"
)
NUMBERS = re.compile(r"\d[\d\s().\-/]*\d")
MAX_MESSAGE = 1000  # characters of a refusal (it may name the file's headers, of any length)
BASIS_EXAMPLE = (
    "for example: 'Sign-up sheet at the Lunar New Year festival; the sheet said: Text me "
    "voting reminders from Chinatown Votes, reply STOP to stop'"
)


class ImportRefused(Invalid):
    """An import that cannot start; the message says what to change."""


@dataclass(frozen=True)
class ConsentBasis:
    """How and when a list's contacts agreed to be texted, and in what language they were
    asked. Rows may carry their own opt-in date and source."""

    description: str
    language: str
    collected_on: date | None = None
    source: str | None = None


def consent_basis(
    *,
    description: str | None,
    language: str | None,
    collected_on: date | None,
    source: str | None,
    languages: LanguageNames,
    today: date,
) -> ConsentBasis:
    """A validated consent basis, or ImportRefused saying what is missing."""
    text = " ".join((description or "").split())
    if len(text) < MIN_BASIS:
        raise ImportRefused(
            "a consent basis is required: say how and when these contacts agreed to be texted "
            f"and what they were told ({BASIS_EXAMPLE})"
        )
    try:
        code = languages.code(language or "")
    except LanguageProblem as exc:
        raise ImportRefused(f"consent language: {exc}") from None
    if code is None:
        raise ImportRefused(
            "consent language is required: the language the contacts were asked in (en, es, zh ...)"
        )
    if collected_on is not None and collected_on > today:
        raise ImportRefused("consent date is in the future")
    clean_source = " ".join((source or "").split())[:200] or None
    return ConsentBasis(text, code, collected_on, clean_source)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def looks_like_phone(cell: str) -> bool:
    """Whether a cell reads as a phone number (mostly digits, seven or more) rather than as a
    column's name: a file without a header starts with a contact."""
    digits = _digits(cell)
    return digits >= 7 and digits * 2 > len("".join(cell.split()))


def shortened(message: str, limit: int = MAX_MESSAGE) -> str:
    """A message that may quote a file's headers, made fit to show: any run of seven digits
    or more (a phone number in a row taken for the header) masked, and within `limit`
    characters, its start and its end kept (the end says the fix)."""
    message = NUMBERS.sub(lambda m: "[number]" if _digits(m[0]) >= 7 else m[0], message)
    if len(message) <= limit:
        return message
    tail = limit // 3
    return f"{message[: limit - tail - 5]} ... {message[-tail:]}"


def inspect_file(
    path: Path, mapping: Mapping[str, str] | None, basis: ConsentBasis
) -> dict[str, Any]:
    """Check a file can be imported (a table with rows under its header, a phone column, a
    date for every row) and say how it was read; ImportRefused otherwise."""
    try:
        with open_table(path) as table:
            header, info = table.header, dict(table.info)
            require_rows(table)
        columns = resolve(header, mapping)
    except MappingProblem as exc:
        if any(looks_like_phone(cell) for cell in header):
            raise ImportRefused(NO_HEADER) from None  # and no voter's number in the message
        raise ImportRefused(shortened(str(exc))) from None
    except FileProblem as exc:
        raise ImportRefused(shortened(str(exc))) from None
    if basis.collected_on is None and "opted_in_at" not in columns.index:
        raise ImportRefused(
            "say when the consent was collected: give a consent date, or a file with an "
            "opt-in date column"
        )
    return {**info, "columns": columns.describe(), "ignored": columns.ignored}


def create_import(
    *,
    session: Session,
    organization_id: int,
    filename: str,
    stored_path: Path,
    basis: ConsentBasis,
    mapping: Mapping[str, str] | None,
    dry_run: bool,
    now: datetime,
) -> ContactImport:
    """Record a pending import (the caller commits, then runs it)."""
    return record_import(
        session=session,
        organization_id=organization_id,
        filename=filename,
        stored_path=stored_path,
        basis=basis,
        mapping=mapping,
        dry_run=dry_run,
        info=inspect_file(stored_path, mapping, basis),
        now=now,
    )


def record_import(
    *,
    session: Session,
    organization_id: int,
    filename: str,
    stored_path: Path,
    basis: ConsentBasis,
    mapping: Mapping[str, str] | None,
    dry_run: bool,
    info: dict[str, Any],
    now: datetime,
) -> ContactImport:
    """The import's row, pending, with what was learnt of its file (`info`)."""
    row = ContactImport(
        organization_id=organization_id,
        status="pending",
        dry_run=dry_run,
        filename=clean_filename(filename),
        stored_path=str(stored_path),
        consent_basis=basis.description,
        consent_language=basis.language,
        consent_date=basis.collected_on,
        consent_source=basis.source,
        mapping=dict(mapping) if mapping else None,
        file_info=info,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def clean_filename(filename: str) -> str:
    """An uploaded file's name as stored and shown: its last part, without control characters
    (or text that is not Unicode), within the column's 255 characters."""
    name = Path(filename.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return name.strip()[:255] or "upload"


def consent_text(imp: ContactImport) -> str:
    """What the consent log says about an imported opt-in."""
    where = f"import #{imp.id}, {imp.filename}; asked in {imp.consent_language}"
    return f"{imp.consent_basis} [{where}]"


def error_rows(
    session: Session, import_id: int, *, chunk: int = 5000
) -> Iterator[ContactImportError]:
    """An import's problems in file order, read a chunk at a time."""
    last = 0
    while True:
        found = session.exec(
            select(ContactImportError)
            .where(ContactImportError.import_id == import_id, col(ContactImportError.id) > last)
            .order_by(col(ContactImportError.id))
            .limit(chunk)
        ).all()
        yield from found
        if len(found) < chunk:
            return
        last = found[-1].id or last


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`Header=field` pairs (the CLI's --map) as a mapping; ImportRefused when malformed."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, field = pair.rpartition("=")
        if not sep or not header.strip() or not field.strip():
            raise ImportRefused(f"--map {pair!r}: write it as 'Their Header=field'")
        mapping[header.strip()] = field.strip()
    return mapping


def spool_dir(settings: Settings) -> Path:
    """Where uploads wait (TURNOUT_IMPORT_DIR, else the system's temporary directory)."""
    path = Path(settings.import_dir or Path(tempfile.gettempdir()) / "turnout-imports")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def spool_upload(source: IO[bytes], filename: str, settings: Settings) -> Path:
    """Copy an upload to the spool directory, under a name of our own (its suffix kept);
    TooLarge past TURNOUT_IMPORT_MAX_BYTES, with nothing left behind."""
    suffix = Path(filename).suffix.lower()[:8]
    target = spool_dir(settings) / f"{uuid.uuid4().hex}{suffix}"
    try:
        stream_to(source, target, limit=settings.import_max_bytes)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def start_import(
    *,
    session: Session,
    caller: Caller,
    organization_id: int,
    path: Path,
    filename: str,
    basis: ConsentBasis,
    mapping: Mapping[str, str] | None,
    dry_run: bool,
    now: datetime,
) -> ContactImport:
    """Record an import of a spooled file for one of the caller's organizations; a refused
    one removes the file (the caller commits, then runs the import)."""
    caller.require_change()
    if not caller.can_see(organization_id):
        raise NotFound()
    try:
        return create_import(
            session=session,
            organization_id=organization_id,
            filename=filename,
            stored_path=path,
            basis=basis,
            mapping=mapping,
            dry_run=dry_run,
            now=now,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def list_imports(
    *, session: Session, caller: Caller, organization_id: int | None, limit: int = 200
) -> list[ContactImport]:
    """Imports, newest first: one organization's (the caller's own for a partner), or for an
    admin naming none, every one."""
    query = select(ContactImport).order_by(col(ContactImport.id).desc()).limit(limit)
    if organization_id is not None or not caller.is_admin:
        wanted = organization_id if organization_id is not None else caller.organization_id
        if not caller.can_see(wanted):
            raise NotFound()
        query = query.where(ContactImport.organization_id == wanted)
    return list(session.exec(query).all())


def visible_import(*, session: Session, caller: Caller, import_id: int) -> ContactImport:
    """An import the caller may see; NotFound otherwise (another's looks missing)."""
    imp = session.get(ContactImport, import_id)
    if imp is None or not caller.can_see(imp.organization_id):
        raise NotFound()
    return imp
