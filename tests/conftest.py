"""Fixtures: real SQLite and real PostgreSQL, migrated with Alembic, for every database test.

Each xdist worker gets its own SQLite file and its own PostgreSQL database, migrated once;
tables are emptied between tests. Without a reachable PostgreSQL the PostgreSQL half is
skipped with a note (in CI, where `CI` is set, it fails instead).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.db import make_engine
from bot.logs import PHONE
from bot.migrate import upgrade
from bot.settings import Settings
from tests.helpers.webhook import AUTH_TOKEN, Signer

PG_ADMIN_URL = os.environ.get(
    "TURNOUT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_HOWTO = (
    "PostgreSQL is not reachable at {url}; the PostgreSQL half of the suite is skipped. "
    "Start it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) "
    "or point TURNOUT_TEST_POSTGRES_URL at a server where this user may create databases."
)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_engine() -> Engine:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    # One database per test process: two suites on one server (a developer's and CI's, or
    # two checkouts) never drop each other's.
    name = f"turnout_test_{_worker()}_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_engine(admin.url.set(database=name).render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def _engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine | str]]:
    sqlite_path = tmp_path_factory.mktemp("db") / f"turnout-{_worker()}.db"
    engines: dict[str, Engine | str] = {"sqlite": make_engine(f"sqlite:///{sqlite_path}")}
    try:
        engines["postgresql"] = _postgres_engine()
    except OperationalError:
        engines["postgresql"] = PG_HOWTO.format(url=PG_ADMIN_URL)
    for engine in engines.values():
        if isinstance(engine, Engine):
            upgrade(engine)
    yield engines
    for engine in engines.values():
        if isinstance(engine, Engine):
            engine.dispose()
    if isinstance(engines["postgresql"], Engine):
        _drop(engines["postgresql"].url.database or "")


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            truncate = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
            conn.execute(text(truncate))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, _engines: dict[str, Engine | str]) -> Iterator[Engine]:
    """A migrated, empty database: the test runs once on SQLite and once on PostgreSQL."""
    found = _engines[request.param]
    if isinstance(found, str):
        if os.environ.get("CI"):
            pytest.fail(found)
        pytest.skip(found)
    _empty(found)
    yield found


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test's database (the test commits when it needs to)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(engine: Engine) -> Settings:
    """Settings as an operator would give them, pointing at the test's database."""
    return Settings(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_SMS_FROM="+15005550006",
        TURNOUT_COALITION_NAME="Voter Power Coalition",
        TURNOUT_HELP_CONTACT="call 213-555-0100",
        _env_file=None,
    )


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The web app on the test's database."""
    with TestClient(create_app(settings, engine)) as c:
        yield c


@pytest.fixture
def post_signed(client: TestClient) -> Signer:
    """POST form fields to a Twilio route, signed with RequestValidator as Twilio does."""

    def post(
        path: str,
        fields: dict[str, str],
        *,
        token: str = AUTH_TOKEN,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        url = f"http://testserver{path}"
        sig = (
            signature
            if signature is not None
            else RequestValidator(token).compute_signature(url, fields)
        )
        all_headers = {"X-Twilio-Signature": sig, **(headers or {})}
        return client.post(path, data=fields, headers=all_headers)

    return post


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder."""
    return Path(__file__).resolve().parent.parent


class _Kept(logging.Handler):
    """Keeps every record above DEBUG as our code and its libraries wrote it (unmasked)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if PHONE.search(text):
            self.leaks.append(f"{record.levelname} {record.name}: {text[:300]}")


@pytest.fixture(autouse=True)
def _no_phone_numbers_in_logs() -> Iterator[None]:
    """Fails any test during which a full phone number reached a log record above DEBUG, as
    written (before the handlers' masking, which production has as a second line)."""
    kept = _Kept()
    root = logging.getLogger()
    level = root.level
    root.addHandler(kept)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(kept)
        root.setLevel(level)
    if kept.leaks:
        pytest.fail("a phone number reached the logs:\n" + "\n".join(kept.leaks[:5]))
