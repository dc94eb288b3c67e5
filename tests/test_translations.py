"""The coalition's own translations on SQLite and PostgreSQL: the suite's checks refusing a
bad edit, who may review, what is stored and audited, the live copy every process keeps, the
`.po` export, and `turnout users reviewer` / `turnout languages`."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from bot.access import Caller, Role, operator
from bot.cli.main import build
from bot.clock import utcnow
from bot.errors import Forbidden, Invalid, NotFound
from bot.settings import Settings, get_settings
from bot.tables import AUDIT_EVENTS, TRANSLATION_REVIEWERS, TRANSLATIONS
from bot.translations import reviews
from bot.translations.live import LiveTranslations, stored_version
from bot.translations.pofile import export_po
from bot.translations.reviews import TranslationRefused
from messages import quality
from messages.catalog import Catalogs, load_catalog
from tests.helpers.console import make_user
from tests.helpers.partners import make_org

pytestmark = pytest.mark.db
Run = Callable[..., Result]

MENU = (
    "Responda con un número:\n1 ¿Estoy inscrito?\n2 ¿Dónde voto?\n3 Recordatorios\n"
    "4 Hablar con una persona\n5 Cambiar idioma"
)
GREETING = (
    "¡Hola! Somos {coalition}, ayuda gratuita y no partidista para votar. Pueden aplicarse "
    "tarifas de mensajes. Responda AYUDA para ayuda, ALTO o STOP para no recibir mensajes."
)


@pytest.fixture
def catalogs() -> Catalogs:
    return Catalogs.load()


class People:
    """The coalition's admin, a Spanish reviewer and an organizer of a partner, a viewer."""

    def __init__(self, engine: Engine, catalogs: Catalogs) -> None:
        self.coalition, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, _, _ = make_org(engine, "Alpha")
        self.admin_id = make_user(engine, "admin@coalition.org", self.coalition, "admin")
        self.ana_id = make_user(engine, "ana@alpha.org", self.alpha, "organizer", name="Ana")
        self.bo_id = make_user(engine, "bo@alpha.org", self.alpha, "organizer")
        self.admin = Caller(self.coalition, Role.ADMIN, user_id=self.admin_id)
        self.ana = Caller(self.alpha, Role.ORGANIZER, user_id=self.ana_id)
        self.bo = Caller(self.alpha, Role.ORGANIZER, user_id=self.bo_id)
        with engine.begin() as conn:
            reviews.set_reviewer(
                conn,
                caller=operator(),
                catalogs=catalogs,
                user_id=self.ana_id,
                language="es",
                reviewer=True,
                now=utcnow(),
            )


@pytest.fixture
def people(engine: Engine, catalogs: Catalogs) -> People:
    return People(engine, catalogs)


def _save(
    engine: Engine,
    catalogs: Catalogs,
    caller: Caller,
    text: str,
    *,
    key: str = "main.menu",
    language: str = "es",
    review: bool = True,
) -> reviews.MessageState:
    with engine.begin() as conn:
        return reviews.save(
            conn,
            caller=caller,
            user_id=caller.user_id,
            catalogs=catalogs,
            language=language,
            key=key,
            text=text,
            review=review,
            now=utcnow(),
        )


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(TRANSLATIONS)).scalar_one())


# The checks, without a database


def test_the_catalogs_own_texts_pass(catalogs: Catalogs) -> None:
    entry = catalogs.by_language["es"].entries["welcome.greeting"]
    assert quality.problems(catalogs, "welcome.greeting", "es", entry.text) == []


@pytest.mark.parametrize(
    ("key", "text", "code"),
    [
        ("welcome.greeting", GREETING.replace("{coalition}", "la coalición"), "variables"),
        ("main.menu", MENU + " {coalition}", "variables"),
        ("main.menu", MENU.replace("inscrito", "ins\u200bcrito"), "invisible"),
        ("main.menu", MENU.replace("Recordatorios", "Recordatorios\u00a0"), "invisible"),
        ("main.menu", MENU.replace("voto", "vo\u200fto"), "invisible"),
        ("main.menu", MENU + " " + "Un texto demasiado largo para su límite. " * 6, "budget"),
        ("main.menu", "{coalition", "braces"),
        ("main.menu", "   ", "empty"),
        ("blasts.footer", "Responda ALTO para no recibir mensajes.", "stop"),
        ("keywords.stop", "ALTO|STOP", "unknown"),
        ("no.such.key", "hola", "unknown"),
    ],
)
def test_the_checks_refuse(catalogs: Catalogs, key: str, text: str, code: str) -> None:
    found = quality.problems(catalogs, key, "es", text)
    assert code in [p.code for p in found], found


def test_a_missing_variable_is_named(catalogs: Catalogs) -> None:
    (problem,) = quality.problems(catalogs, "welcome.greeting", "es", "Hola, somos nosotros.")
    assert problem.code == "variables" and "{coalition}" in problem.detail


def test_reminders_are_measured_with_the_languages_own_dates(catalogs: Catalogs) -> None:
    own = catalogs.by_language["es"].entries["reminders.eve"].text
    assert quality.problems(catalogs, "reminders.eve", "es", own) == []
    longer = own + " Lleve una identificación si la tiene; no es obligatoria en todas partes."
    assert "budget" in [p.code for p in quality.problems(catalogs, "reminders.eve", "es", longer)]


def test_the_text_is_cleaned_before_the_checks() -> None:
    assert reviews.clean("Hola\r\nadiós \r\n") == "Hola\nadiós"
    assert reviews.clean("Adio\u0301s") == "Adiós"  # NFC


# The service


def test_a_reviewer_marks_a_message_reviewed(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    done = _save(engine, catalogs, people.ana, MENU.replace("\n", "\r\n"))
    assert (done.state, done.here, done.text, done.reviewed_by) == ("reviewed", True, MENU, "Ana")
    assert done.previous_text == catalogs.by_language["es"].entries["main.menu"].text
    with engine.connect() as conn:
        row = conn.execute(select(TRANSLATIONS)).one()
        assert (row.language, row.key, row.state, row.reviewed_by) == (
            "es",
            "main.menu",
            "reviewed",
            people.ana_id,
        )
        assert stored_version(conn) == 1
        events = list(
            conn.execute(select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action.like("translation.%")))
        )
    assert [(e.action, e.subject, e.user_id, e.organization_id) for e in events] == [
        ("translation.reviewer", f"user:{people.ana_id}", None, None),
        ("translation.review", "translation:es:main.menu", people.ana_id, people.alpha),
    ]
    assert events[1].detail == {"language": "es", "key": "main.menu", "segments": 2}


def test_a_draft_does_not_change_what_the_bot_says(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    _save(engine, catalogs, people.ana, MENU)
    draft = _save(
        engine, catalogs, people.ana, MENU.replace("Recordatorios", "Avisos"), review=False
    )
    assert (draft.state, draft.text, draft.edited) == ("reviewed", MENU, True)
    assert draft.draft_text is not None and "Avisos" in draft.draft_text
    with engine.connect() as conn:
        assert stored_version(conn) == 1  # a draft moves nothing


def test_bad_edits_are_refused_and_nothing_is_stored(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    for key, text in [
        ("welcome.greeting", GREETING.replace("{coalition}", "nosotros")),
        ("main.menu", MENU.replace("voto", "vo\u200bto")),
        ("main.menu", MENU + " Muchas gracias por escribirnos hoy." * 5),
    ]:
        with pytest.raises(TranslationRefused) as refused:
            _save(engine, catalogs, people.ana, text, key=key)
        assert refused.value.problems and isinstance(refused.value, Invalid)
    assert _stored(engine) == 0
    with engine.connect() as conn:
        assert stored_version(conn) == 0


def test_only_reviewers_of_the_language_and_admins_may_change(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    with pytest.raises(Forbidden):
        _save(engine, catalogs, people.bo, MENU)  # an organizer, not a reviewer
    with pytest.raises(Forbidden):
        _save(engine, catalogs, people.ana, "Sumagot ng numero:\n1 Rehistro", language="tl")
    assert _stored(engine) == 0
    assert _save(engine, catalogs, people.admin, MENU).here  # an admin reviews any language
    with pytest.raises(NotFound):
        _save(engine, catalogs, people.admin, "Reply", language="en")  # English is the source
    with pytest.raises(NotFound):
        _save(engine, catalogs, people.admin, "hola", key="keywords.stop")


def test_reviewers_are_set_by_an_admin(engine: Engine, catalogs: Catalogs, people: People) -> None:
    with engine.begin() as conn:
        with pytest.raises(Forbidden):
            reviews.set_reviewer(
                conn, caller=people.ana, catalogs=catalogs, user_id=people.bo_id,
                language="es", reviewer=True, now=utcnow(),
            )  # fmt: skip
        with pytest.raises(Invalid):
            reviews.set_reviewer(
                conn, caller=people.admin, catalogs=catalogs, user_id=people.bo_id,
                language="fr", reviewer=True, now=utcnow(),
            )  # fmt: skip
        again = reviews.set_reviewer(
            conn, caller=people.admin, catalogs=catalogs, user_id=people.ana_id,
            language="es", reviewer=True, now=utcnow(),
        )  # fmt: skip
        assert again is False
        assert reviews.reviewers(conn) == [("ana@alpha.org", "es")]
        assert reviews.set_reviewer(
            conn, caller=people.admin, catalogs=catalogs, user_id=people.ana_id,
            language="es", reviewer=False, now=utcnow(),
        )  # fmt: skip
        assert reviews.reviewer_languages(conn, user_id=people.ana_id) == []
        assert conn.execute(select(func.count()).select_from(TRANSLATION_REVIEWERS)).scalar() == 0


def test_overview_counts_the_coalitions_reviews(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    with engine.connect() as conn:
        before = {s.code: s for s in reviews.overview(conn, catalogs=catalogs)}
    _save(engine, catalogs, people.ana, MENU)
    _save(engine, catalogs, people.ana, MENU, key="main.menu", language="es", review=False)
    with engine.connect() as conn:
        after = {s.code: s for s in reviews.overview(conn, catalogs=catalogs)}
        listed = {m.key: m for m in reviews.messages(conn, catalogs=catalogs, language="es")}
    assert after["es"].reviewed == before["es"].reviewed + 1
    assert (after["es"].reviewed_here, after["es"].drafts_here) == (1, 1)
    assert after["es"].drafts == before["es"].drafts - 1
    assert after["vi"] == before["vi"]
    assert listed["main.menu"].state == "reviewed" and listed["main.menu"].here
    assert listed["main.not_understood"].state == "draft"


def test_revert_brings_back_the_catalogs_text(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    _save(engine, catalogs, people.ana, MENU)
    with engine.begin() as conn:
        back = reviews.revert(
            conn, caller=people.ana, user_id=people.ana_id, catalogs=catalogs,
            language="es", key="main.menu", now=utcnow(),
        )  # fmt: skip
        assert stored_version(conn) == 2
    assert (back.here, back.text) == (False, catalogs.by_language["es"].entries["main.menu"].text)
    assert _stored(engine) == 0


# The live copy


def test_the_live_copy_follows_the_stored_version(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    live = LiveTranslations(catalogs, interval=3600)
    original = catalogs.render("main.menu", "es")
    with engine.connect() as conn:
        live.refresh(conn)
    assert live.version == 0 and catalogs.render("main.menu", "es") == original
    _save(engine, catalogs, people.ana, MENU)
    with engine.connect() as conn:
        live.refresh(conn)  # looked a moment ago: not again before the interval
        assert catalogs.render("main.menu", "es") == original
        live.expire()  # what the console does after a review in this process
        live.refresh(conn)
    assert live.version == 1 and catalogs.render("main.menu", "es") == MENU
    assert catalogs.render("main.menu", "tl") != MENU  # other languages untouched
    assert catalogs.review_status()["es"][2] >= 1
    assert live.status() == {"version": 1, "languages": {"es": 1}}
    with engine.begin() as conn:
        reviews.revert(
            conn, caller=people.ana, user_id=people.ana_id, catalogs=catalogs,
            language="es", key="main.menu", now=utcnow(),
        )  # fmt: skip
    live.expire()
    with engine.connect() as conn:
        live.refresh(conn)
    assert catalogs.render("main.menu", "es") == original


def test_a_zero_interval_looks_every_time(
    engine: Engine, catalogs: Catalogs, people: People
) -> None:
    live = LiveTranslations(catalogs, interval=0)
    with engine.connect() as conn:
        live.refresh(conn)
    _save(engine, catalogs, people.ana, GREETING, key="welcome.greeting")
    with engine.connect() as conn:
        live.refresh(conn)
    assert catalogs.render("welcome.greeting", "es", {"coalition": "VPC"}).startswith(
        "¡Hola! Somos VPC, ayuda gratuita"
    )


# The export


def test_the_export_is_the_catalog_with_the_reviews_signed(
    engine: Engine, catalogs: Catalogs, people: People, tmp_path: Path
) -> None:
    _save(engine, catalogs, people.ana, MENU)
    with engine.connect() as conn:
        body = export_po(conn, catalogs=catalogs, language="es")
    po = read_po(io.BytesIO(body))
    menu = po.get("main.menu")
    assert menu is not None and menu.string == MENU and not menu.fuzzy
    assert "reviewed-by: Ana, Alpha" in menu.user_comments
    other = po.get("main.not_understood")
    assert other is not None and other.fuzzy
    with catalogs.by_language["es"].path.open("rb") as handle:
        assert len(po) == len(read_po(handle))
    exported = tmp_path / "es.po"
    exported.write_bytes(body)
    loaded = load_catalog(exported)  # the suite reads it back as translators deliver it
    assert loaded.entries["main.menu"].reviewer == "Ana, Alpha"
    assert not loaded.entries["main.menu"].draft
    assert (
        loaded.entries["keywords.stop"].text
        == catalogs.by_language["es"].entries["keywords.stop"].text
    )


# The command line, in this process on the test's database


@pytest.fixture
def run(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Run]:
    """`turnout ARGS...` on the test's database."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(build(), list(args))
    get_settings.cache_clear()


def test_cli_reviewer_and_languages(
    run: Run, engine: Engine, catalogs: Catalogs, people: People
) -> None:
    made = run("users", "reviewer", "BO@alpha.org", "--language", "es")
    assert made.exit_code == 0, made.output
    assert "bo@alpha.org is now a reviewer of es" in made.output
    assert "was already" in run("users", "reviewer", "bo@alpha.org", "--language", "es").output
    wrong = run("users", "reviewer", "bo@alpha.org", "--language", "fr")
    assert wrong.exit_code == 2 and "'fr' is not a translated language" in wrong.output
    nobody = run("users", "reviewer", "x@example.org", "--language", "es")
    assert nobody.exit_code == 2 and "no user" in nobody.output
    _save(engine, catalogs, people.bo, MENU)  # bo reviews now
    listed = run("languages")
    assert listed.exit_code == 0, listed.output
    line = next(li for li in listed.output.splitlines() if "Español" in li)
    reviewed = catalogs.review_status()["es"][2] + 1
    assert f"{reviewed}/" in line and line.rstrip(" │|").endswith("1"), line
    removed = run("users", "reviewer", "bo@alpha.org", "--language", "es", "--remove")
    assert removed.exit_code == 0 and "is no longer a reviewer of es" in removed.output
    with engine.connect() as conn:
        assert reviews.reviewer_languages(conn, user_id=people.bo_id) == []


def test_what_the_scheduler_sends_uses_the_reviews_of_its_next_pass(
    engine: Engine, catalogs: Catalogs, people: People, settings: Settings
) -> None:
    import asyncio

    from scheduler.process import Sending

    sending = Sending.from_settings(engine, settings)  # its own catalogs, as a process has
    original = sending.renderer.catalogs.render("main.menu", "es")
    assert original != MENU
    _save(engine, catalogs, people.ana, MENU)  # reviewed in another process's console
    assert sending.translations is not None
    sending.translations.expire()  # as a second has gone by since its last look
    asyncio.run(sending.pass_once())
    assert sending.renderer.catalogs.render("main.menu", "es") == MENU
