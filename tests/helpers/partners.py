"""Helpers for the partner tests: organizations with keys, files, imports run to the end."""

from __future__ import annotations

import itertools
import time
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.clock import utcnow
from bot.contacts.imports.intake import consent_basis, create_import
from bot.contacts.imports.languages import LanguageNames
from bot.contacts.imports.runner import COUNTED, ImportOptions, run_import
from bot.contacts.organizations import create_organization
from bot.db import session_scope
from bot.models import ContactImport
from messages.catalog import Catalogs

LANGUAGES = LanguageNames.from_catalogs(Catalogs.load())
BASIS = "Sign-up sheet at the Lunar New Year festival: 'Text me voting reminders'"
_files = itertools.count(1)


def make_org(engine: Engine, name: str, *, admin: bool = False) -> tuple[int, str, str]:
    """(id, slug, API key) of a new organization."""
    with session_scope(engine) as session:
        org, key = create_organization(
            session=session, name=name, slug=None, is_admin=admin, now=utcnow()
        )
        assert org.id is not None
        return org.id, org.slug, key.secret


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


def csv_text(header: str, *rows: str) -> bytes:
    """A small UTF-8 CSV with CRLF line ends, as spreadsheets export it."""
    return ("\r\n".join((header, *rows)) + "\r\n").encode()


def options(batch_rows: int = 10_000) -> ImportOptions:
    """Import options as the app builds them."""
    return ImportOptions(region="US", languages=LANGUAGES, batch_rows=batch_rows)


def start(
    engine: Engine,
    tmp_path: Path,
    org_id: int,
    content: bytes,
    *,
    name: str = "list.csv",
    collected_on: date | None = date(2024, 5, 1),
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    basis: str = BASIS,
) -> int:
    """A pending import of these bytes; its id."""
    path = tmp_path / f"{next(_files)}-{name}"
    path.write_bytes(content)
    found = consent_basis(
        description=basis,
        language="es",
        collected_on=collected_on,
        source="festival",
        languages=LANGUAGES,
        today=date.today(),
    )
    with session_scope(engine) as session:
        imp = create_import(
            session=session,
            organization_id=org_id,
            filename=name,
            stored_path=path,
            basis=found,
            mapping=mapping,
            dry_run=dry_run,
            now=utcnow(),
        )
        assert imp.id is not None
        return imp.id


def run_file(
    engine: Engine,
    tmp_path: Path,
    org_id: int,
    content: bytes,
    *,
    batch_rows: int = 10_000,
    **kwargs: Any,
) -> ContactImport:
    """Import these bytes for an organization to the end; the finished import."""
    import_id = start(engine, tmp_path, org_id, content, **kwargs)
    return run_import(engine=engine, import_id=import_id, options=options(batch_rows))


def counts(imp: ContactImport) -> dict[str, int]:
    """An import's counts by name."""
    return {name: getattr(imp, name) for name in COUNTED}


def assert_adds_up(imp: ContactImport) -> None:
    """Every row is counted exactly once."""
    parts = ("new_memberships", "updated", "unchanged", "duplicates", "rejected", "suppressed")
    assert imp.rows == sum(getattr(imp, name) for name in parts), counts(imp)


def count(engine: Engine, model: Any, *where: Any) -> int:
    """Rows of a table (matching the conditions)."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def upload(
    client: TestClient, key: str, content: bytes, name: str = "list.csv", **form: str
) -> Any:
    """POST a list to the API with a consent basis (unless the form overrides it)."""
    data = {"consent_basis": BASIS, "consent_language": "es", "consent_date": "2024-05-01", **form}
    data = {k: v for k, v in data.items() if v != ""}
    return client.post(
        "/api/v1/contacts/imports",
        headers=bearer(key),
        data=data,
        files={"file": (name, content, "text/csv")},
    )


def finished(client: TestClient, key: str, import_id: int) -> dict[str, Any]:
    """Poll an import until it is done or failed."""
    for _ in range(200):
        body: dict[str, Any] = client.get(
            f"/api/v1/contacts/imports/{import_id}", headers=bearer(key)
        ).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"import {import_id} did not finish: {body}")
