"""The Twilio double itself, over real HTTP: what the dispatcher's tests and benchmarks rely on."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from tests.helpers.twilio_double import TwilioDouble

SID, TOKEN = "AC" + "3" * 32, "double-test-token"
FROM = "+15005550006"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()}
ROOT = Path(__file__).parents[1]

Json = dict[str, Any]


def _run(test: Callable[[aiohttp.ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with aiohttp.ClientSession(headers=AUTH) as session:
            await test(session)

    asyncio.run(main())


async def _create(
    session: aiohttp.ClientSession, double: TwilioDouble, **form: str
) -> tuple[int, Json]:
    form = {"From": FROM, "Body": "Polls close at 8 pm", **form}
    async with session.post(double.url + MESSAGES, data=form) as response:
        return response.status, await response.json()


async def _get(
    session: aiohttp.ClientSession, url: str, params: dict[str, str] | None = None
) -> tuple[int, Json]:
    async with session.get(url, params=params) as response:
        return response.status, await response.json()


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def test_a_create_answers_like_twilio_after_the_latency() -> None:
    with TwilioDouble(SID, TOKEN, latency=0.25) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            started = time.monotonic()
            pending = asyncio.ensure_future(_create(session, double, To="+12135550123"))
            await _until(lambda: len(double.created) == 1)
            # Created on arrival, before the answer.
            assert not pending.done() and len(double.created) == 1
            status, message = await pending
            assert time.monotonic() - started >= 0.25
            assert status == 201
            assert re.fullmatch(r"SM[0-9a-f]{32}", message["sid"])
            assert message["status"] == "queued" and message["date_sent"] is None
            assert (message["to"], message["from"], message["body"]) == (
                "+12135550123",
                FROM,
                "Polls close at 8 pm",
            )
            created = parsedate_to_datetime(message["date_created"])
            assert message["date_created"].endswith(" +0000")
            assert abs((created - datetime.now(UTC)).total_seconds()) < 5

        _run(test)


def test_a_client_that_gives_up_still_leaves_the_message() -> None:
    with TwilioDouble(SID, TOKEN, latency=0.3) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            form = {"To": "+12135550123", "From": FROM, "Body": "hi"}
            timeout = aiohttp.ClientTimeout(total=0.05)
            try:
                async with session.post(double.url + MESSAGES, data=form, timeout=timeout):
                    raise AssertionError("the double answered before its latency")
            except TimeoutError:
                pass
            assert double.count_by_to() == {"+12135550123": 1}
            # The message goes on without its client: sent, then delivered.
            await _until(lambda: double.created[0]["status"] == "delivered")
            assert double.in_flight == 0

        _run(test)


def test_the_concurrency_limit_refuses_the_excess_with_20429() -> None:
    with TwilioDouble(SID, TOKEN, latency=0.3, concurrency_limit=4) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            answers = await asyncio.gather(
                *(_create(session, double, To=f"+1213555010{i}") for i in range(7))
            )
            refused = [body for status, body in answers if status == 429]
            assert len(refused) == 3
            assert {body["code"] for body in refused} == {20429}
            assert refused[0]["message"] == "Too Many Requests"
            assert sorted(status for status, _ in answers).count(201) == 4
            assert (len(double.created), len(double.requests)) == (4, 7)
            assert (double.refused_429, double.max_in_flight) == (3, 4)

        _run(test)


def test_credentials_account_and_form_are_checked() -> None:
    with TwilioDouble(SID, TOKEN) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            wrong = {"Authorization": "Basic " + base64.b64encode(b"x:y").decode()}
            form = {"To": "+12135550123", "From": FROM, "Body": "hi"}
            async with session.post(double.url + MESSAGES, data=form, headers=wrong) as r:
                assert (r.status, (await r.json())["code"]) == (401, 20003)
            other = MESSAGES.replace(SID, "AC" + "4" * 32)
            async with session.post(double.url + other, data=form) as r:
                assert (r.status, (await r.json())["code"]) == (404, 20404)
            for field, code in (("To", 21604), ("From", 21603), ("Body", 21602)):
                async with session.post(
                    double.url + MESSAGES, data={k: v for k, v in form.items() if k != field}
                ) as r:
                    assert (r.status, (await r.json())["code"]) == (400, code)
            status, _ = await _create(session, double, To="+12135550123", Body="", ContentSid="HX1")
            assert status == 201
            assert len(double.created) == 1 and len(double.requests) == 4

        _run(test)


def test_fail_times_fails_the_first_creates_then_succeeds() -> None:
    with TwilioDouble(SID, TOKEN) as double:
        double.fail_for["+12135550111"] = (503, 20500, "Service Unavailable")
        double.fail_times["+12135550111"] = 2
        double.fail_for["+12135550222"] = (400, 21610, "Attempt to send to unsubscribed recipient")

        async def test(session: aiohttp.ClientSession) -> None:
            retried = [await _create(session, double, To="whatsapp:+12135550111") for _ in range(3)]
            assert [status for status, _ in retried] == [503, 503, 201]
            assert retried[0][1]["code"] == 20500
            stopped = [await _create(session, double, To="+12135550222") for _ in range(2)]
            assert [(s, body["code"]) for s, body in stopped] == [(400, 21610)] * 2
            assert double.count_by_to() == {"whatsapp:+12135550111": 1}
            assert len(double.requests) == 5

        _run(test)


def test_injections_by_number_or_by_whatsapp_address() -> None:
    with TwilioDouble(SID, TOKEN) as double:
        double.fail_for["whatsapp:+12135550111"] = (400, 63032, "WhatsApp refused it")
        double.callback_error_for["+12135550222"] = ("failed", 63016)  # WhatsApp's error
        double.callback_error_for["+12135550333"] = ("undelivered", 30007)  # any channel

        async def test(session: aiohttp.ClientSession) -> None:
            assert (await _create(session, double, To="whatsapp:+12135550111"))[0] == 400
            assert (await _create(session, double, To="+12135550111"))[0] == 201
            for to in ("whatsapp:+12135550222", "+12135550222", "+12135550333"):
                assert (await _create(session, double, To=to))[0] == 201
            # The status moves on just after the answer, on the double's thread.
            await _until(lambda: all(m["status"] != "queued" for m in double.created))
            ends = {m["to"]: (m["status"], m["error_code"]) for m in double.created}
            assert ends == {
                "+12135550111": ("delivered", None),
                "whatsapp:+12135550222": ("failed", 63016),
                "+12135550222": ("delivered", None),
                "+12135550333": ("undelivered", 30007),
            }

        _run(test)


class _Receiver:
    """A status-callback endpoint on the test's loop that keeps what it was sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict[str, str]]] = []  # (url, signature, form)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _status(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        signature = request.headers.get("X-Twilio-Signature", "")
        self.received.append((str(request.url), signature, form))
        return web.Response(status=204)

    async def __aenter__(self) -> _Receiver:
        app = web.Application()
        app.router.add_post("/status", self._status)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/status"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


def test_status_callbacks_are_signed_and_arrive_in_order() -> None:
    with TwilioDouble(SID, TOKEN) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            async with _Receiver() as receiver:
                callback = receiver.url + "?outbound=7&kind=sms"
                _, message = await _create(
                    session, double, To="+12135550123", StatusCallback=callback
                )
                await _until(lambda: len(receiver.received) == 2)
                # The double counts a callback once it has read the answer, just after the
                # receiver kept it: wait (with the receiver still up) until both are counted.
                await _until(lambda: double.callbacks_sent + double.callback_failures == 2)
            validator = RequestValidator(TOKEN)
            for url, signature, form in receiver.received:
                assert url == callback
                assert validator.validate(url, form, signature)
                assert not RequestValidator("another-token").validate(url, form, signature)
                assert form["MessageSid"] == form["SmsSid"] == message["sid"]
                assert (form["AccountSid"], form["ApiVersion"]) == (SID, "2010-04-01")
                assert (form["To"], form["From"]) == ("+12135550123", FROM)
                assert "ErrorCode" not in form
            assert [form["MessageStatus"] for _, _, form in receiver.received] == [
                "sent",
                "delivered",
            ]
            assert (double.callbacks_sent, double.callback_failures) == (2, 0)
            status, fetched = await _get(
                session, f"{double.url}{MESSAGES[:-5]}/{message['sid']}.json"
            )
            assert status == 200 and fetched["status"] == "delivered" and fetched["date_sent"]

        _run(test)


def test_injected_callback_errors_end_the_message_in_that_status() -> None:
    with TwilioDouble(SID, TOKEN, callback_delay=0.01) as double:
        double.callback_error_for["+12135550123"] = ("undelivered", 30007)

        async def test(session: aiohttp.ClientSession) -> None:
            async with _Receiver() as receiver:
                status, message = await _create(
                    session, double, To="whatsapp:+12135550123", StatusCallback=receiver.url
                )
                assert (status, message["status"]) == (201, "queued")
                await _until(lambda: len(receiver.received) == 2)
            forms = [form for _, _, form in receiver.received]
            assert [f["MessageStatus"] for f in forms] == ["sent", "undelivered"]
            assert forms[1]["ErrorCode"] == "30007" and "ErrorCode" not in forms[0]
            _, fetched = await _get(session, f"{double.url}{MESSAGES[:-5]}/{message['sid']}.json")
            assert (fetched["status"], fetched["error_code"]) == ("undelivered", 30007)

        _run(test)


def test_callbacks_that_cannot_be_delivered_are_counted() -> None:
    with socket.socket() as sock:  # a loopback port where nothing listens
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/status"
    with TwilioDouble(SID, TOKEN) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            await _create(session, double, To="+12135550123", StatusCallback=closed)
            # Never sent off this machine: counted as failures without a connection.
            await _create(session, double, To="+12135550124", StatusCallback="https://x/s")
            await _until(lambda: double.callback_failures == 4)
            assert double.callbacks_sent == 0
            assert {m["status"] for m in double.created} == {"delivered"}

        _run(test)


def test_callbacks_can_be_switched_off() -> None:
    with TwilioDouble(SID, TOKEN, callbacks=False) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            async with _Receiver() as receiver:
                await _create(session, double, To="+12135550123", StatusCallback=receiver.url)
                await _until(lambda: double.created[0]["status"] == "delivered")
                await asyncio.sleep(0.1)
            assert receiver.received == []

        _run(test)


def test_the_list_filters_by_to_and_date_sent_newest_first() -> None:
    with TwilioDouble(SID, TOKEN) as double:

        async def test(session: aiohttp.ClientSession) -> None:
            sids = [
                (await _create(session, double, To=to))[1]["sid"]
                for to in ("+12135550001", "+12135550002", "+12135550001")
            ]
            today = datetime.now(UTC).date()
            tomorrow = (today + timedelta(days=1)).isoformat()
            url = double.url + MESSAGES
            status, page = await _get(
                session, url, {"To": "+12135550001", "DateSent>": today.isoformat()}
            )
            assert status == 200
            assert [m["sid"] for m in page["messages"]] == [sids[2], sids[0]]
            assert (page["page"], page["start"], page["end"], page["page_size"]) == (0, 0, 1, 50)
            assert page["next_page_uri"] is None and page["previous_page_uri"] is None
            assert page["uri"].startswith(MESSAGES) and page["first_page_uri"] == page["uri"]
            _, page = await _get(session, url, {"To": "+12135550001", "DateSent>": tomorrow})
            assert page["messages"] == []
            _, page = await _get(session, url, {"DateSent%3E": tomorrow})  # encoded twice
            assert page["messages"] == []
            _, page = await _get(session, url, {"From": FROM, "PageSize": "2"})
            assert [m["sid"] for m in page["messages"]] == [sids[2], sids[1]]
            _, page = await _get(session, url, {"From": "+15005550001"})
            assert page["messages"] == []
            status, error = await _get(session, url, {"DateSent>": "yesterday"})
            assert status == 400
            status, error = await _get(session, f"{url[:-5]}/SM{'0' * 32}.json")
            assert (status, error["code"]) == (404, 20404)

        _run(test)


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), f"no line from the double in {timeout} s"
    return proc.stdout.readline()


def _http(method: str, url: str, form: dict[str, str] | None = None) -> tuple[int, Json]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    headers = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    try:
        body = urllib.parse.urlencode(form) if form is not None else None
        connection.request(method, parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_process_mode_prints_its_url_serves_and_stops_on_sigterm() -> None:
    command = [sys.executable, "-m", "tests.helpers.twilio_double", "--account-sid", SID]
    command += ["--auth-token", TOKEN, "--latency", "0.01", "--limit", "5", "--no-callbacks"]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = _read_line(proc, timeout=20)
        assert re.fullmatch(r"URL http://127\.0\.0\.1:\d+\n", line), line
        url = line.split()[1]
        form = {"To": "+12135550123", "From": FROM, "Body": "hi"}
        status, message = _http("POST", url + MESSAGES, form)
        assert status == 201 and message["sid"].startswith("SM")
        status, stats = _http("GET", url + "/_double/stats")
        assert (stats["created"], stats["by_to"], stats["refused_429"]) == (
            1,
            {"+12135550123": 1},
            0,
        )
        assert stats["max_in_flight"] == 1 and stats["callback_failures"] == 0
        _, stats = _http("POST", url + "/_double/reset", {})
        assert stats["created"] == 0
        _, page = _http("GET", url + MESSAGES)
        assert page["messages"] == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
