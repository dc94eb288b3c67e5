"""`turnout blasts ...` and `turnout reminders ...` as an operator runs them: in process on
SQLite and PostgreSQL (the same checks as the API, one-line errors with exit code 2 and
nothing stored), and once as a real process through the `turnout` entry point."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner, Result

from bot.cli.main import build
from bot.clock import utcnow
from bot.sending.drafts import PARTNER_AUDIENCE
from bot.sending.sends import start_send
from bot.settings import get_settings
from bot.tables import SENDS
from tests.helpers.cli import turnout
from tests.helpers.partners import make_org
from tests.helpers.sending import add_contact

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
Run = Callable[..., Result]


@pytest.fixture
def run(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Run]:
    """`turnout ARGS...` in this process, on the test's database."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TURNOUT_TIMEZONE", "America/Los_Angeles")
    monkeypatch.setenv("TURNOUT_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()

    def invoke(*args: str, stdin: str = "") -> Result:
        return CliRunner().invoke(build(), list(args), input=stdin)

    yield invoke
    get_settings.cache_clear()


@pytest.fixture
def orgs(engine: Engine) -> dict[str, int]:
    """The coalition, Alpha and Beta; Alpha's list: en, es (also on Beta's), one opted out."""
    coalition, _, _ = make_org(engine, "Coalition", admin=True)
    alpha, _, _ = make_org(engine, "Alpha")
    beta, _, _ = make_org(engine, "Beta")
    add_contact(engine, "+12135550101", "en", [(alpha, "90012", ["volunteer"])])
    add_contact(engine, "+12135550102", "es", [(alpha, "90012", []), (beta, "85004", [])])
    add_contact(engine, "+12135550104", "es", [(alpha, "90012", [])], opted_out=True)
    return {"coalition": coalition, "alpha": alpha, "beta": beta}


def flat(text: str) -> str:
    """Output with Rich's line wrapping undone."""
    return " ".join(text.split())


def sends(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(SENDS).order_by(SENDS.c.id)))


def later(days: int, hour: int) -> dt.datetime:
    """A local wall-clock time some days ahead (naive, as an organizer types it)."""
    day = dt.datetime.now(LOS_ANGELES).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0))


BLAST = ("blasts", "create", "--org", "alpha", "--name", "Early voting", "--text", "en=Vote!")


def test_create_shows_the_preview_asks_and_schedules(
    run: Run, orgs: dict[str, int], engine: Engine
) -> None:
    when = later(30, 10)
    args = (
        *BLAST,
        "--text",
        "es=¡Vota temprano!",
        "--send-at",
        when.isoformat(),
        "--template",
        "es=HX" + "ab" * 16,
    )
    declined = run(*args, stdin="n\n")
    assert declined.exit_code == 1, declined.output
    shown = flat(declined.stdout)
    assert "Recipients: 2; estimated cost 0.02 (0.0083 a segment)" in shown
    assert "¡Vota temprano!" in shown and "Responda ALTO o STOP para darse de baja." in shown
    assert f"Schedule it for {when:%Y-%m-%d} 10:00 P" in flat(declined.stdout + declined.stderr)
    assert sends(engine) == []

    accepted = run(*args, stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Scheduled blast 1 for" in flat(accepted.stderr)
    (row,) = sends(engine)
    assert (row.kind, row.status, row.organization_id) == ("blast", "scheduled", orgs["alpha"])
    assert row.texts == {"en": "Vote!", "es": "¡Vota temprano!"}
    assert row.templates == {"es": "HX" + "ab" * 16}
    assert row.audience["organizations"] == [orgs["alpha"]]
    stored = row.send_at if row.send_at.tzinfo else row.send_at.replace(tzinfo=dt.UTC)
    assert stored == when.replace(tzinfo=LOS_ANGELES)  # read in TURNOUT_TIMEZONE

    quiet = run(*BLAST, "--yes")
    assert quiet.exit_code == 0, quiet.output
    assert len(sends(engine)) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--text", "xx=Hi"), "texts: unknown language 'xx'"),
        (("--text", "Hi"), "--text: write LANG=VALUE, not 'Hi'"),
        (("--to-org", "beta"), PARTNER_AUDIENCE),
        (("--to-org", "nobody"), PARTNER_AUDIENCE),
        (("--org", "nobody"), "--org: no organization 'nobody' (see `turnout org list`)"),
        (("--send-at", "yesterday"), "--send-at: 'yesterday' is not a time"),
        (("--send-at", "2020-01-01T10:00"), "send_at: 2020-01-01 18:00 UTC is in the past"),
        (("--zip", "123"), "audience.zips.0: String should match pattern"),
        (("--county", "Nowhere"), "audience.counties: unknown county 'Nowhere'"),
        (("--language", "fr"), "audience.languages: unknown language 'fr'"),
        (("--message-key", "blasts.footer"), "exactly one of texts (per language) or message_key"),
        (("--template", "en=HX1"), "whatsapp_templates.en: String should match pattern"),
    ],
)
def test_create_refuses_in_one_line_and_stores_nothing(
    run: Run, orgs: dict[str, int], engine: Engine, extra: tuple[str, ...], message: str
) -> None:
    for command in ("create", "preview"):
        args = [command if a == "create" else a for a in BLAST]
        result = run(*args, *extra, "--yes" if command == "create" else "--json")
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: ") and message in result.stderr
        assert result.stderr.strip().count("\n") == 0, result.stderr  # one line
        assert result.stdout == ""
    assert sends(engine) == []


def test_preview_counts_the_audience(run: Run, orgs: dict[str, int]) -> None:
    def preview(*args: str) -> dict[str, Any]:
        result = run("blasts", "preview", "--text", "en=Vote!", "--json", *args)
        assert result.exit_code == 0, result.output
        found: dict[str, Any] = json.loads(result.stdout)
        return found

    alpha = preview("--org", "alpha")
    assert alpha["recipients"] == 2  # not the opted-out contact
    assert [(x["language"], x["recipients"], x["fallback"]) for x in alpha["languages"]] == [
        ("en", 1, False),
        ("es", 1, True),
    ]
    everyone = preview("--org", "coalition", "--to-org", "alpha", "--to-org", "beta")
    assert everyone["recipients"] == 2  # the voter on both lists once
    assert preview("--org", "alpha", "--tag", "Volunteer")["recipients"] == 1
    assert preview("--org", "coalition", "--county", "Maricopa County, AZ")["recipients"] == 1
    assert preview("--org", "coalition", "--zip", "90012", "--language", "es")["recipients"] == 1
    table = run("blasts", "preview", "--org", "alpha", "--text", "es=¡Vota!")
    assert table.exit_code == 0, table.output
    assert "no text in this language: skipped" in flat(table.stdout)


def test_list_show_test_and_steer(run: Run, orgs: dict[str, int], engine: Engine) -> None:
    assert run(*BLAST, "--yes").exit_code == 0
    listed = run("blasts", "list")
    assert listed.exit_code == 0 and "Early voting" in listed.stdout and "alpha" in listed.stdout
    assert json.loads(run("blasts", "list", "--status", "paused", "--json").stdout) == []
    assert run("blasts", "list", "--status", "lost").exit_code == 2

    tested = run("blasts", "test", "1", "(213) 555-0199", "--language", "es")
    assert tested.exit_code == 0, tested.output
    assert "Queued test send 2 to …0199" in flat(tested.stderr)
    bad_phone = run("blasts", "test", "1", "not a phone")
    assert bad_phone.exit_code == 2 and "error: phone: not a phone number" in bad_phone.stderr

    with engine.begin() as conn:
        start_send(conn, 1, default_language="en", now=utcnow())
    shown = run("blasts", "show", "1")
    assert shown.exit_code == 0, shown.output
    out = flat(shown.stdout)
    assert "Blast 1 Early voting of alpha: sending" in out
    assert "Audience: lists: alpha" in out and "en: Vote!" in out
    assert "│ recipients │ 2 │" in out and "│ queued │ 2 │" in out
    assert "Test sends" in out and "…0199" in out and "scheduled" in out

    for action, status in [("pause", "paused"), ("resume", "sending"), ("pause", "paused")]:
        result = run("blasts", action, "1")
        assert result.exit_code == 0, result.output
        assert f"Blast 1 is now {status}." in result.stderr
    again = run("blasts", "pause", "1")
    assert (again.exit_code, again.stderr) == (2, "error: a paused send cannot be paused\n")
    assert run("blasts", "cancel", "1").exit_code == 0
    final = json.loads(run("blasts", "show", "1", "--json").stdout)
    assert final["status"] == "cancelled" and final["counts"]["skipped"] == {"cancelled": 2}
    assert [t["to"] for t in final["tests"]] == ["…0199"]
    for args in (("show", "999"), ("cancel", "999"), ("test", "999", "+12135550199")):
        missing = run("blasts", *args)
        assert (missing.exit_code, missing.stderr) == (2, "error: no blast 999\n")
    assert run("blasts", "test", "2", "+12135550199").exit_code == 2  # a test is no blast


def test_elections_get_reminders_that_organizers_steer(run: Run, engine: Engine) -> None:
    day = later(40, 0).date()
    added = run(
        "elections",
        "add",
        "--name",
        "Special Election",
        "--date",
        day.isoformat(),
        "--state",
        "CA",
        "--polls-open",
        "07:00",
        "--polls-close",
        "20:00",
        "--timezone",
        "America/Los_Angeles",
    )
    assert added.exit_code == 0, added.output
    assert "Planned 3 reminder(s)" in flat(added.stderr)
    steps = json.loads(run("reminders", "list", "--json").stdout)
    assert [s["reminder"] for s in steps] == ["eve", "morning", "closing"]
    eve = steps[0]
    table = flat(run("reminders", "list", "--election-date", day.isoformat()).stdout)
    assert "Election reminders (times in America/Los_Angeles)" in table
    assert f"{day - dt.timedelta(days=1)} 17:00 P" in table  # the eve, at 17:00 local

    earlier = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(15, 0))
    moved = run("reminders", "move", str(eve["id"]), "--at", earlier.isoformat())
    assert moved.exit_code == 0, moved.output
    assert f"Reminder {eve['id']} (eve) now goes at {earlier:%Y-%m-%d} 15:00 P" in moved.stderr
    now_eve = json.loads(run("reminders", "list", "--json").stdout)[0]
    assert now_eve["edited"] is True
    assert dt.datetime.fromisoformat(now_eve["send_at"]) == earlier.replace(tzinfo=LOS_ANGELES)
    too_late = run("reminders", "move", str(eve["id"]), "--at", f"{day}T09:00")
    assert too_late.exit_code == 2
    assert "send_at: this reminder is not worth sending after" in too_late.stderr

    rid = str(eve["id"])
    for action, status in [("pause", "paused"), ("resume", "scheduled"), ("cancel", "cancelled")]:
        result = run("reminders", action, rid)
        assert (result.exit_code, result.stderr) == (0, f"Reminder {rid} is now {status}.\n")
    again = run("reminders", "cancel", rid)
    assert (again.exit_code, again.stderr) == (2, "error: a cancelled send cannot be cancelled\n")
    frozen = run("reminders", "move", rid, "--at", earlier.isoformat())
    assert (frozen.exit_code, frozen.stderr) == (
        2,
        "error: a cancelled reminder cannot be changed\n",
    )
    missing = run("reminders", "pause", "99999")
    assert (missing.exit_code, missing.stderr) == (2, "error: no reminder 99999\n")
    bad_date = run("reminders", "list", "--election-date", "soon")
    assert bad_date.exit_code == 2 and "--election-date: 'soon' is not a date" in bad_date.stderr
    # the plan does not bring a cancelled reminder back
    statuses = [s["status"] for s in json.loads(run("reminders", "list", "--json").stdout)]
    assert statuses == ["cancelled", "scheduled", "scheduled"]
    with engine.connect() as conn:
        kinds = list(conn.execute(select(SENDS.c.kind)).scalars())
    assert kinds == ["reminder"] * 3


def test_the_turnout_command(tmp_path: Path) -> None:
    assert turnout(tmp_path, "org", "create", "Alpha").returncode == 0
    refused = turnout(tmp_path, *BLAST[:3], "nobody", *BLAST[4:], "--yes")
    assert refused.returncode == 2
    assert "error: --org: no organization 'nobody'" in refused.stderr
    made = turnout(tmp_path, *BLAST, "--yes")
    assert made.returncode == 0, made.stderr
    assert "Recipients: 0" in made.stdout and "Scheduled blast 1" in made.stderr
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        assert conn.execute("SELECT kind, status, name FROM sends").fetchall() == [
            ("blast", "scheduled", "Early voting")
        ]
    listed = turnout(tmp_path, "blasts", "list", "--json")
    assert [b["name"] for b in json.loads(listed.stdout)] == ["Early voting"]


def test_messages_in_review_are_listed_and_settled_by_a_person(
    run: Run, engine: Engine, orgs: dict[str, int]
) -> None:
    from bot.clock import utcnow
    from bot.sending.sends import create_send, start_send
    from bot.tables import OUTBOX

    now = utcnow()
    with engine.begin() as conn:
        send_id = create_send(
            conn,
            {
                "kind": "blast",
                "organization_id": orgs["alpha"],
                "name": "b",
                "send_at": now,
                "texts": {"en": "Vote"},
                "audience": {"organizations": [orgs["alpha"]]},
            },
            now,
        )
        start_send(conn, send_id, default_language="en", now=now)
        conn.execute(
            update(OUTBOX).values(
                status="review",
                reason="in_doubt",
                channel="sms",
                sending_at=now,
                to_address="+12135550101",
            )
        )
        first, second = sorted(conn.execute(select(OUTBOX.c.id)).scalars())

    listed = run("outbox", "review")
    assert listed.exit_code == 0 and str(first) in listed.stdout and "…0101" in listed.stdout
    assert "+12135550101" not in listed.stdout

    assert run("outbox", "settle", str(first)).exit_code == 2  # neither --sent nor --resend
    bad = run("outbox", "settle", str(first), "--sent", "nope")
    assert bad.exit_code == 2 and "not a Twilio message SID" in bad.output
    sid = "SM" + "3" * 32
    assert run("outbox", "settle", str(first), "--sent", sid).exit_code == 0
    again = run("outbox", "settle", str(second), "--resend")
    assert again.exit_code == 0 and "pending" in again.stdout
    twice = run("outbox", "settle", str(first), "--resend")
    assert twice.exit_code == 2 and "is not in review" in twice.output
    with engine.connect() as conn:
        rows = dict(conn.execute(select(OUTBOX.c.id, OUTBOX.c.status)).all())
        found = conn.execute(select(OUTBOX.c.twilio_sid).where(OUTBOX.c.id == first)).scalar()
    assert rows == {first: "sent", second: "pending"} and found == sid
    assert run("outbox", "review").stdout.strip() == "No message is in review."
