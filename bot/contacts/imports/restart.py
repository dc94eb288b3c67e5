"""Imports interrupted by a crash or a restart, picked up again without a person: a `running`
import not heard from for `runner.STALE` is resumed from its recorded position by the
scheduler role (the same `run_import` a person's `turnout contacts resume ID` runs, so the
guarantees are the same: nothing merged twice, opt-outs untouched)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from bot.contacts.imports.runner import STALE, ImportBusy, ImportOptions, claim, run_import
from bot.tables import IMPORTS

log = logging.getLogger(__name__)


def stalled(engine: Engine, now: datetime) -> list[tuple[int, str]]:
    """Imports left `running` by a process that stopped (their id and file)."""
    i = IMPORTS.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(i.id, i.stored_path)
            .where(
                i.status == "running",
                i.dry_run.is_(False),
                i.updated_at < now - STALE,
                i.stored_path.is_not(None),
            )
            .order_by(i.id)
        )
        return [(int(r.id), str(r.stored_path)) for r in rows if Path(r.stored_path).exists()]


def resume_stalled(
    engine: Engine, options: ImportOptions, now: datetime, *, wait: bool = False
) -> list[int]:
    """Resume every stalled import, each in its own thread (an import may take minutes);
    with `wait`, return when they are done. The ids resumed."""
    started: list[tuple[int, threading.Thread]] = []
    for import_id, path in stalled(engine, now):
        thread = threading.Thread(
            target=_resume,
            args=(engine, import_id, options, Path(path)),
            name=f"import-{import_id}",
            daemon=True,
        )
        thread.start()
        started.append((import_id, thread))
    if wait:
        for _, thread in started:
            thread.join()
    return [import_id for import_id, _ in started]


def _resume(engine: Engine, import_id: int, options: ImportOptions, path: Path) -> None:
    log.info("import %d was interrupted: resuming it", import_id)
    try:
        claim(engine, import_id, options.clock())  # refused if another process took it
    except ImportBusy:
        log.info("import %d is being resumed elsewhere", import_id)
        return
    try:  # claimed just now, by us: `force` only skips the claim's staleness check
        run_import(engine=engine, import_id=import_id, options=options, force=True)
    except Exception as exc:
        # The kind only: database errors quote the rows (phones) they failed on.
        log.error("import %d interrupted again (%s)", import_id, type(exc).__name__)
        log.debug("import %d interrupted again", import_id, exc_info=True)
        return
    path.unlink(missing_ok=True)
