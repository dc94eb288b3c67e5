"""The console's part 1 in a browser: signing in, an invitation, a voter's request for a person
answered from the inbox (the Twilio double gets the text), the voter's answer on the open page,
STOP during a request, keyboard use, right-to-left text, a phone-sized window. Every page is
checked with axe-core; TURNOUT_SCREENSHOTS=1 saves the screenshots in docs/console/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Locator, Page, expect

from bot.phones import mask
from tests.browser.conftest import ConsoleServer, check_a11y, screenshot, sign_in
from tests.helpers.console import PASSWORD
from tests.helpers.webhook import bodies

QUESTION = "¿Me pueden llevar a votar el martes?"
ANSWER = "¡Claro! Una voluntaria puede pasar por usted a las 10. ¿Le conviene?"


def _organizer(server: ConsoleServer, **profile: Any) -> tuple[int, str]:
    """A partner organization and its organizer, who answers voters in Spanish."""
    org = server.organization()
    profile = {"speaks": ["es"], "name": "Ana Organizer", **profile}
    return org, server.user(org, "organizer", **profile)


def _request(page: Page, contact_id: int) -> Locator:
    """A voter's request in the inbox (the page shows phone numbers masked)."""
    return page.locator("li.request").filter(
        has=page.locator(f'a[href="/console/conversations/{contact_id}"]')
    )


def _open_conversation(page: Page, server: ConsoleServer, contact_id: int, phone: str) -> None:
    """From the inbox, wait for the voter's request to show up and open it."""
    page.goto(f"{server.url}/console/inbox")
    request = _request(page, contact_id)
    expect(request).to_be_visible()  # the inbox refreshes itself every few seconds
    expect(request).to_contain_text(mask(phone))
    request.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(mask(phone))


# -- signing in ------------------------------------------------------------------------------


def test_a_wrong_password_shows_the_error_summary_then_signing_in_works(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    _, email = _organizer(server)
    page.goto(f"{server.url}/")
    expect(page).to_have_url(re.compile(r"/console/login"))  # signed out: the sign-in form
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_a11y(page, "sign-in")
    screenshot(page, "login")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Wrong email or password.")
    expect(summary).to_be_focused()  # announced by screen readers
    expect(page.get_by_label("Email")).to_have_value(email)  # what they typed stays
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    check_a11y(page, "sign-in with an error")
    screenshot(page, "login-error")
    # The summary's link leads to the field.
    summary.get_by_role("link").click()
    expect(page.get_by_label("Email")).to_be_focused()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console/dashboard"))
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voters who asked for a person")
    expect(page.get_by_role("link", name="Inbox")).to_have_attribute("aria-current", "page")
    check_a11y(page, "inbox")


def test_an_invitation_link_sets_a_password_and_signs_in(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    org = server.organization()
    link = server.invite(org, "organizer", email="new.person@example.org")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    expect(page.get_by_text("new.person@example.org")).to_be_visible()
    check_a11y(page, "invitation")
    screenshot(page, "invite")

    page.get_by_label("Your name").fill("Nadia")
    page.get_by_label("Password (at least 10 characters)").fill("correct horse battery")
    page.get_by_label("The same password again").fill("correct horse batteries")
    page.get_by_role("button", name="Save and sign in").click()
    expect(page.locator("#error-summary")).to_contain_text("The two passwords are not the same.")
    expect(page.get_by_label("The same password again")).to_have_attribute("aria-invalid", "true")
    check_a11y(page, "invitation with an error")

    page.get_by_label("Password (at least 10 characters)").fill("correct horse battery")
    page.get_by_label("The same password again").fill("correct horse battery")
    page.get_by_role("button", name="Save and sign in").click()
    expect(page).to_have_url(re.compile(r"/console/dashboard"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The link was for one use; the password works from now on.
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("This link does not work any more")
    page.goto(f"{server.url}/console/profile")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/console/login"))
    sign_in(page, server, "new.person@example.org", "correct horse battery")


# -- a voter's request for a person ----------------------------------------------------------


def test_a_voter_asks_for_a_person_and_an_organizer_answers(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    org, email = _organizer(server)
    contact_id, phone = server.voter(org, language="es")
    sign_in(page, server, email)
    page.goto(f"{server.url}/console/inbox")
    expect(page.locator(".empty")).to_contain_text("No request matches.")
    page.evaluate("() => { window.stillHere = true; }")  # gone if the page reloads

    # The voter texts 4 while the inbox is open: their request shows up without a reload.
    server.ask_for_a_person(phone, QUESTION)
    request = _request(page, contact_id)
    expect(request).to_be_visible()
    expect(request.locator(".tag").first).to_have_text("es")
    expect(request.locator("p.last")).to_have_text(QUESTION)
    expect(request.locator("p.last")).to_have_attribute("lang", "es")
    expect(request).to_contain_text("Unassigned")
    assert page.evaluate("() => window.stillHere") is True  # no reload
    _open_conversation(page, server, contact_id, phone)
    check_a11y(page, "conversation")
    thread = page.locator("#thread")
    expect(thread.locator("li.voter").last).to_contain_text(QUESTION)
    expect(thread.locator("li.voter .text").last).to_have_attribute("lang", "es")
    expect(page.locator("section.handoff")).to_contain_text("Unassigned")

    # Assign to me.
    page.get_by_label("Assign to").select_option("me")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("section.handoff")).to_contain_text("Assigned to Ana Organizer")

    # The counter follows what is typed.
    box = page.get_by_label("Your reply, in the voter's language")
    counter = page.locator("#counter")
    expect(counter).to_have_text("0 characters · 1 SMS segment")
    box.press_sequentially("Hola")
    expect(counter).to_contain_text("4 characters · 1 SMS segment(s) · GSM-7")
    box.fill(ANSWER)
    expect(counter).to_contain_text(f"{len(ANSWER)} characters · 1 SMS segment(s) · GSM-7")
    box.fill(ANSWER + " 🗳️")
    expect(counter).to_contain_text("UCS-2")
    box.fill(ANSWER)
    expect(counter).to_contain_text("GSM-7")
    check_a11y(page, "conversation with a reply typed")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Sent by SMS.")
    # Exactly one message, this text, to this voter (the dispatcher sends it in a moment).
    assert server.wait_sent(phone) == [ANSWER]
    expect(thread.locator("li.person").last).to_contain_text(ANSWER)
    expect(thread.locator("li.person").last).to_contain_text("Ana Organizer")
    # Delivered, as the double's status callbacks said (the thread refreshes itself).
    expect(thread.locator("li.person").last.locator(".status")).to_have_text("delivered")

    # The voter answers: it shows up on the open page without a reload.
    page.evaluate("() => { window.stillHere = true; }")
    answered = server.text(phone, "Sí, a las 10 está bien. ¡Gracias!")
    assert bodies(answered) == []  # the bot stays quiet while a person has the request
    expect(thread.locator("li.voter").last).to_contain_text("Sí, a las 10 está bien.")
    assert page.evaluate("() => window.stillHere") is True
    screenshot(page, "conversation")

    # Close: back to the bot, which tells the voter so; the inbox no longer lists them.
    page.get_by_role("button", name="Close: back to the bot").click()
    expect(page).to_have_url(re.compile(r"/console/inbox"))
    expect(_request(page, contact_id)).to_have_count(0)
    sent = server.wait_sent(phone, 2)
    assert sent[0] == ANSWER and len(sent) == 2 and sent[1] != ANSWER  # the hand-back note
    assert server.sent_to(phone).count(ANSWER) == 1  # still once
    assert bodies(server.text(phone, "2"))  # the bot answers the voter again


def test_stop_during_a_request_closes_the_reply_box(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    org, email = _organizer(server)
    contact_id, phone = server.voter(org, language="es")
    server.ask_for_a_person(phone, QUESTION)
    sign_in(page, server, email)
    _open_conversation(page, server, contact_id, phone)
    expect(page.get_by_label("Your reply, in the voter's language")).to_be_visible()

    server.text(phone, "STOP")
    expect(page.locator("#thread li.voter").last).to_contain_text("STOP")  # without a reload
    page.reload()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This voter texted STOP.")
    expect(page.locator("textarea[name=body]")).to_have_count(0)
    expect(page.locator("section.handoff")).to_have_count(0)  # the request is closed
    check_a11y(page, "conversation of an opted-out voter")
    assert server.sent_to(phone) == []  # nothing went to them


def test_a_voter_writing_arabic_reads_right_to_left(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    org = server.organization()
    email = server.user(org, "organizer", speaks=["ar", "es"])
    contact_id, phone = server.voter(org, language="ar")
    arabic = "أريد التحدث مع شخص عن مكان التصويت"
    server.ask_for_a_person(phone, arabic, greeting="مرحبا")
    sign_in(page, server, email)
    page.goto(f"{server.url}/console/inbox?filtered=1")
    request = _request(page, contact_id)
    expect(request.locator("p.last")).to_have_attribute("dir", "rtl")
    expect(request.locator("p.last")).to_have_attribute("lang", "ar")
    request.get_by_role("link").click()
    message = page.locator("#thread li.voter .text").filter(has_text=arabic)
    expect(message).to_have_attribute("dir", "rtl")
    expect(message).to_have_attribute("lang", "ar")
    assert message.evaluate("e => getComputedStyle(e).direction") == "rtl"
    box = page.get_by_label("Your reply, in the voter's language")
    expect(box).to_have_attribute("dir", "rtl")
    box.fill("مرحبا")
    expect(page.locator("#counter")).to_contain_text("UCS-2")
    check_a11y(page, "an Arabic conversation")


# -- keyboard, phone, the admin's pages --------------------------------------------------------


def _focus_ring(page: Page) -> str:
    """The focused element's outline, as drawn."""
    return str(
        page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return s.outlineStyle + ' ' + s.outlineWidth; }"
        )
    )


def test_the_keyboard_reaches_the_skip_link_and_the_reply_box_with_visible_focus(
    console_server: ConsoleServer, page: Page
) -> None:
    server = console_server
    org, email = _organizer(server)
    contact_id, phone = server.voter(org, language="es")
    server.ask_for_a_person(phone, QUESTION)

    # Signing in with the keyboard alone.
    page.goto(f"{server.url}/console/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown when focused
    assert _focus_ring(page).startswith("solid")
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    assert _focus_ring(page).startswith("solid")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/dashboard"))

    page.goto(f"{server.url}/console/conversations/{contact_id}")
    box = page.get_by_label("Your reply, in the voter's language")
    for _ in range(60):  # Tab through the page until the reply box has the focus
        page.keyboard.press("Tab")
        if box.evaluate("e => e === document.activeElement"):
            break
    expect(box).to_be_focused()
    assert _focus_ring(page).startswith("solid")
    page.keyboard.type("Hola, ya le respondo.")
    expect(page.locator("#counter")).to_contain_text("21 characters")
    page.keyboard.press("Tab")  # past the prepared answers ...
    while not page.evaluate("() => document.activeElement.textContent.trim() === 'Send'"):
        assert page.evaluate("() => document.activeElement !== document.body")
        page.keyboard.press("Tab")
    assert _focus_ring(page).startswith("solid")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Sent by SMS.")
    assert server.wait_sent(phone) == ["Hola, ya le respondo."]


def test_on_a_phone_the_inbox_and_the_conversation_work(
    console_server: ConsoleServer, phone_page: Page
) -> None:
    page = phone_page
    server = console_server
    org, email = _organizer(server)
    contact_id, phone = server.voter(org, language="es")
    server.ask_for_a_person(phone, QUESTION)
    sign_in(page, server, email)
    page.goto(f"{server.url}/console/inbox")
    request = _request(page, contact_id)
    expect(request).to_be_visible()
    _fits(page)
    check_a11y(page, "inbox on a phone")
    screenshot(page, "inbox-phone")

    request.get_by_role("link").tap()
    box = page.get_by_label("Your reply, in the voter's language")
    expect(box).to_be_visible()
    _fits(page)
    box.fill("Sí, claro. ¿A qué hora?")
    expect(page.locator("#counter")).to_contain_text("23 characters")
    check_a11y(page, "conversation on a phone")
    page.get_by_role("button", name="Send", exact=True).tap()
    expect(page.get_by_role("status")).to_contain_text("Sent by SMS.")
    assert server.wait_sent(phone) == ["Sí, claro. ¿A qué hora?"]
    expect(page.locator("#thread li.person").last).to_contain_text("¿A qué hora?")
    screenshot(page, "conversation-phone")


def _fits(page: Page) -> None:
    """Nothing sticks out sideways (no horizontal scrolling on a phone)."""
    wide, seen = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide <= seen, f"the page is {wide}px wide in a {seen}px window"


def test_the_admin_sees_people_and_everyone_has_a_profile(
    console_server: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    server = console_server
    org, organizer = _organizer(server, name="Rosa Reyes")
    first, phone = server.voter(org, language="es")
    server.ask_for_a_person(phone, QUESTION)
    second, _ = server.voter(org, language="es")
    third, other = server.voter(org, language="en")
    server.ask_for_a_person(other, "Where do I vote?", greeting="hello")

    page = new_page()
    sign_in(page, server, server.admin_email)
    page.goto(f"{server.url}/console/inbox?filtered=1")  # every language
    expect(_request(page, first)).to_be_visible()
    expect(_request(page, third)).to_be_visible()
    check_a11y(page, "the admin's inbox")
    screenshot(page, "inbox")

    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    check_a11y(page, "people")
    page.get_by_label("Email").fill("nuevo@example.org")
    page.get_by_label("Role").select_option("organizer")
    page.get_by_role("button", name="Make the invitation link").click()
    link = page.locator("#invite-link")
    expect(link).to_contain_text("/console/invite/")
    check_a11y(page, "people with a new invitation")
    screenshot(page, "people")
    invited = new_page()
    invited.goto(link.get_attribute("href") or "")
    expect(invited.get_by_text("You are invited as")).to_contain_text("nuevo@example.org")

    # An organizer's profile: the languages they answer in filter their inbox.
    mine = new_page()
    sign_in(mine, server, organizer)
    mine.get_by_role("link", name="Profile").click()
    expect(mine.get_by_role("heading", level=1)).to_have_text("Profile")
    expect(mine.get_by_role("checkbox", name="Español")).to_be_checked()
    check_a11y(mine, "profile")
    screenshot(mine, "profile")
    mine.get_by_role("checkbox", name="English").check()
    mine.get_by_role("button", name="Save").click()
    expect(mine.get_by_role("status")).to_contain_text("Saved.")
    mine.get_by_role("link", name="Inbox").click()
    expect(_request(mine, third)).to_be_visible()
    expect(_request(mine, first)).to_be_visible()
    assert second  # a voter who did not ask: not in anyone's inbox
    expect(mine.locator("li.request")).to_have_count(2)
