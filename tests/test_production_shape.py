"""The production shape of docs/production.md, for real: PostgreSQL, `turnout serve --workers 2
--no-scheduler` (two web processes behind one port) and two `turnout scheduler` processes (one
holds the scheduler role, both dispatch), against the Twilio double with status callbacks on.

A blast goes to a list while the same voters text, several texts each at once. Then: every
recipient got the blast exactly once (the double's own log), every callback was recorded,
every inbound text was stored once and answered, and each voter's texts were handled one
after the other (their replies are those of the same texts sent one at a time).

Skipped without a reachable PostgreSQL (failed in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.exc import OperationalError
from twilio.request_validator import RequestValidator

from bot.clock import utcnow
from bot.db import make_engine
from bot.migrate import upgrade
from bot.tables import CONTACTS, INBOUND, MEMBERSHIPS, OUTBOUND, OUTBOX
from tests.helpers.cli import turnout
from tests.helpers.load import outbox_statuses, wait_for
from tests.helpers.sending import ACCOUNT, blast, free_port, open_hours, organization
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN, TO

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "TURNOUT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RECIPIENTS = 400
VOTERS = 60  # of the recipients, who text back meanwhile
TEXTS = ("1", "1", "1")  # at once, each voter: each answer depends on the one before
LOOK = {"en": "Polls are open until 8 pm. Reply 2 to find where you vote."}


@pytest.fixture
def database() -> Iterator[tuple[Engine, str]]:
    """A PostgreSQL database of this test's own, migrated; dropped afterwards."""
    name = f"turnout_test_production_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: production shape not tested"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _members(engine: Engine, org: int, count: int) -> list[str]:
    now = utcnow()
    phones = [f"+1213558{i:04d}" for i in range(count)]
    with engine.begin() as conn:
        ids = conn.execute(
            insert(CONTACTS).returning(CONTACTS.c.id),
            [
                {
                    "phone": p,
                    "language": "en",
                    "opted_out": False,
                    "reminders": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in phones
            ],
        ).scalars()
        conn.execute(
            insert(MEMBERSHIPS),
            [
                {
                    "organization_id": org,
                    "contact_id": cid,
                    "zip": "90012",
                    "created_at": now,
                    "updated_at": now,
                }
                for cid in ids
            ],
        )
    return phones


def _healthy(base: str, processes: list[subprocess.Popen[bytes]], seconds: float = 150) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, f"{process.args!r} exited with {process.returncode}"
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the web workers did not answer /healthz")


def _reply_keys(engine: Engine, phones: list[str]) -> dict[str, list[tuple[str, ...]]]:
    """Each voter's reply keys per inbound text, in the order the texts were handled (the
    inbound row is inserted under the contact's row lock, so its id is that order)."""
    i, o, c = INBOUND.c, OUTBOUND.c, CONTACTS.c
    found: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.phone, i.id, o.message_key)
            .join(INBOUND, i.contact_id == c.id)
            .join(OUTBOUND, o.inbound_id == i.id, isouter=True)
            .where(c.phone.in_(phones))
            .order_by(i.id, o.id)
        )
        for phone, inbound_id, key in rows:
            found[phone][inbound_id].append(key or "")
    return {p: [tuple(keys) for _, keys in sorted(by.items())] for p, by in found.items()}


def test_two_web_workers_and_two_schedulers_on_postgresql(
    database: tuple[Engine, str], tmp_path: Path
) -> None:
    engine, url = database
    org = organization(engine, "coalition")
    phones = _members(engine, org, RECIPIENTS)
    reference = phones[-1]  # texts one at a time, after the others: the expected replies
    voters = phones[:VOTERS]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with TwilioDouble(ACCOUNT, AUTH_TOKEN, latency=0.02, concurrency_limit=100) as double:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": url,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_SMS_FROM": "+15005550006",
            "TWILIO_API_BASE_URL": double.url,
            "PUBLIC_BASE_URL": base,
            "TURNOUT_QUIET_HOURS": open_hours(),
            "TURNOUT_SEND_RATE": "0",
            "TURNOUT_SEND_CONCURRENCY": "20",
            "TURNOUT_COALITION_NAME": "Voter Power Coalition",
        }
        turnout = [sys.executable, "-m", "bot.cli.main"]
        commands = [
            [*turnout, "serve", "--port", str(port), "--workers", "2", "--no-scheduler"],
            [*turnout, "scheduler"],
            [*turnout, "scheduler"],
        ]
        logs = [(tmp_path / f"process-{n}.log").open("wb") for n in range(len(commands))]
        processes = [
            subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)
            for command, log in zip(commands, logs, strict=True)
        ]
        try:
            try:
                _healthy(base, processes)
            except AssertionError:
                for log in logs:
                    log.flush()
                tails = [p.read_text(errors="replace")[-1500:] for p in tmp_path.glob("*.log")]
                raise AssertionError("\n---\n".join(tails)) from None
            blast_id = blast(engine, org, LOOK)
            validator = RequestValidator(AUTH_TOKEN)
            answers: list[int] = []
            sids: list[str] = []

            def post(client: httpx.Client, phone: str, body: str, n: int) -> int:
                data = {
                    "MessageSid": f"SM{n:032x}",
                    "From": phone,
                    "To": TO,
                    "Body": body,
                    "NumMedia": "0",
                }
                sids.append(data["MessageSid"])
                signature = validator.compute_signature(f"{base}/twilio/messages", data)
                headers = {"X-Twilio-Signature": signature}
                return client.post("/twilio/messages", data=data, headers=headers).status_code

            limits = httpx.Limits(max_connections=64)
            with (
                httpx.Client(base_url=base, timeout=30, limits=limits) as client,
                ThreadPoolExecutor(3 * len(TEXTS)) as pool,
            ):
                jobs = [
                    pool.submit(post, client, phone, body, 1 + v * len(TEXTS) + k)
                    for v, phone in enumerate(voters)
                    for k, body in enumerate(TEXTS)  # a voter's texts at once
                ]
                answers = [job.result() for job in jobs]
                for k, body in enumerate(TEXTS):  # the reference, one at a time
                    answers.append(post(client, reference, body, 10**6 + k))
            wait_for(
                lambda: outbox_statuses(engine, kind="blast").get("delivered") == RECIPIENTS,
                "the blast delivered, every callback recorded",
                timeout=60,
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            for log in logs:
                log.close()
        sent = double.count_by_to()
    output = "\n".join(p.read_text(errors="replace") for p in sorted(tmp_path.glob("*.log")))
    assert "Traceback" not in output, output[-3000:]
    # The blast: once to everyone, none twice, none lost; every status recorded.
    assert sorted(sent) == sorted(phones)
    assert set(sent.values()) == {1}
    assert double.refused_429 == 0
    o = OUTBOX.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.status, o.twilio_sid, o.claimed_by).where(o.send_id == blast_id)
        )
        statuses = [(r.status, r.twilio_sid) for r in rows]
        stored = set(conn.execute(select(INBOUND.c.message_sid)).scalars())
    assert len(statuses) == RECIPIENTS
    assert all(status == "delivered" and sid for status, sid in statuses)
    # Every text answered and stored once.
    assert answers == [200] * len(answers)
    assert stored == set(sids) and len(sids) == len(set(sids))
    # Each voter's texts one after the other: the replies of the same texts sent in turn.
    keys = _reply_keys(engine, [*voters, reference])
    expected = keys[reference]
    assert len(expected) == len(TEXTS) and len(set(expected)) > 1, expected  # a telling script
    wrong = {p: got for p, got in keys.items() if got != expected}
    assert not wrong, f"{len(wrong)} voters' texts were not handled in turn: {wrong}"


def test_more_than_one_web_worker_is_refused_on_sqlite(tmp_path: Path) -> None:
    done = turnout(tmp_path, "serve", "--workers", "2", "--port", str(free_port()))
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert "--workers needs PostgreSQL" in said and "SQLite has one writer" in said
    assert not (tmp_path / "cli.db").exists()  # refused before touching the database
