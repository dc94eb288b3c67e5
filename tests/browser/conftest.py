"""Browser tests: the real console in Debian's Chromium, driven by Playwright.

What a journey gets (see docs/console.md, "Browser tests"):

- `console_server` (one per test process, so one per xdist worker): the app `turnout serve`
  builds, on a fresh migrated SQLite file, served by uvicorn on 127.0.0.1 (a free port), with
  the scheduler running in the same process and Twilio's REST API pointed at the Twilio
  double (whose status callbacks come back to the server). See `ConsoleServer` for its
  attributes and helpers. Tests share it: each makes its own organizations, people and voters
  (the helpers give fresh names and phone numbers) and looks only at its own.
- `page` (a desktop window, 1280x900) and `phone_page` (390x844, touch): a fresh browser
  context each (no cookies). `new_page(phone=False)` opens more (two people at once).
  An uncaught script error or a Content-Security-Policy violation on a page fails the test.
- `sign_in(page, server, email, password=PASSWORD)`: through the sign-in form.
- `check_a11y(page, name)`: axe-core in the page (WCAG 2.1 A and AA rules); fails listing the
  serious and critical violations.
- `screenshot(page, name)`: a full-page PNG at docs/console/<name>.png, only when
  TURNOUT_SCREENSHOTS=1 (so that a test run leaves the tree clean).

Import the helpers with `from tests.browser.conftest import check_a11y, screenshot, sign_in`.

Without a Chromium (/usr/bin/chromium, or TURNOUT_CHROMIUM) or without Playwright, the whole
directory is skipped with a note saying how to enable it; where CI is set it fails instead.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from twilio.request_validator import RequestValidator

from bot.access import operator
from bot.accounts import users
from bot.app import create_app
from bot.clock import utcnow
from bot.db import make_engine
from bot.migrate import upgrade
from bot.settings import Settings
from scheduler.process import Sending, build_scheduler
from tests.helpers.console import PASSWORD, make_user, staffed
from tests.helpers.partners import make_org
from tests.helpers.sending import ACCOUNT, add_contact, sending_settings
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN, TO, sid

WAIT_MS = 20_000  # what a journey waits for a condition (the inbox refreshes every 5 s)

try:  # without Playwright nothing below is used: every test file is skipped (below)
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Page,
        Playwright,
        expect,
        sync_playwright,
    )
except ImportError:  # pragma: no cover
    pass
else:
    expect.set_options(timeout=WAIT_MS)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TURNOUT_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "console"
HOWTO = (
    "{what}: {why}. Install Debian's Chromium (`apt-get install -y chromium`; .ci/run does) "
    "or point TURNOUT_CHROMIUM at a Chromium binary."
)


def _unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"Playwright does not import ({exc})"
    found = shutil.which(CHROMIUM) if not os.path.isabs(CHROMIUM) else CHROMIUM
    if not found or not os.access(found, os.X_OK):
        return f"no Chromium at {CHROMIUM}"
    return None


_WHY = _unavailable()


class _Unavailable(pytest.Module):
    """A test file of this directory where the browser tests cannot run: not imported,
    skipped with the reason (failed where CI is set: CI must run them)."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        if os.environ.get("CI"):
            pytest.fail(HOWTO.format(what="CI must run the browser tests", why=_WHY), False)
        pytest.skip(HOWTO.format(what="the browser tests are skipped", why=_WHY))


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    """Every test file here is skipped as a whole when there is no browser to run it in."""
    if _WHY is None:
        return None
    return _Unavailable.from_parent(parent, path=module_path)


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
_names = itertools.count(1)


def _wait(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class ConsoleServer:
    """The console served for real. `url` (no trailing slash), `engine`, `settings`, `double`
    (the Twilio double: `.created` is every message sent, `.count_by_to()`); `admin_email`
    and `password` sign in the coalition's admin; `coalition_id` is its organization."""

    url: str
    engine: Engine
    settings: Settings
    double: TwilioDouble
    coalition_id: int = 0
    admin_email: str = ""
    password: str = PASSWORD
    _phones: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- people and organizations ------------------------------------------------------------

    def organization(
        self, name: str | None = None, *, admin: bool = False, always_staffed: bool = True
    ) -> int:
        """A new organization (a fresh name unless given; staffed around the clock unless
        told otherwise, so that what the bot says to "4" does not depend on the hour)."""
        org_id, _, _ = make_org(self.engine, name or f"Partner {next(_names)}", admin=admin)
        if always_staffed:
            staffed(self.engine, org_id, always=True)
        return org_id

    def user(
        self, org_id: int, role: str = "organizer", email: str | None = None, **profile: Any
    ) -> str:
        """A person with `password` and a role in an organization; their email. Profile
        fields: name, ui_language ("en"/"es"), speaks (voters' languages), phone."""
        email = email or f"person{next(_names)}@example.org"
        make_user(self.engine, email, org_id, role, **profile)
        return email

    def invite(self, org_id: int, role: str = "organizer", email: str | None = None) -> str:
        """An invitation as `turnout users invite` makes it; the one-time link (absolute)."""
        email = email or f"invited{next(_names)}@example.org"
        with self.engine.begin() as conn:
            made = users.invite(
                conn,
                caller=operator(self.coalition_id),
                email=email,
                organization_id=org_id,
                role=role,
                now=utcnow(),
            )
        return f"{self.url}/console/invite/{made.token}"

    # -- voters ------------------------------------------------------------------------------

    def phone(self) -> str:
        """A voter's phone number nobody in this server has used."""
        return f"+1213559{next(self._phones):04d}"

    def voter(
        self, org_id: int | None = None, *, language: str | None = "es", phone: str | None = None
    ) -> tuple[int, str]:
        """A contact on an organization's list (none: the coalition's request); (id, phone)."""
        phone = phone or self.phone()
        lists: list[tuple[int, str, list[str]]] = [(org_id, "90012", [])] if org_id else []
        return add_contact(self.engine, phone, language, lists), phone

    def text(self, phone: str, body: str, *, channel: str = "sms") -> httpx.Response:
        """The voter texts the bot: a webhook signed as Twilio signs it. The answer's TwiML
        is `.text` (use tests.helpers.webhook.bodies on it)."""
        sender = f"whatsapp:{phone}" if channel == "whatsapp" else phone
        to = f"whatsapp:{TO}" if channel == "whatsapp" else TO
        data = {
            "MessageSid": sid(),
            "From": sender,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "AccountSid": ACCOUNT,
        }
        url = f"{self.url}/twilio/messages"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
        answer = httpx.post(url, data=data, headers={"X-Twilio-Signature": signature}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer

    def ask_for_a_person(self, phone: str, *texts: str, greeting: str = "hola") -> None:
        """The voter greets the bot, texts 4 ("talk to a person"), then says what they need."""
        for body in (greeting, "4", *texts):
            self.text(phone, body)

    # -- what Twilio got -----------------------------------------------------------------------

    def sent_to(self, phone: str) -> list[str]:
        """The bodies the double received for a number (SMS or WhatsApp), in order."""
        return [
            str(m["body"])
            for m in list(self.double.created)
            if str(m["to"]).removeprefix("whatsapp:") == phone
        ]

    def wait_sent(self, phone: str, count: int = 1, timeout: float = 30.0) -> list[str]:
        """Wait until the double has `count` messages (at least) for a number; their bodies."""
        _wait(
            lambda: len(self.sent_to(phone)) >= count, f"{count} message(s) to the voter", timeout
        )
        return self.sent_to(phone)

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
        """Wait until `condition()` holds (polling), or fail saying what did not happen."""
        _wait(condition, what, timeout)


@contextlib.contextmanager
def _served(settings: Settings, engine: Engine, sock: socket.socket) -> Iterator[None]:
    config = uvicorn.Config(
        create_app(settings, engine), log_level="warning", loop="asyncio", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="console-server"
    )
    thread.start()
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """The console as `turnout serve` runs it (web app + scheduler), on its own SQLite file
    and port, talking to the Twilio double."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = tmp_path_factory.mktemp("browser") / f"console-{worker}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with TwilioDouble(ACCOUNT, AUTH_TOKEN) as double:
        settings = sending_settings(engine, double.url, url)
        sending = Sending.from_settings(engine, settings)
        scheduler = build_scheduler(engine, settings, blocking=False, sending=sending)
        try:
            with _served(settings, engine, sock):
                _wait(lambda: _answers(url), "the console server to answer /healthz")
                scheduler.start()
                server = ConsoleServer(url, engine, settings, double)
                server.coalition_id = server.organization("Voter Power Coalition", admin=True)
                server.admin_email = server.user(
                    server.coalition_id, "admin", "admin@coalition.example.org", name="Alex"
                )
                yield server
                sending.stop.set()
                scheduler.shutdown(wait=True)
        finally:
            if scheduler.running:
                sending.stop.set()
                scheduler.shutdown(wait=True)
            sending.role.release()
            sock.close()
    engine.dispose()


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    found = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
    )
    yield found
    found.close()


@dataclass
class _Watch:
    """What went wrong in a page's scripts: uncaught errors and CSP violations."""

    problems: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")

    def error(self, exc: Any) -> None:
        self.problems.append(f"script error: {exc}")


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Opens pages, each in a fresh context (no cookies): `new_page(phone=False)`."""
    contexts = []
    watch = _Watch()

    def make(phone: bool = False) -> Page:
        options: dict[str, Any] = {"locale": "en-US", "timezone_id": "America/Los_Angeles"}
        if phone:
            options |= {
                "viewport": PHONE,
                "is_mobile": True,
                "has_touch": True,
                "device_scale_factor": 2,
            }
        else:
            options |= {"viewport": DESKTOP}
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        opened = context.new_page()
        opened.on("console", watch.console)
        opened.on("pageerror", watch.error)
        return opened

    yield make
    for context in contexts:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop browser window (1280x900), no cookies."""
    return new_page()


@pytest.fixture
def phone_page(new_page: Callable[..., Page]) -> Page:
    """A phone-sized window (390x844, touch), no cookies."""
    return new_page(phone=True)


# -- helpers for journeys ---------------------------------------------------------------------


def sign_in(page: Page, server: ConsoleServer, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does; waits until the console's page is shown."""
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/console/login" not in url)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def check_a11y(page: Page, name: str = "") -> None:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page as it is now; fail listing every
    serious or critical violation (rule, help, the elements)."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is missing at {AXE}: run `make .tools/axe/.installed`")
        pytest.skip(f"axe-core is not installed at {AXE}: run `make .tools/axe/.installed`")
    # Evaluated through the DevTools protocol, which the page's strict CSP does not block
    # (an injected <script> tag would be).
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG,
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    lines = []
    for v in bad:
        targets = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:8])
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{targets}]")
        for n in v["nodes"][:3]:
            lines.append(f"    {n.get('failureSummary', '').splitlines()[-1:]}")
    where = f"{name} ({page.url})" if name else page.url
    assert not bad, f"accessibility violations on {where}:\n" + "\n".join(lines)


def screenshot(page: Page, name: str) -> Path | None:
    """A full-page PNG at docs/console/<name>.png when TURNOUT_SCREENSHOTS=1 (else nothing)."""
    if os.environ.get("TURNOUT_SCREENSHOTS") != "1":
        return None
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path
