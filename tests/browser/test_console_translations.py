"""Translations review in a browser: a reviewer of Spanish opens a message, types a new text
(the live preview counts its segments and names a problem), marks it reviewed, and the bot's
very next Spanish reply says it, without a restart. Every page is checked with axe-core;
TURNOUT_SCREENSHOTS=1 saves translations.png and translation-edit.png in docs/console/."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from bot.access import operator
from bot.accounts import users
from bot.clock import utcnow
from bot.translations import reviews
from messages.catalog import Catalogs
from tests.browser.conftest import ConsoleServer, check_a11y, screenshot, sign_in
from tests.helpers.webhook import bodies

MENU = (
    "Responda con un número:\n1 ¿Estoy inscrito?\n2 ¿Dónde voto?\n3 Recordatorios\n"
    "4 Hablar con una persona\n5 Cambiar idioma"
)


def _reviewer(server: ConsoleServer) -> tuple[str, int]:
    """An organizer of a partner who reviews Spanish; (email, user id)."""
    org = server.organization()
    email = server.user(org, "organizer", name="Ana Reviewer", speaks=["es"])
    catalogs = Catalogs.load()
    with server.engine.begin() as conn:
        user_id = int(users.find_user(conn, email=email).id)
        reviews.set_reviewer(
            conn,
            caller=operator(server.coalition_id),
            catalogs=catalogs,
            user_id=user_id,
            language="es",
            reviewer=True,
            now=utcnow(),
        )
    return email, user_id


def test_a_reviewer_marks_a_spanish_message_reviewed_and_the_bot_says_it(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    email, user_id = _reviewer(server)
    phone = server.phone()
    server.text(phone, "hola")
    before = bodies(server.text(phone, "menu"))
    assert MENU not in before

    try:
        sign_in(page, server, email)
        page.get_by_role("link", name="Translations").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Translations")
        expect(page.get_by_text("You review: es")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="Español")
        expect(row.locator("progress")).to_be_visible()
        check_a11y(page, "translations")
        screenshot(page, "translations")

        row.get_by_role("link").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Español")
        check_a11y(page, "a language's messages")
        page.get_by_role("link", name="main.menu").click()
        expect(page).to_have_url(re.compile(r"/console/translations/es/main\.menu$"))

        box = page.get_by_label("Translation")
        expect(box).to_have_attribute("lang", "es")
        # a zero-width space typed (pasted) in: the preview says so before anything is saved
        box.fill(MENU.replace("voto", "vo\u200bto"))
        expect(page.locator("#preview")).to_contain_text("invisible characters: U+200B")
        box.fill(MENU)
        counter = page.locator("#segment-count")
        expect(counter).to_contain_text("2 SMS segment(s) · UCS-2 · budget 2")
        expect(page.locator("#preview")).to_contain_text("Passes the checks")
        check_a11y(page, "a message's review page")
        screenshot(page, "translation-edit")

        page.get_by_role("button", name="Mark reviewed").click()
        expect(page.get_by_role("status")).to_contain_text("Marked reviewed")
        expect(page.get_by_text("Before the last review")).to_be_visible()
        check_a11y(page, "a message just reviewed")

        after = bodies(server.text(phone, "menu"))
        assert MENU in after  # the bot's next Spanish reply, no restart

        page.get_by_role("button", name="Use the catalog's text again").click()
        expect(page.get_by_role("status")).to_contain_text("in effect again")
        again = bodies(server.text(phone, "menu"))
        assert MENU not in again
    finally:  # other journeys on this server expect the catalog's Spanish
        with server.engine.begin() as conn:
            reviews.revert(
                conn,
                caller=operator(server.coalition_id),
                user_id=user_id,
                catalogs=Catalogs.load(),
                language="es",
                key="main.menu",
                now=utcnow(),
            )
