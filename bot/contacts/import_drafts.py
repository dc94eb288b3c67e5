"""Imports as the console makes them: an upload is first a draft (spooled, recorded as a
pending dry run that nothing runs), previewed row by row as Turnout reads it, its column
mapping fixed by the organizer, then confirmed (the same import, no longer a dry run, run by
`bot.contacts.imports.runner` as the API runs it) or discarded.

A draft may lack what an import needs (a phone column, a consent date): the preview says so
and the organizer fixes the mapping; confirming checks the file exactly as the API does
(`intake.inspect_file`). A file that is not a list at all is refused before anything is
stored, as the API refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session

from bot.access import Caller
from bot.contacts.imports import intake
from bot.contacts.imports.columns import HEADERS, IGNORE, IMPORTED, MappingProblem, fold, resolve
from bot.contacts.imports.intake import ConsentBasis, ImportRefused
from bot.contacts.imports.reader import FileProblem, open_table, require_rows
from bot.contacts.imports.runner import STALE, ImportOptions, row_normalizer
from bot.errors import Conflict, Invalid, NotFound
from bot.models import ContactImport
from bot.tables import IMPORTS

DRAFT = "console_draft"  # file_info's mark of an upload waiting for its organizer
RAW_ROWS = 5
PREVIEW_ROWS = 20
_RANK = {fold(h): (f, r) for f, names in HEADERS.items() for r, h in enumerate(names)}


def is_draft(imp: ContactImport) -> bool:
    """An upload the console holds for its organizer to check before it is imported."""
    return bool(
        imp.dry_run and imp.status == "pending" and (imp.file_info or {}).get(DRAFT) is True
    )


def resumable(imp: ContactImport, now: datetime) -> bool:
    """Whether an import stopped part-way (a crash, a restart) and can go on from where it
    stopped: failed or silent for a while, with its file still there."""
    if imp.dry_run or imp.status == "done" or not imp.stored_path:
        return False
    stuck = imp.status == "running" and _aware(imp.updated_at) < now - STALE
    return (imp.status == "failed" or stuck) and Path(imp.stored_path).is_file()


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def guess(header: list[str], mapping: Mapping[str, str] | None) -> list[str]:
    """The field each column is read as (IGNORE for none): the mapping first, then the
    recognized headers, as `columns.resolve` does, without requiring a phone column."""
    chosen: dict[int, str] = {}
    folded = {fold(h): i for i, h in reversed(list(enumerate(header)))}
    for name, target in (mapping or {}).items():
        wanted = target.strip().lower()
        if fold(name) in folded and wanted in (*IMPORTED, IGNORE):
            chosen.setdefault(folded[fold(name)], wanted)
    taken = set(chosen.values())
    best: dict[str, tuple[int, int]] = {}
    for i, name in enumerate(header):
        if i in chosen or fold(name) not in _RANK:
            continue
        found, rank = _RANK[fold(name)]
        if found not in taken and (found not in best or rank < best[found][0]):
            best[found] = (rank, i)
    for found, (_rank, i) in best.items():
        chosen[i] = found
    return [chosen.get(i, IGNORE) for i in range(len(header))]


def _problems(
    header: list[str], mapping: Mapping[str, str] | None, basis: ConsentBasis
) -> list[str]:
    try:
        columns = resolve(header, mapping)
    except MappingProblem as exc:
        return [intake.shortened(str(exc))]
    if basis.collected_on is None and "opted_in_at" not in columns.index:
        return [
            "say when the consent was collected: this upload gives no consent date, so choose "
            "the column that holds each row's opt-in date (or upload again with a date)"
        ]
    return []


def inspect_draft(
    path: Path, mapping: Mapping[str, str] | None, basis: ConsentBasis
) -> dict[str, Any]:
    """How a file reads (format, encoding, delimiter, its columns, how many records follow
    the header); ImportRefused for a file that is not a list at all."""
    try:
        with open_table(path) as table:
            header, info = table.header, dict(table.info)
            require_rows(table)
            records = 1 + sum(1 for _ in table.rows)
    except FileProblem as exc:
        raise ImportRefused(intake.shortened(str(exc))) from None
    if "phone" not in guess(header, mapping) and any(map(intake.looks_like_phone, header)):
        raise ImportRefused(intake.NO_HEADER)
    try:
        columns = resolve(header, mapping)
        described: dict[str, Any] = {"columns": columns.describe(), "ignored": columns.ignored}
    except MappingProblem:
        described = {"columns": {}, "ignored": [h for h in header if h]}
    # records: the rows read after the header once the header itself is found; approximately
    # what `position` reaches at the end (blank lines before the header aside).
    return {**info, **described, "records": records, DRAFT: True}


def create_draft(
    *,
    session: Session,
    caller: Caller,
    organization_id: int,
    path: Path,
    filename: str,
    basis: ConsentBasis,
    now: datetime,
) -> ContactImport:
    """Record an upload as a draft of one of the caller's organizations (the caller commits);
    a refused file is removed."""
    try:
        caller.require_change()
        if not caller.can_see(organization_id):
            raise NotFound()
        return intake.record_import(
            session=session,
            organization_id=organization_id,
            filename=filename,
            stored_path=path,
            basis=basis,
            mapping=None,
            dry_run=True,
            info=inspect_draft(path, None, basis),
            now=now,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def basis_of(imp: ContactImport) -> ConsentBasis:
    """A recorded import's consent basis."""
    return ConsentBasis(
        imp.consent_basis, imp.consent_language, imp.consent_date, imp.consent_source
    )


@dataclass
class PreviewRow:
    """One row as Turnout reads it: its values by field (None: rejected) and problems."""

    number: int
    values: dict[str, Any] | None
    problems: list[tuple[str | None, str | None, str, bool]] = field(default_factory=list)


@dataclass
class Preview:
    """A draft's first rows, raw and as read, with its column choices and their problems."""

    header: list[str]
    chosen: list[str]
    raw: list[tuple[int, list[str]]]
    rows: list[PreviewRow]
    problems: list[str]
    fields: list[str]  # the fields read, in IMPORTED order, for the table's columns
    info: dict[str, Any]


def preview(
    imp: ContactImport,
    options: ImportOptions,
    *,
    now: datetime,
    mapping: Mapping[str, str] | None = None,
    limit: int = PREVIEW_ROWS,
) -> Preview:
    """The first rows of a draft's file as the import would read them (with `mapping`, a
    mapping being tried, instead of the draft's own)."""
    wanted = imp.mapping if mapping is None else mapping
    basis = basis_of(imp)
    try:
        with open_table(Path(imp.stored_path or "")) as table:
            header = table.header
            rows = [(n, cells) for n, cells in _take(table.rows, limit)]
    except FileProblem as exc:
        raise ImportRefused(intake.shortened(str(exc))) from None
    problems = _problems(header, wanted, basis)
    read: list[PreviewRow] = []
    fields: list[str] = []
    if not problems or problems[0].startswith("say when"):
        columns = resolve(header, wanted)
        fields = [f for f in IMPORTED if f in columns.index or f in ("phone", "opted_in_at")]
        normalize = row_normalizer(imp, columns, options, now)
        for number, cells in rows:
            values, found = normalize(number, cells)
            if values is None and not found:
                continue  # a blank line: not a row
            shown = None if values is None else dict(zip(IMPORTED, values, strict=True))
            read.append(
                PreviewRow(
                    number,
                    shown,
                    [(p.column, p.value, p.problem, p.rejected) for p in found],
                )
            )
    return Preview(
        header=header,
        chosen=guess(header, wanted),
        raw=[(n, c) for n, c in rows if any(x.strip() for x in c)][:RAW_ROWS],
        rows=read,
        problems=problems,
        fields=fields,
        info=dict(imp.file_info or {}),
    )


def _take(rows: Any, limit: int) -> list[tuple[int, list[str]]]:
    taken: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if any(c.strip() for c in cells):
            taken.append((number, cells))
        if len(taken) >= limit:
            break
    return taken


def mapping_from(header: list[str], chosen: Mapping[int, str]) -> dict[str, str]:
    """The mapping a form's selects give (column index → field), every named column in it;
    Invalid for a field that is not one."""
    mapping: dict[str, str] = {}
    for index, name in enumerate(header):
        if not name:
            continue
        wanted = chosen.get(index, IGNORE)
        if wanted not in (*IMPORTED, IGNORE):
            raise Invalid(f"column {name!r}: choose one of the fields", where=f"map-{index}")
        mapping.setdefault(name, wanted)
    return mapping


def _draft(session: Session, caller: Caller, import_id: int) -> ContactImport:
    caller.require_change()
    imp = intake.visible_import(session=session, caller=caller, import_id=import_id)
    if not is_draft(imp):
        raise Conflict("this import has started already: its file can no longer be changed")
    return imp


def set_mapping(
    *, session: Session, caller: Caller, import_id: int, mapping: dict[str, str], now: datetime
) -> ContactImport:
    """Read a draft's file with another mapping; Invalid (nothing stored) when the mapping
    does not work: two columns for one field, or no phone column."""
    imp = _draft(session, caller, import_id)
    path = Path(imp.stored_path or "")
    with open_table(path) as table:
        header = table.header
    try:
        columns = resolve(header, mapping)
    except MappingProblem as exc:
        raise Invalid(intake.shortened(str(exc))) from None
    info = {
        **(imp.file_info or {}),
        "columns": columns.describe(),
        "ignored": columns.ignored,
    }
    session.connection().execute(
        update(IMPORTS)
        .where(IMPORTS.c.id == imp.id)
        .values(mapping=mapping, file_info=info, updated_at=now)
    )
    session.expire(imp)
    return imp


def confirm(*, session: Session, caller: Caller, import_id: int, now: datetime) -> ContactImport:
    """Turn a draft into the import (the caller commits, then runs it); ImportRefused, the
    draft kept, when the file cannot be imported as mapped."""
    imp = _draft(session, caller, import_id)
    path = Path(imp.stored_path or "")
    info = intake.inspect_file(path, imp.mapping, basis_of(imp))
    records = (imp.file_info or {}).get("records")
    changed = (
        session.connection()
        .execute(
            update(IMPORTS)
            .where(
                IMPORTS.c.id == imp.id, IMPORTS.c.status == "pending", IMPORTS.c.dry_run.is_(True)
            )
            .values(dry_run=False, file_info={**info, "records": records}, updated_at=now)
        )
        .rowcount
    )
    if not changed:
        raise Conflict("this import has started already")
    session.expire(imp)
    return imp


def discard(*, session: Session, caller: Caller, import_id: int) -> str:
    """Forget a draft and its file; the file's name."""
    imp = _draft(session, caller, import_id)
    session.connection().execute(delete(IMPORTS).where(IMPORTS.c.id == imp.id))
    Path(imp.stored_path or "").unlink(missing_ok=True)
    return imp.filename


def restartable(
    *, session: Session, caller: Caller, import_id: int, now: datetime
) -> ContactImport:
    """An interrupted import of the caller's, to run again from where it stopped; Conflict
    for one that is not interrupted."""
    caller.require_change()
    imp = intake.visible_import(session=session, caller=caller, import_id=import_id)
    if not resumable(imp, now):
        raise Conflict("this import is not interrupted: it is running, finished or a draft")
    return imp


def progress(imp: ContactImport) -> dict[str, Any]:
    """How far an import is: records read of those in the file, and its counts."""
    total = int((imp.file_info or {}).get("records") or 0)
    done = imp.position if imp.status != "done" else max(imp.position, total)
    total = max(total, done, 1)
    return {
        "done": done,
        "total": total,
        "percent": 100 if imp.status == "done" else min(100, done * 100 // total),
        "merged": imp.updated + imp.unchanged + imp.duplicates,
        "finished": imp.status in ("done", "failed"),
    }
