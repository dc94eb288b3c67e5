"""A Twilio double that speaks Twilio's Messages API over real HTTP, for tests.

It answers `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` as Twilio does (201 with a
Message resource; 400/401 with Twilio's error document), checks HTTP Basic auth, and records
every request. Errors are injected per recipient:

    with TwilioDouble(account_sid, auth_token) as double:
        double.fail_for["+15005550009"] = (400, 21211, "The 'To' number is not valid.")
        settings.twilio_api_base_url = double.url
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs


@dataclass
class TwilioDouble:
    """A local server that speaks enough of Twilio's REST API for our channels."""

    account_sid: str
    auth_token: str
    fail_for: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                double._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give TWILIO_API_BASE_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> TwilioDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _error(self, handler: BaseHTTPRequestHandler, status: int, code: int, message: str) -> None:
        self._reply(
            handler,
            status,
            {
                "code": code,
                "message": message,
                "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
            },
        )

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        expected_path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if handler.path != expected_path:
            self._error(handler, 404, 20404, f"The requested resource {handler.path} was not found")
            return
        creds = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if handler.headers.get("Authorization") != f"Basic {creds}":
            self._error(handler, 401, 20003, "Authenticate")
            return
        length = int(handler.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        self.requests.append(form)
        to = form.get("To", "")
        if not to:
            self._error(handler, 400, 21604, "A 'To' phone number is required.")
            return
        if not (form.get("From") or form.get("MessagingServiceSid")):
            self._error(handler, 400, 21603, "A 'From' phone number is required.")
            return
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            self._error(handler, 400, 21602, "Message body is required.")
            return
        if to.removeprefix("whatsapp:") in self.fail_for:
            self._error(handler, *self.fail_for[to.removeprefix("whatsapp:")])
            return
        sid = f"SM{next(self._ids):032x}"
        self._reply(
            handler,
            201,
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": to,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "price": None,
                "error_code": None,
                "error_message": None,
                "uri": f"{expected_path[:-5]}/{sid}.json",
                "date_created": "Sun, 22 Nov 2026 18:00:00 +0000",
                "date_sent": None,
                "date_updated": "Sun, 22 Nov 2026 18:00:00 +0000",
                "num_media": "0",
                "subresource_uris": {},
                "price_unit": "USD",
            },
        )
