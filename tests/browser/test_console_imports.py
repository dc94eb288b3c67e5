"""The import journey in a browser: an organizer drops a messy CSV (semicolons, Windows-1252,
a phone column Turnout does not recognize) on the upload zone, sees the dry run say what is
wrong, fixes the column mapping, sees the rows as Turnout reads them, imports, watches the
progress reach the end with the rejected rows listed, and finds the new contacts by the last
digits of a phone. Every page is checked with axe-core; TURNOUT_SCREENSHOTS=1 saves
imports.png, import-dry-run.png, import-progress.png, contacts.png and contact.png."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from bot.tables import CONTACTS
from tests.browser.conftest import ConsoleServer, check_a11y, screenshot, sign_in
from tests.helpers.sending import add_contact

BASIS = "Sign-up sheet at the Lunar New Year festival, which said: Text me voting reminders."


def _written(phone: str) -> str:
    """+12135590001 as a volunteer types it: (213) 559-0001."""
    return f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"


def test_upload_a_messy_list_fix_its_mapping_import_it_and_find_the_contacts(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    org = server.organization()
    email = server.user(org, "organizer", name="Ana Organizer")
    jose, ana, stopped = server.phone(), server.phone(), server.phone()
    add_contact(server.engine, stopped, "es", [], opted_out=True)  # texted STOP earlier
    content = (
        "Nombre;Apellido;Tel celular;Idioma;Codigo postal\r\n"
        f"José;Núñez;{_written(jose)};Español;90012\r\n"
        f"Ana;López;{_written(ana)};english;2134\r\n"
        "Cy;Tran;3.23555E+09;vietnamese;90012\r\n"
        f"Gus;Ortiz;{_written(stopped)};es;90012\r\n"
    ).encode("cp1252")

    sign_in(page, server, email)
    page.get_by_role("link", name="Contacts", exact=True).first.click()
    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact lists")
    check_a11y(page, "imports")

    # The list is dropped on the zone (the page's script puts it in the file input).
    page.evaluate(
        """(bytes) => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(bytes)], "messy.csv", {type: "text/csv"}));
            const zone = document.querySelector("[data-dropzone]");
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true,
                                                      cancelable: true}));
        }""",
        list(content),
    )
    expect(page.locator(".dropzone-name")).to_have_text("messy.csv")
    page.get_by_label("Consent basis").fill(BASIS)
    page.get_by_label("Language they were asked in").select_option("es")
    page.get_by_label("Date the consent was collected").fill("2024-02-10")
    page.get_by_role("button", name="Upload and check").click()

    # The dry run: how the file reads, and what is wrong with it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check how Turnout reads messy.csv")
    expect(page.locator("#error-summary")).to_contain_text("no phone column")
    expect(page.locator("#encoding")).to_have_text("cp1252")
    expect(page.locator("#delimiter")).to_have_text(";")
    check_a11y(page, "dry run with a problem")

    page.get_by_label("Column Tel celular is read as").select_option("phone")
    page.get_by_role("button", name="Check again with these columns").click()
    expect(page.locator("#error-summary")).to_have_count(0)
    rows = page.locator("table.read-rows")
    expect(rows).to_contain_text(jose)  # E.164
    expect(rows).to_contain_text("02134")  # the ZIP a spreadsheet shortened
    expect(rows).to_contain_text("scientific notation")
    expect(page.get_by_text("4 rows shown, 1 of them would be rejected.")).to_be_visible()
    check_a11y(page, "dry run")
    screenshot(page, "import-dry-run")

    # Import: the page follows the import until it is done.
    page.get_by_role("button", name="Import the list").click()
    page.wait_for_url(re.compile(r"/console/imports/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of messy.csv")
    expect(page.locator("#import-status")).to_have_text("done")
    expect(page.locator("#count-new")).to_have_text("2")
    expect(page.locator("#count-rejected")).to_have_text("1")
    expect(page.locator("#count-suppressed")).to_have_text("1")  # STOP stays STOP
    bar = page.locator("#import-bar")
    expect(bar).to_have_attribute("value", bar.get_attribute("max") or "")
    expect(page.locator("table.import-errors")).to_contain_text("3.23555E+09")
    expect(page.get_by_role("link", name="Download every problem (errors.csv)")).to_be_visible()
    check_a11y(page, "import progress")
    screenshot(page, "import-progress")
    with server.engine.connect() as conn:
        assert conn.execute(
            select(CONTACTS.c.opted_out).where(CONTACTS.c.phone == stopped)
        ).scalar_one()

    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.locator("table.imports")).to_contain_text("messy.csv")
    check_a11y(page, "imports with one")
    screenshot(page, "imports")
    page.go_back()

    # The new contacts are on the list, found by the last digits of a phone.
    page.get_by_role("link", name="See the contacts").click()
    expect(page.get_by_role("heading", level=2, name="2 contacts")).to_be_visible()
    page.get_by_label("Name, or the last digits of a phone").fill(jose[-4:])
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2, name="1 contact")).to_be_visible()
    table = page.locator("table.contacts")
    expect(table).to_contain_text(jose)
    expect(table).not_to_contain_text(ana)
    check_a11y(page, "contacts")
    page.get_by_label("Name, or the last digits of a phone").fill("")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.contacts")).to_contain_text("Ana López")
    screenshot(page, "contacts")

    page.get_by_role("link", name="José Núñez").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("José Núñez")
    expect(page.locator("table.consent")).to_contain_text("opt_in")
    expect(page.get_by_role("link", name="Open the conversation")).to_be_visible()
    check_a11y(page, "contact")
    screenshot(page, "contact")
