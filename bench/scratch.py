"""Throwaway databases for the benchmarks: an empty SQLite file or a PostgreSQL database made
(and dropped) on the server at TURNOUT_BENCH_POSTGRES_URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get(
    "TURNOUT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def scratch_database(backend: str, workdir: Path, name: str) -> str:
    """The URL of a fresh, empty database called `name` (a file in `workdir` for SQLite)."""
    if backend == "sqlite":
        for leftover in workdir.glob(f"{name}.db*"):
            leftover.unlink()
        return f"sqlite:///{workdir / f'{name}.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    return url


def drop_scratch(name: str) -> None:
    """Drop the throwaway PostgreSQL database `name`."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
