"""An import a crash or a restart left `running` is picked up again by the scheduler role,
from where it stopped, with every guarantee of a person's `turnout contacts resume`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from bot.clock import utcnow
from bot.contacts.imports import merge
from bot.contacts.imports.restart import resume_stalled, stalled
from bot.contacts.imports.runner import run_import
from bot.models import ConsentEvent, ContactImport, Membership
from bot.tables import IMPORTS
from tests.helpers.partners import count, csv_text, make_org, options, start

pytestmark = pytest.mark.db


def _left_running(engine: Engine, import_id: int, *, minutes_ago: float) -> None:
    """What a process killed mid-import leaves: `running`, last heard of a while ago."""
    with engine.begin() as conn:
        conn.execute(
            update(IMPORTS)
            .where(IMPORTS.c.id == import_id)
            .values(status="running", updated_at=utcnow() - timedelta(minutes=minutes_ago))
        )


def _half_done(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    org_id, _, _ = make_org(engine, "Alpha")
    rows = [f"213555{n:04d},Name {n}" for n in range(300, 340)]
    import_id = start(engine, tmp_path, org_id, csv_text("phone,first_name", *rows))
    real_write, calls = merge.write, {"n": 0}

    def power_cut_on_third_batch(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        real_write(*args, **kwargs)

    monkeypatch.setattr(merge, "write", power_cut_on_third_batch)
    with pytest.raises(RuntimeError):
        run_import(engine=engine, import_id=import_id, options=options(batch_rows=10))
    monkeypatch.setattr(merge, "write", real_write)
    return import_id


def test_a_stalled_import_is_finished_from_where_it_stopped(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = _half_done(engine, tmp_path, monkeypatch)
    assert count(engine, Membership) == 20
    _left_running(engine, import_id, minutes_ago=11)
    assert resume_stalled(engine, options(batch_rows=10), utcnow(), wait=True) == [import_id]
    with Session(engine) as session:
        done = session.get(ContactImport, import_id)
        assert done is not None
    assert (done.status, done.rows, done.new_memberships) == ("done", 40, 40)
    assert count(engine, Membership) == 40 == count(engine, ConsentEvent)  # none twice
    assert not Path(done.stored_path or "").exists()  # a finished import's file is removed
    assert resume_stalled(engine, options(), utcnow(), wait=True) == []


def test_an_import_still_heard_from_is_left_to_its_process(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = _half_done(engine, tmp_path, monkeypatch)
    _left_running(engine, import_id, minutes_ago=2)
    assert stalled(engine, utcnow()) == []
    assert resume_stalled(engine, options(), utcnow(), wait=True) == []
    assert count(engine, Membership) == 20


def test_a_failed_or_dry_run_import_waits_for_a_person(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = _half_done(engine, tmp_path, monkeypatch)  # failed with its reason: a person looks
    org_id, _, _ = make_org(engine, "Beta")
    dry = start(engine, tmp_path, org_id, csv_text("phone", "2135550999"), dry_run=True)
    _left_running(engine, dry, minutes_ago=30)
    assert stalled(engine, utcnow() + timedelta(hours=1)) == []
    with Session(engine) as session:
        found = session.get(ContactImport, failed)
        assert found is not None and found.status == "failed"
