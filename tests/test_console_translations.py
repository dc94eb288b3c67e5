"""The console's translations pages on SQLite and PostgreSQL: coverage per language, a
language's messages, a message's review page with its live preview, the checks refusing bad
edits (nothing stored), who may change (reviewers of the language, admins), the audit log,
the `.po` export, and the bot's very next Spanish reply using a text just marked reviewed."""

from __future__ import annotations

import html
import io

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from bot.access import operator
from bot.clock import utcnow
from bot.tables import AUDIT_EVENTS, TRANSLATIONS
from bot.translations import reviews
from messages.catalog import Catalogs
from tests.helpers.console import Person, make_user, person
from tests.helpers.partners import make_org
from tests.helpers.webhook import Signer, bodies, fields, runtime

pytestmark = pytest.mark.db

VOTER = "+12135550180"
MENU = (
    "Responda con un número:\n1 ¿Estoy inscrito?\n2 ¿Dónde voto?\n3 Recordatorios\n"
    "4 Hablar con una persona\n5 Cambiar idioma"
)
PAGES = [
    "/console/translations",
    "/console/translations/es",
    "/console/translations/es/main.menu",
    "/console/translations/es/export.po",
]
EDIT = "/console/translations/es/main.menu"


class World:
    """The coalition's admin; at Alpha, Ana (reviewer of Spanish), Bo (an organizer who
    reviews nothing) and Vic (a viewer)."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        self.coalition, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, _, _ = make_org(engine, "Alpha")
        make_user(engine, "admin@coalition.org", self.coalition, "admin")
        self.ana_id = make_user(engine, "ana@alpha.org", self.alpha, "organizer", name="Ana")
        make_user(engine, "bo@alpha.org", self.alpha, "organizer")
        make_user(engine, "vic@alpha.org", self.alpha, "viewer")
        with engine.begin() as conn:
            reviews.set_reviewer(
                conn,
                caller=operator(),
                catalogs=Catalogs.load(),
                user_id=self.ana_id,
                language="es",
                reviewer=True,
                now=utcnow(),
            )
        self.engine, self.client = engine, client

    def sign_in(self, email: str) -> Person:
        """A fresh browser (its own cookies) for this person."""
        self.client.cookies.clear()
        return person(self.client, self.engine, email)

    def stored(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(TRANSLATIONS)).scalar_one())

    def audit(self) -> list[tuple[str, str]]:
        a = AUDIT_EVENTS.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.action, a.subject).where(a.subject.like("translation:%")).order_by(a.id)
            )
            return [(str(x), str(y)) for x, y in rows]


@pytest.fixture
def world(engine: Engine, client: TestClient) -> World:
    return World(engine, client)


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_goes_to_the_sign_in_form(world: World, path: str) -> None:
    world.client.cookies.clear()
    answer = world.client.get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


def test_a_signed_out_post_changes_nothing(world: World) -> None:
    world.client.cookies.clear()
    answer = world.client.post(
        EDIT, data={"text": MENU, "action": "review"}, follow_redirects=False
    )
    assert answer.status_code == 303 and world.stored() == 0


def test_the_overview_shows_every_language(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/translations")
    assert page.status_code == 200
    catalogs = runtime(world.client).catalogs
    total, translated, reviewed = catalogs.review_status()["es"]
    for code in catalogs.languages[1:]:
        assert f'href="/console/translations/{code}"' in page.text
    assert '<span lang="es" dir="ltr">Español</span>' in page.text
    assert f'<progress id="reviewed-es" value="{reviewed}" max="{total}"' in page.text
    assert f"{translated}/{total}" in page.text
    assert "You review: es" in page.text
    assert 'aria-current="page">Translations' in page.text
    assert "/console/translations/en" not in page.text  # English is the source


def test_a_languages_messages_and_their_state(world: World) -> None:
    bo = world.sign_in("bo@alpha.org")
    page = bo.get("/console/translations/es")
    assert page.status_code == 200
    assert 'href="/console/translations/es/main.menu"' in page.text
    assert "keywords.stop" not in page.text  # word lists are not sent messages
    assert "only a reviewer of this language can change them" in page.text
    drafts = bo.get("/console/translations/es?state=reviewed")
    assert 'href="/console/translations/es/main.menu"' not in drafts.text
    assert bo.get("/console/translations/en").status_code == 404
    assert bo.get("/console/translations/fr").status_code == 404
    assert bo.get("/console/translations/es/keywords.stop").status_code == 404
    assert bo.get("/console/translations/es/no.such").status_code == 404


def test_a_reviewer_sees_english_the_draft_its_comment_and_variables(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    page = ana.get("/console/translations/es/welcome.greeting")
    assert page.status_code == 200
    catalogs = runtime(world.client).catalogs
    english = catalogs.by_language["en"].entries["welcome.greeting"].text
    draft = catalogs.by_language["es"].entries["welcome.greeting"]
    assert html.escape(english, quote=False) in page.text
    assert '<textarea id="text" name="text"' in page.text and 'lang="es"' in page.text
    assert "<code>{coalition}</code>" in page.text
    assert "the coalition&#39;s name" in page.text  # the translator's comment
    assert draft.text.split("{")[0] in page.text
    assert 'hx-post="/console/translations/es/welcome.greeting/preview"' in page.text
    assert 'id="segment-count"' in page.text and "budget 2" in page.text
    assert "Voter Power Coalition" in page.text  # rendered with realistic values
    assert 'value="review"' in page.text and 'value="draft"' in page.text


def test_someone_who_reviews_nothing_reads_only(world: World) -> None:
    for email in ("bo@alpha.org", "vic@alpha.org"):
        someone = world.sign_in(email)
        page = someone.get(EDIT)
        assert page.status_code == 200 and "<textarea" not in page.text
        assert "only a reviewer of this language (or a coalition admin) can change it" in page.text
        answer = someone.post(EDIT, {"text": MENU, "action": "review"})
        assert answer.status_code == 403, email
        assert someone.post(EDIT, {"text": "", "action": "revert"}).status_code == 403
    assert world.stored() == 0 and world.audit() == []


def test_a_change_without_the_csrf_token_is_refused(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    answer = ana.client.post(EDIT, data={"text": MENU, "action": "review"}, follow_redirects=False)
    assert answer.status_code == 403 and world.stored() == 0


@pytest.mark.parametrize(
    ("key", "text", "said"),
    [
        ("welcome.greeting", "¡Hola! Somos la coalición. Responda STOP.", "missing {coalition}"),
        ("main.menu", MENU.replace("voto", "vo\u200bto"), "invisible characters: U+200B"),
        ("main.menu", MENU + " Gracias por escribirnos." * 8, "SMS segments with realistic"),
        ("main.menu", MENU + " {polling_url}", "unknown {polling_url}"),
    ],
)
def test_bad_edits_get_an_error_summary_and_nothing_is_stored(
    world: World, key: str, text: str, said: str
) -> None:
    ana = world.sign_in("ana@alpha.org")
    answer = ana.post(f"/console/translations/es/{key}", {"text": text, "action": "review"})
    assert answer.status_code == 422
    assert 'class="error-summary"' in answer.text and said in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert world.stored() == 0 and world.audit() == []


def test_the_live_preview_counts_segments_and_names_problems(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    good = ana.post(f"{EDIT}/preview", {"text": MENU})
    assert good.status_code == 200 and 'id="preview"' in good.text
    assert "· 2 SMS segment(s) · UCS-2 · budget 2" in good.text
    assert "Passes the checks" in good.text
    short = ana.post(f"{EDIT}/preview", {"text": "Responda con un numero del 1 al 5"})
    assert "33 characters · 1 SMS segment(s) · GSM-7" in short.text
    bad = ana.post(f"{EDIT}/preview", {"text": "Hola\u200b {coalition"})
    assert "a { or } has no partner" in bad.text and "Passes the checks" not in bad.text
    assert ana.client.post(f"{EDIT}/preview", data={"text": MENU}).status_code == 403  # no CSRF


def test_marking_reviewed_changes_the_bots_very_next_spanish_reply(
    world: World, post_signed: Signer
) -> None:
    first = post_signed("/twilio/messages", fields("hola", sender=VOTER))
    assert first.status_code == 200
    again = post_signed("/twilio/messages", fields("menu", sender=VOTER))
    assert MENU not in bodies(again)
    old = runtime(world.client).catalogs.by_language["es"].entries["main.menu"].text
    assert old in bodies(again)

    ana = world.sign_in("ana@alpha.org")
    saved = ana.post(EDIT, {"text": MENU.replace("\n", "\r\n"), "action": "review"})
    assert saved.status_code == 303 and saved.headers["location"] == f"{EDIT}?saved=review"
    page = ana.get(saved.headers["location"])
    assert "Marked reviewed: the bot says it from its next reply." in page.text
    assert "Before the last review" in page.text and "reviewed here" in page.text

    after = post_signed("/twilio/messages", fields("menu", sender=VOTER))
    assert MENU in bodies(after)  # no restart: the next reply says it
    assert world.audit() == [("translation.review", "translation:es:main.menu")]
    total, _, reviewed = Catalogs.load().review_status()["es"]  # the files alone
    listed = ana.get("/console/translations")
    assert f'<progress id="reviewed-es" value="{reviewed + 1}" max="{total}"' in listed.text

    reverted = ana.post(EDIT, {"text": "", "action": "revert"})
    assert reverted.status_code == 303
    back = post_signed("/twilio/messages", fields("menu", sender=VOTER))
    assert old in bodies(back) and MENU not in bodies(back)
    assert world.audit()[-1] == ("translation.revert", "translation:es:main.menu")


def test_a_draft_is_kept_without_changing_the_bot(world: World, post_signed: Signer) -> None:
    ana = world.sign_in("ana@alpha.org")
    saved = ana.post(EDIT, {"text": MENU, "action": "draft"})
    assert saved.status_code == 303
    page = ana.get(f"{EDIT}?saved=draft")
    assert "Draft saved." in page.text and "Recordatorios\n4" in page.text.replace("\r", "")
    post_signed("/twilio/messages", fields("hola", sender=VOTER))
    reply = post_signed("/twilio/messages", fields("menu", sender=VOTER))
    assert MENU not in bodies(reply)
    assert world.audit() == [("translation.draft", "translation:es:main.menu")]
    listed = ana.get("/console/translations/es")
    assert "edit in progress" in listed.text


def test_an_admin_reviews_any_language(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    page = admin.get("/console/translations/vi/main.menu")
    assert "<textarea" in page.text
    text = runtime(world.client).catalogs.by_language["vi"].entries["main.menu"].text
    assert (
        admin.post(
            "/console/translations/vi/main.menu", {"text": text, "action": "review"}
        ).status_code
        == 303
    )
    assert world.stored() == 1


def test_the_export_is_a_po_file_with_the_reviews(world: World) -> None:
    ana = world.sign_in("ana@alpha.org")
    ana.post(EDIT, {"text": MENU, "action": "review"})
    answer = ana.get("/console/translations/es/export.po")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/x-gettext-translation")
    assert 'filename="es.po"' in answer.headers["content-disposition"]
    po = read_po(io.BytesIO(answer.content))
    menu = po.get("main.menu")
    assert menu is not None and menu.string == MENU and not menu.fuzzy
    assert "reviewed-by: Ana, Alpha" in menu.user_comments
    assert ana.get("/console/translations/en/export.po").status_code == 404
    viewer = world.sign_in("vic@alpha.org")
    assert viewer.get("/console/translations/es/export.po").status_code == 200  # reading is open


def test_the_pages_are_in_spanish_for_a_spanish_speaking_organizer(
    world: World, engine: Engine
) -> None:
    make_user(engine, "eva@alpha.org", world.alpha, "organizer", ui_language="es")
    eva = world.sign_in("eva@alpha.org")
    page = eva.get("/console/translations")
    assert "Cobertura y estado de revisión por idioma" in page.text
    edit = eva.get(EDIT)
    assert "Comentario para traductores" in edit.text
