"""Elections, reminders and voter data in a browser: a coalition admin defines an election (the
form's error summary first), sees its reminder plan as a timeline on the election's clock,
moves a step, uploads a VIP feed and follows its import to the end, and tries an address,
answered in place as the bot would. Every page is checked with axe-core; TURNOUT_SCREENSHOTS=1
saves elections.png, election.png and voter-data.png in docs/console/."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from playwright.sync_api import Page, expect
from sqlalchemy import update

from bot.clock import utcnow
from bot.tables import CONTACTS
from tests.browser.conftest import ConsoleServer, check_a11y, screenshot, sign_in
from tests.helpers.voter import ALBEMARLE

ADDRESS = "250 Patterson Mill Lane, Crozet VA 22932"
_elections = itertools.count(1)


def test_define_an_election_move_a_step_and_try_an_address(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    day = utcnow().date() + dt.timedelta(days=90 + next(_elections))
    eve = day - dt.timedelta(days=1)
    name = f"Special Election {day.isoformat()}"
    org = server.organization()
    for language in ("es", "es", "vi"):  # voters who said YES to reminders
        contact_id, _ = server.voter(org, language=language)
        with server.engine.begin() as conn:
            update_reminders = update(CONTACTS).where(CONTACTS.c.id == contact_id)
            conn.execute(update_reminders.values(reminders=True))
    sign_in(page, server, server.admin_email)

    page.get_by_role("link", name="Elections", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Elections")
    check_a11y(page, "elections")
    page.get_by_role("button", name="Define an election").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Define an election")

    page.get_by_label("Name, as voters know it").fill(name)
    page.get_by_label("Election day").fill(day.isoformat())
    page.locator("#state").fill("California")
    page.get_by_label("Polls open").fill("21:00")  # after they close: refused
    page.get_by_label("Polls close").fill("20:00")
    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_label("Registration deadline").fill((day - dt.timedelta(days=15)).isoformat())
    page.locator("#link-registration_lookup-default").fill("https://www.sos.ca.gov/elections")
    page.get_by_role("button", name="Save the election").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("the polls must open before they close")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Name, as voters know it")).to_have_value(name)  # what was typed
    check_a11y(page, "the election form with an error")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Polls open")).to_be_focused()
    page.get_by_label("Polls open").fill("07:00")
    page.get_by_role("button", name="Save the election").click()

    # The election's page: its reminder plan on Chicago's clock.
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_text("Times in America/Chicago")).to_be_visible()
    steps = page.locator("ol.timeline > li")
    expect(steps).to_have_count(4)  # the deadline, the day before, the morning, the closing
    the_eve = steps.filter(has_text="The day before")
    expect(the_eve.locator("p.when")).to_contain_text(f"{eve.strftime('%b %-d, %Y')}, 5:00 PM")
    expect(the_eve.locator("p.reach")).to_contain_text(re.compile(r"Will reach [1-9][\d,]* voters"))
    the_eve.get_by_text("Its text in each language").click()
    expect(the_eve.locator('p.voter-text[lang="es"]')).to_contain_text(name)

    # Move the day before's reminder by an hour and a half.
    the_eve.get_by_label("Move to").fill(f"{eve.isoformat()}T18:30")
    the_eve.get_by_role("button", name="Move", exact=True).click()
    expect(page).to_have_url(re.compile(r"#step-\d+$"))
    the_eve = page.locator("ol.timeline > li").filter(has_text="The day before")
    expect(the_eve.locator("p.when")).to_contain_text("6:30 PM")
    expect(the_eve.locator(".tag", has_text="moved")).to_be_visible()
    check_a11y(page, "the election's plan")
    screenshot(page, "election")
    page.goto(f"{server.url}/console/elections")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "elections")

    # Voter data: a VIP feed, its import followed to the end, then an address tried.
    page.get_by_role("link", name="Voter data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voter data")
    page.get_by_label("File", exact=True).set_input_files(str(ALBEMARLE))
    page.get_by_role("button", name="Upload and import").click()
    job = page.locator("#job")
    expect(job).to_contain_text("Imported: it answers voters now.")  # htmx polls to the end
    expect(job).to_contain_text("Problems by kind")
    page.reload()
    sources = page.locator("li.source")
    expect(sources.first).to_contain_text("updated 2013-10-24")

    page.get_by_label("Address or ZIP code").fill(ADDRESS)
    page.locator("#try-language").select_option("es")
    url = page.url
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("#try-answer .bot-answer")
    expect(answer).to_contain_text("Lugares donde puede votar:")
    expect(answer).to_contain_text("CROZET ELEMENTARY SCHOOL")
    expect(answer).to_have_attribute("lang", "es")
    assert page.url == url  # answered in place
    check_a11y(page, "voter data")
    screenshot(page, "voter-data")
