"""A Twilio double that speaks Twilio's Messages API over real HTTP, for tests and benchmarks.

It is an aiohttp server. In a test it runs on its own event loop in a background thread; for a
benchmark it runs as a process of its own. Either way our clients reach it through
TWILIO_API_BASE_URL, so nothing of ours is patched.

What it answers, as Twilio does (`{Sid}` is the account SID given to the double):

- `POST /2010-04-01/Accounts/{Sid}/Messages.json`: HTTP Basic auth (401, code 20003), the
  form checked (To 21604; From or MessagingServiceSid 21603; Body, MediaUrl or ContentSid
  21602), then 201 with a Message resource, status "queued". The message counts as created
  when the request arrives, before the `latency` wait: a client that gives up mid-request
  still leaves a message at the double, as at Twilio.
- `GET /2010-04-01/Accounts/{Sid}/Messages.json?To=&From=&DateSent>=YYYY-MM-DD&PageSize=`:
  Twilio's list page, newest first (one page only: `next_page_uri` is always null).
- `GET /2010-04-01/Accounts/{Sid}/Messages/{MessageSid}.json`: the message, or 404 (20404).
- `GET /_double/stats` (JSON counters) and `POST /_double/reset` (forget every message and
  count; injected errors stay), for a double running in another process.

After answering a create, the message goes on to "sent" and then "delivered" (or the final
status injected with `callback_error_for`). When the create had a StatusCallback (and
`callbacks` is on), each step is POSTed to it with Twilio's form and a real
`X-Twilio-Signature`, one after the other, `callback_delay` seconds apart. Callbacks go only to
loopback addresses (127.0.0.0/8, ::1, localhost); any other URL, and any callback that fails,
adds one to `callback_failures` instead of raising.

In a test:

    with TwilioDouble(account_sid, auth_token, latency=0.05, concurrency_limit=10) as double:
        double.fail_for["+15005550009"] = (400, 21211, "The 'To' number is not valid.")
        double.fail_for["+15005550010"] = (503, 20500, "Service Unavailable")
        double.fail_times["+15005550010"] = 2  # then it succeeds
        double.callback_error_for["+15005550011"] = ("undelivered", 30007)
        settings = Settings(TWILIO_API_BASE_URL=double.url, ...)
        ...
        assert double.count_by_to()["+15005550011"] == 1
        assert double.refused_429 == 0 and double.max_in_flight <= 10

Error injections are keyed by the bare number (`+1...`: SMS and WhatsApp alike) or by the
address as posted (`whatsapp:+1...`: WhatsApp only); the address wins. A WhatsApp error
(63xxx, e.g. `("failed", 63016)`) injected for a bare number spares an SMS to that number, as
a fallback to SMS would be. `count_by_to()` counts by the `To` exactly as posted.

For a benchmark, in a process of its own (it prints one line, `URL http://127.0.0.1:PORT`,
when it is ready, and serves until SIGTERM or SIGINT):

    python -m tests.helpers.twilio_double --account-sid AC... --auth-token T \\
        --latency 0.1 --limit 100 [--port 0] [--callbacks | --no-callbacks]
    curl http://127.0.0.1:PORT/_double/stats
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ipaddress
import signal
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
DELIVERED = "delivered"
# What `fail_times` answers for a recipient that has no `fail_for` entry.
DEFAULT_FAILURE = (500, 20500, "Internal Server Error")
LIST_FILTERS = {"DateSent>": "ge", "DateSent<": "le", "DateSent": "eq"}


def _now() -> str:
    """Twilio's RFC 2822 dates: "Sun, 22 Nov 2026 18:00:00 +0000"."""
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def _number(to: str) -> str:
    return to.removeprefix("whatsapp:")


def _whatsapp_only(code: int) -> bool:
    """Twilio's 63xxx errors are WhatsApp's (63016: outside the 24-hour window)."""
    return 63000 <= code < 64000


def _error(status: int, code: int, message: str) -> web.Response:
    """Twilio's error document."""
    return web.json_response(
        {
            "code": code,
            "message": message,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        },
        status=status,
    )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TwilioDouble:
    """A local server that speaks enough of Twilio's REST API for our channels and senders.

    Arguments: `latency` (seconds every create waits before answering), `concurrency_limit`
    (creates in flight beyond it are answered 429 / 20429 at once; None: no limit),
    `callbacks` (POST status callbacks), `callback_delay` (seconds before each callback),
    `host` and `port` (0: any free port).

    Set before or during a test: `fail_for[number] = (http_status, code, message)` (every
    create to it fails so), `fail_times[number] = n` (only the first n fail, with `fail_for`'s
    error or a 500), `callback_error_for[number] = (final_status, error_code)` (created, then
    the callbacks end in that status). A key is a bare number or a `whatsapp:` address (see
    the module's docstring).

    Read: `requests` (every create form, refused ones too, in arrival order), `created`
    (message resources in creation order; their status moves on as callbacks go out),
    `count_by_to()`, `refused_429`, `max_in_flight`, `in_flight`, `callbacks_sent`,
    `callback_failures`, `stats()`.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        latency: float = 0.0,
        concurrency_limit: int | None = None,
        callbacks: bool = True,
        callback_delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = latency
        self.concurrency_limit = concurrency_limit
        self.callbacks = callbacks
        self.callback_delay = callback_delay
        self.host = host
        self.port = port
        self.fail_for: dict[str, tuple[int, int, str]] = {}
        self.fail_times: dict[str, int] = {}
        self.callback_error_for: dict[str, tuple[str, int]] = {}
        self.requests: list[dict[str, str]] = []
        self.created: list[dict[str, Any]] = []
        self.refused_429 = 0
        self.max_in_flight = 0
        self.in_flight = 0
        self.callbacks_sent = 0
        self.callback_failures = 0
        self._by_sid: dict[str, dict[str, Any]] = {}
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._authorization = f"Basic {credentials}"
        self._validator = RequestValidator(auth_token)
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- running it ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give TWILIO_API_BASE_URL (once started)."""
        if self._url is None:
            raise RuntimeError("the Twilio double is not started")
        return self._url

    def start(self) -> TwilioDouble:
        """Serve from a background thread with an event loop of its own."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="twilio-double")
        self._thread.daemon = True
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.serve(), self._loop).result(timeout=10)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving: pending callbacks are dropped, then the thread ends."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.shutdown(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> TwilioDouble:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def serve(self) -> None:
        """Start listening on the running loop; `url` is set when this returns."""
        self._runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=self.latency + 1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=2048)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"

    async def shutdown(self) -> None:
        """Drop pending callbacks, close the callback client and stop listening."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def app(self) -> web.Application:
        """The aiohttp application (for embedding the double in another server or loop)."""
        app = web.Application()
        account = f"/{API_VERSION}/Accounts/{{account}}"
        app.router.add_post(f"{account}/Messages.json", self._create)
        app.router.add_get(f"{account}/Messages.json", self._list)
        app.router.add_get(account + "/Messages/{sid}.json", self._fetch)
        app.router.add_get("/_double/stats", self._stats)
        app.router.add_post("/_double/reset", self._reset)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    # -- introspection ---------------------------------------------------------------------

    def count_by_to(self) -> Counter[str]:
        """Messages created per `To` (as posted), from a snapshot."""
        return Counter(message["to"] for message in list(self.created))

    def stats(self) -> dict[str, Any]:
        """What `GET /_double/stats` answers."""
        return {
            "created": len(self.created),
            "by_to": dict(self.count_by_to()),
            "requests": len(self.requests),
            "refused_429": self.refused_429,
            "max_in_flight": self.max_in_flight,
            "in_flight": self.in_flight,
            "callbacks_sent": self.callbacks_sent,
            "callback_failures": self.callback_failures,
        }

    def reset(self) -> None:
        """Forget every request, message and count (injected errors stay)."""
        self.requests.clear()
        self.created.clear()
        self._by_sid.clear()
        self.refused_429 = self.callbacks_sent = self.callback_failures = 0
        self.max_in_flight = self.in_flight

    # -- the Messages resource ---------------------------------------------------------------

    def _refuse(self, request: web.Request) -> web.Response | None:
        """404 for another account's path, 401 without this account's credentials."""
        if request.match_info["account"] != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if request.headers.get("Authorization") != self._authorization:
            return _error(401, 20003, "Authenticate")
        return None

    def _problem(self, form: dict[str, str]) -> tuple[int, int, str] | None:
        """The error this create gets: a missing field, or one injected for the recipient."""
        if not form.get("To"):
            return 400, 21604, "A 'To' phone number is required."
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return 400, 21603, "A 'From' phone number is required."
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            return 400, 21602, "Message body is required."
        to = form["To"]
        key = to if to in self.fail_times or to in self.fail_for else _number(to)
        if key in self.fail_times:
            if self.fail_times[key] <= 0:
                return None
            self.fail_times[key] -= 1
            return self.fail_for.get(key, DEFAULT_FAILURE)
        return self.fail_for.get(key)

    def _final(self, to: str) -> tuple[str, int]:
        """How a message to `to` ends: delivered, or the status and code injected for it."""
        injected = self.callback_error_for.get(to) or self.callback_error_for.get(_number(to))
        if injected is None or (_whatsapp_only(injected[1]) and not to.startswith("whatsapp:")):
            return DELIVERED, 0
        return injected

    def _record(self, form: dict[str, str]) -> dict[str, Any]:
        sid = f"SM{uuid.uuid4().hex}"
        now = _now()
        message: dict[str, Any] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "price": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "num_media": "1" if form.get("MediaUrl") else "0",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "price_unit": "USD",
        }
        self.created.append(message)
        self._by_sid[sid] = message
        return message

    async def _create(self, request: web.Request) -> web.StreamResponse:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        form: dict[str, str] = {}
        for key, value in parse_qsl((await request.read()).decode()):
            form.setdefault(key, value)
        self.requests.append(form)
        if self.concurrency_limit is not None and self.in_flight >= self.concurrency_limit:
            self.refused_429 += 1
            return _error(429, 20429, "Too Many Requests")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            problem = self._problem(form)
            message = None if problem else self._record(form)  # created on arrival
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            if message is None:
                return _error(*(problem or DEFAULT_FAILURE))
            response = web.json_response(message, status=201)
            # Answer before the first callback can go out, as Twilio does.
            try:
                await response.prepare(request)
                await response.write_eof()
            except ConnectionError:  # the client left; the message exists all the same
                pass
        finally:
            self.in_flight -= 1
        self._after_create(message, form.get("StatusCallback"))
        return response

    def _after_create(self, message: dict[str, Any], callback: str | None) -> None:
        final = self._final(message["to"])
        if not (callback and self.callbacks):
            self._advance(message, "sent", 0)
            self._advance(message, *final)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(message, callback, final))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _advance(self, message: dict[str, Any], status: str, error_code: int) -> None:
        now = _now()
        message["status"] = status
        message["date_updated"] = now
        if status == "sent":
            message["date_sent"] = now
        if error_code:
            message["error_code"] = error_code
            message["error_message"] = f"Error {error_code}"

    async def _deliver(self, message: dict[str, Any], url: str, final: tuple[str, int]) -> None:
        for status, error_code in (("sent", 0), final):
            if self.callback_delay > 0:
                await asyncio.sleep(self.callback_delay)
            self._advance(message, status, error_code)
            await self._callback(url, message, status, error_code)

    async def _callback(
        self, url: str, message: dict[str, Any], status: str, error_code: int
    ) -> None:
        """POST one status callback, signed as Twilio signs it."""
        if not _is_loopback(url):
            self.callback_failures += 1
            return
        params = {
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "AccountSid": self.account_sid,
            "From": message["from"] or "",
            "To": message["to"],
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": API_VERSION,
        }
        if message["messaging_service_sid"]:
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code:
            params["ErrorCode"] = str(error_code)
        signature = str(self._validator.compute_signature(url, params))
        if self._session is None:
            self._session = ClientSession(
                connector=TCPConnector(limit=100), timeout=ClientTimeout(total=10)
            )
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        try:
            async with self._session.post(url, data=params, headers=headers) as response:
                await response.read()
                ok = response.status < 400
        except (ClientError, TimeoutError, OSError):
            ok = False
        if ok:
            self.callbacks_sent += 1
        else:
            self.callback_failures += 1

    async def _list(self, request: web.Request) -> web.Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        query = request.query
        bounds: list[tuple[str, date]] = []
        try:
            page_size = min(max(int(query.get("PageSize", "50")), 1), 1000)
            for name, how in LIST_FILTERS.items():
                # `DateSent>` arrives percent-encoded; accept it encoded twice as well.
                value = query.get(name) or query.get(name.replace(">", "%3E").replace("<", "%3C"))
                if value:
                    bounds.append((how, date.fromisoformat(value)))
        except ValueError as exc:
            return _error(400, 20001, f"Invalid filter: {exc}")
        found = []
        for message in reversed(list(self.created)):
            if query.get("To") not in (None, message["to"]):
                continue
            if query.get("From") not in (None, message["from"]):
                continue
            day = parsedate_to_datetime(message["date_sent"] or message["date_created"]).date()
            if all(_compare(day, how, bound) for how, bound in bounds):
                found.append(message)
                if len(found) == page_size:
                    break
        uri = request.path_qs
        return web.json_response(
            {
                "messages": found,
                "page": 0,
                "page_size": page_size,
                "start": 0,
                "end": max(len(found) - 1, 0),
                "uri": uri,
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
            }
        )

    async def _fetch(self, request: web.Request) -> web.Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        message = self._by_sid.get(request.match_info["sid"])
        if message is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return web.json_response(message)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response(self.stats())

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error(404, 20404, f"The requested resource {request.path} was not found")


def _compare(day: date, how: str, bound: date) -> bool:
    if how == "ge":
        return day >= bound
    if how == "le":
        return day <= bound
    return day == bound


async def _serve_until_signalled(double: TwilioDouble) -> None:
    await double.serve()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"URL {double.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await double.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tests.helpers.twilio_double`: serve until SIGTERM (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.helpers.twilio_double", description=__doc__
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per create")
    parser.add_argument("--limit", type=int, default=None, help="creates in flight (429 past it)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--callbacks", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--callback-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    double = TwilioDouble(
        args.account_sid,
        args.auth_token,
        latency=args.latency,
        concurrency_limit=args.limit,
        callbacks=args.callbacks,
        callback_delay=args.callback_delay,
        host=args.host,
        port=args.port,
    )
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is only faster
        runner = asyncio.Runner()
    else:
        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    with runner:
        runner.run(_serve_until_signalled(double))
    return 0


if __name__ == "__main__":
    sys.exit(main())
