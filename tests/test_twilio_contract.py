"""Our Twilio clients against Twilio's own OpenAPI description, served by Stoplight Prism.

Prism (`make .tools/prism/.installed` installs it under .tools/) mocks the Messages API from
tests/data/twilio/twilio_api_v2010.json (Twilio's, copied in) and checks every request against
it: the path's AccountSid pattern, HTTP Basic credentials being there (not their value), the
form fields' names, types, patterns and formats (MessagingServiceSid `MG…`, ContentSid `HX…`,
StatusCallback a URI, `To` required), the query's PageSize range. A request that does not
conform gets a 401/415/422 problem document naming the violation; one that does gets the
spec's example (a 201 with `SMaaaa…`). The spec's servers (https://api.twilio.com) play no
part: Prism serves the spec's paths at its own root, which is where our clients put the
Twilio path after TWILIO_API_BASE_URL.

Two Prisms run. The main one has `--errors`, so its answers are also checked against the
spec's response schemas. The spec's own list examples break that check (their page URIs are
relative, the schema says `format: uri`), so Prism answers every list GET 500 there; the list
GET (`TwilioSender.find`) goes to a second Prism without `--errors`, which still refuses
non-conforming requests (see `test_prism_refuses_what_the_spec_does_not_allow`).

Set TURNOUT_SKIP_PRISM=1 to skip these tests where Node cannot be had; otherwise a missing
Prism fails them.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from bot.sending.senders import Outgoing, SendResult
from bot.settings import Settings
from bot.twilio.client import TwilioSender

ROOT = Path(__file__).parents[1]
SPEC = Path(__file__).resolve().parent / "data" / "twilio" / "twilio_api_v2010.json"
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
INSTALL = "make .tools/prism/.installed"

SID, TOKEN = "AC" + "5" * 32, "contract-test-token"
SMS_FROM, WHATSAPP_FROM = "+15005550006", "+14155238886"
SERVICE = "MG" + "6" * 32
TEMPLATE = "HX" + "7" * 32
TO = "+12135550123"
CALLBACK = "https://turnout.example.org/twilio/status?outbound=42"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("TURNOUT_SKIP_PRISM") == "1", reason="TURNOUT_SKIP_PRISM=1: no Prism"
    ),
]


@dataclass
class Prism:
    """A running `prism mock` and the file its log goes to."""

    url: str
    log: Path

    def violations(self) -> str:
        """Prism's request-validation lines, for an assertion's message."""
        lines = self.log.read_text(errors="replace").splitlines()
        found = [line for line in lines if "VALIDATOR" in line and "✔" not in line]
        return "\n".join(found[-20:]) or "\n".join(lines[-20:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _launch(log: Path, errors: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [str(PRISM), "mock", *(["--errors"] if errors else [])]
    command += ["-p", str(port), "-h", "127.0.0.1", str(SPEC)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    return proc, f"http://127.0.0.1:{port}"


def _ready(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def prisms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Prism, Prism]]:
    """Two Prisms on the spec, started together: with `--errors`, and without."""
    if not PRISM.exists():
        pytest.fail(
            f"Stoplight Prism is not installed ({PRISM} is missing): run `{INSTALL}` "
            "(`make test` does), or set TURNOUT_SKIP_PRISM=1 to skip the contract tests."
        )
    if not SPEC.exists():
        pytest.fail(f"Twilio's OpenAPI description is missing: expected it at {SPEC}")
    directory = tmp_path_factory.mktemp("prism")
    running: list[subprocess.Popen[bytes]] = []
    found: list[Prism] = []
    try:
        for name, errors in (("strict", True), ("lenient", False)):
            log = directory / f"{name}.log"
            for _attempt in range(3):  # another process may take the port first
                proc, url = _launch(log, errors)
                running.append(proc)
                deadline = time.monotonic() + 60
                while proc.poll() is None and not _ready(url) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if proc.poll() is None:
                    break
            prism = Prism(url, log)
            if proc.poll() is not None or not _ready(url):
                pytest.fail(f"Prism did not start on {url}:\n{log.read_text(errors='replace')}")
            found.append(prism)
        yield found[0], found[1]
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture(scope="module")
def prism(prisms: tuple[Prism, Prism]) -> Prism:
    """Prism with `--errors`: requests and its own answers checked."""
    return prisms[0]


@pytest.fixture(scope="module")
def lenient_prism(prisms: tuple[Prism, Prism]) -> Prism:
    """Prism without `--errors`: requests checked, answers taken from the spec as they are."""
    return prisms[1]


def _request(
    prism: Prism, method: str, path: str, form: dict[str, str], auth: bool = True
) -> tuple[int, str]:
    """A raw request, for what our clients would never send."""
    parts = urlsplit(prism.url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    body = urlencode(form)
    if method == "GET":
        path, body = f"{path}?{body}", ""
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _post(prism: Prism, path: str, form: dict[str, str], auth: bool = True) -> tuple[int, str]:
    return _request(prism, "POST", path, form, auth)


def _get(prism: Prism, path: str, query: dict[str, str]) -> tuple[int, str]:
    return _request(prism, "GET", path, query)


def _assert_accepted(result: SendResult, prism: Prism) -> None:
    assert result.error_code is None and result.error_message is None, (
        f"Prism refused the request: {result}\n{prism.violations()}"
    )
    assert result.sid and result.sid.startswith("SM"), result
    assert result.status == "queued"


def test_prism_is_installed() -> None:
    assert PRISM.exists(), (
        f"Stoplight Prism is not installed ({PRISM} is missing): run `{INSTALL}` "
        "(`make test` does), or set TURNOUT_SKIP_PRISM=1 to skip the contract tests."
    )
    assert SPEC.exists(), f"Twilio's OpenAPI description is missing: expected it at {SPEC}"


@pytest.mark.parametrize(
    ("path", "form", "auth", "status", "named"),
    [
        (MESSAGES, {"From": SMS_FROM, "Body": "hi"}, True, 422, "required property 'To'"),
        (MESSAGES, {"To": TO, "From": SMS_FROM, "Body": "hi"}, False, 401, "security"),
        (MESSAGES.replace(SID, "AC123"), {"To": TO, "Body": "hi"}, True, 422, "accountsid"),
        (MESSAGES, {"To": TO, "MessagingServiceSid": "MG123"}, True, 422, "MessagingServiceSid"),
        (MESSAGES, {"To": TO, "From": SMS_FROM, "ContentSid": "HX1"}, True, 422, "ContentSid"),
        (MESSAGES, {"To": TO, "StatusCallback": "/status"}, True, 422, "StatusCallback"),
    ],
    ids=["no-to", "no-credentials", "bad-account", "bad-service", "bad-content", "bad-callback"],
)
def test_prism_refuses_what_the_spec_does_not_allow(
    prism: Prism, path: str, form: dict[str, str], auth: bool, status: int, named: str
) -> None:
    answer, text = _post(prism, path, form, auth=auth)
    assert answer == status and named in text, text


def test_the_lenient_prism_validates_requests_too(lenient_prism: Prism) -> None:
    answer, text = _post(lenient_prism, MESSAGES, {"From": SMS_FROM, "Body": "hi"})
    assert answer == 422 and "required property 'To'" in text, text
    answer, text = _get(lenient_prism, MESSAGES, {"To": TO, "PageSize": "5000"})
    assert answer == 422 and "pagesize must be <= 1000" in text, text


def _settings(prism: Prism, **extra: str) -> Settings:
    values: dict[str, Any] = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_BASE_URL": prism.url,
        "_env_file": None,
        **extra,
    }
    return Settings(**values)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("sms", {"TWILIO_SMS_FROM": SMS_FROM}),
        ("sms", {"TWILIO_MESSAGING_SERVICE_SID": SERVICE}),
        ("whatsapp", {"TWILIO_WHATSAPP_FROM": WHATSAPP_FROM}),
    ],
    ids=["sms-from", "sms-messaging-service", "whatsapp"],
)
def test_the_sender_made_from_settings_conforms(
    prism: Prism, kind: str, extra: dict[str, str]
) -> None:
    message = Outgoing(TO, kind, "Polls close at 8 pm. 投票", status_callback=CALLBACK)

    async def send() -> SendResult:
        async with TwilioSender.from_settings(_settings(prism, **extra)) as twilio:
            return await twilio.send(message)

    _assert_accepted(asyncio.run(send()), prism)


@pytest.mark.parametrize(
    ("sender", "message"),
    [
        (
            {"sms_from": SMS_FROM},
            Outgoing(TO, "sms", "Polls close at 8 pm", status_callback=CALLBACK),
        ),
        (
            {"messaging_service_sid": SERVICE},
            Outgoing(TO, "sms", "Polls close at 8 pm", status_callback=CALLBACK),
        ),
        (
            {"whatsapp_from": f"whatsapp:{WHATSAPP_FROM}"},
            Outgoing(TO, "whatsapp", "Las urnas cierran a las 8", status_callback=CALLBACK),
        ),
        (
            {"whatsapp_from": f"whatsapp:{WHATSAPP_FROM}"},
            Outgoing(
                TO,
                "whatsapp",
                content_sid=TEMPLATE,
                content_variables={"1": "x"},
                status_callback=CALLBACK,
            ),
        ),
    ],
    ids=["sms-from", "sms-messaging-service", "whatsapp-text", "whatsapp-template"],
)
def test_the_asynchronous_sender_conforms(
    prism: Prism, sender: dict[str, Any], message: Outgoing
) -> None:
    async def send() -> SendResult:
        async with TwilioSender(SID, TOKEN, base_url=prism.url, **sender) as twilio:
            return await twilio.send(message)

    _assert_accepted(asyncio.run(send()), prism)


def test_the_asynchronous_lookup_conforms(lenient_prism: Prism) -> None:
    async def find() -> str | bool | None:
        async with TwilioSender(
            SID, TOKEN, base_url=lenient_prism.url, sms_from=SMS_FROM
        ) as twilio:
            return await twilio.find(Outgoing(TO, "sms", "Polls close at 8 pm"), datetime.now(UTC))

    found = asyncio.run(find())
    # False would mean Prism refused the GET (or could not be reached); the spec's example
    # page lists messages to other numbers, so nothing matches.
    assert found is None, f"find answered {found!r}\n{lenient_prism.violations()}"
