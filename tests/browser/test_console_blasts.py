"""The blast journey in a browser: an organizer composes a blast in three languages, watches
each language's counter change as they type and the audience count per language, previews
what each language gets, schedules it now, and follows the blast's page until its progress
is done; the Twilio double received exactly one message per recipient, each in the
recipient's language. Every page is checked with axe-core; TURNOUT_SCREENSHOTS=1 saves
blasts.png, blast-compose.png, blast-compose-phone.png and blast.png in docs/console/."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleServer, check_a11y, screenshot, sign_in

EN = "Early voting starts Saturday! Find your vote center at lavote.gov"
ES = "¡El voto anticipado empieza el sábado! Busque su centro en lavote.gov"
ZH = "提前投票周六开始！请到 lavote.gov 查找投票中心"


def test_compose_a_blast_in_three_languages_and_follow_it_to_the_end(
    console_server: ConsoleServer, page: Page, new_page: Callable[..., Page]
) -> None:
    server = console_server
    org = server.organization()
    email = server.user(org, "organizer", name="Ana Organizer")
    voters = {
        "en": [server.voter(org, language="en")[1] for _ in range(2)],
        "es": [server.voter(org, language="es")[1] for _ in range(2)],
        "zh": [server.voter(org, language="zh")[1]],
    }
    phones = [phone for found in voters.values() for phone in found]

    sign_in(page, server, email)
    page.get_by_role("link", name="Blasts", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Blasts")
    page.get_by_role("button", name="New blast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New blast")

    # The audience is counted per language before anything is written.
    preview = page.locator("#preview")
    expect(preview).to_contain_text("5 recipients")
    page.get_by_label("Name (for your team; voters do not see it)").fill("Early voting")

    # Each language's counter follows the typing.
    english, counter_en = page.locator("#text-en"), page.locator("#counter-en")
    english.press_sequentially("Early voting", delay=15)
    expect(counter_en).to_contain_text("GSM-7")
    first = counter_en.inner_text()
    english.press_sequentially(EN.removeprefix("Early voting"), delay=5)
    expect(counter_en).not_to_have_text(first)
    expect(counter_en).to_contain_text("1 SMS segment(s) · GSM-7")
    page.locator("#text-es").press_sequentially(ES, delay=5)
    expect(page.locator("#counter-es")).to_contain_text("UCS-2")  # "¡" is GSM-7, "á" is not
    chinese, counter_zh = page.locator("#text-zh"), page.locator("#counter-zh")
    chinese.press_sequentially(ZH, delay=15)
    expect(counter_zh).to_contain_text("UCS-2")
    expect(counter_zh).to_contain_text("1 SMS segment(s)")
    chinese.press_sequentially("。" + "请投票" * 12, delay=5)
    expect(counter_zh).to_contain_text("2 SMS segment(s)")

    # The preview: per language, what they get and what it costs.
    expect(preview.locator("tbody tr")).to_have_count(3)
    expect(preview.locator("tbody tr", has_text="their own text")).to_have_count(3)
    for name, count in (("English", 2), ("Español", 2), ("简体中文", 1)):
        row = preview.get_by_role("row", name=re.compile(rf"^{name} {count} their own text"))
        expect(row).to_have_count(1)
    expect(preview).to_contain_text("Estimated cost: $")
    expect(preview.locator('blockquote[lang="zh"]')).to_contain_text("提前投票")
    expect(preview.locator('blockquote[lang="es"]')).to_contain_text("Responda")
    check_a11y(page, "blast composer")
    screenshot(page, "blast-compose")

    # The same page on a phone.
    phone = new_page(phone=True)
    sign_in(phone, server, email)
    phone.goto(f"{server.url}/console/blasts/new")
    expect(phone.locator("#preview")).to_contain_text("5 recipients")
    check_a11y(phone, "blast composer on a phone")
    screenshot(phone, "blast-compose-phone")

    # Schedule it now; its page follows it to the end.
    expect(page.get_by_label("Now")).to_be_checked()
    page.get_by_role("button", name="Schedule the blast").click()
    expect(page).to_have_url(re.compile(r"/console/blasts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Early voting")
    progress = page.locator("#blast-progress")
    expect(progress).to_contain_text("Done: every message has been decided.", timeout=60_000)
    expect(progress).to_contain_text("Decided: 5 of 5")
    server.wait_for(
        lambda: all(len(server.sent_to(p)) == 1 for p in phones), "a message to every voter"
    )
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)  # over: nothing to steer
    page.reload()  # the chart as it ended (it refreshes itself every 10 s otherwise)
    expect(page.locator("#blast-chart details tbody tr").first).to_be_attached()
    check_a11y(page, "blast page")
    screenshot(page, "blast")

    # Exactly one message per recipient, in their language, with the opt-out line.
    assert all(len(server.sent_to(p)) == 1 for p in phones)
    for phone_number in voters["en"]:
        assert server.sent_to(phone_number)[0].startswith(EN)
    for phone_number in voters["es"]:
        assert server.sent_to(phone_number)[0].startswith(ES)
    assert server.sent_to(voters["zh"][0])[0].startswith(ZH)
    page.get_by_role("link", name="Back to the blasts").click()
    row = page.locator("tr", has_text="Early voting")
    expect(row).to_contain_text("done")
    expect(row).to_contain_text("5 of 5 decided")
    check_a11y(page, "blasts")
    screenshot(page, "blasts")
