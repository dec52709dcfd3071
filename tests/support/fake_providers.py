"""Local stand-ins for Twilio, Resend and an SMTP relay, speaking their real protocols on
127.0.0.1 (random ports), for tests that must go over the wire.

    fake_twilio   FakeTwilio: POST/GET /2010-04-01/Accounts/{sid}/Messages.json, basic auth
    fake_resend   FakeResend: POST /emails, bearer auth, Idempotency-Key honoured
    fake_smtp     FakeSmtp:   aiosmtpd server, optional AUTH (PLAIN/LOGIN without TLS)

Each records every accepted message in ``.messages`` (a list of dicts, or for SMTP of
``SmtpRecord``). ``.mode`` can be switched at any time, and ``.override(address, mode)`` sets a
mode for one recipient:

    ok               accept
    429              refuse with 429 and ``Retry-After: <retry_after>``
    500              refuse with 500
    timeout          accept and record, then answer only after ``hang_seconds`` (the client has
                     given up: the answer is lost although the message went out)
    timeout_unsent   hang ``hang_seconds`` without recording, then 500
    invalid_number   Twilio 400/21211; Resend 422 invalid `to` (alias: invalid_address)
    landline         Twilio 400/21614
    opted_out        Twilio 400/21610
    inactive_recipient  Twilio 400/21612; Resend 422 suppressed recipient; SMTP 550 5.2.1
    bad_credentials  Twilio 401/20003; Resend 403 invalid_api_key; SMTP 535 on AUTH
    rejected         Twilio 400/21617; Resend 422 invalid `from`; SMTP 554 5.7.1 on DATA
    SMTP only: 451 (RCPT 451 4.3.0), 550 (RCPT 550 5.1.1), 553 (RCPT 553 5.1.3), data_451.

Resend note: real Resend reports suppressed recipients asynchronously (webhooks); the fake's
synchronous 422 exists so the classification can be tested.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's chatter about AUTH without TLS


def _hex(n: int) -> str:
    return secrets.token_hex(n // 2)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802
        self.server.fake.handle(self, "GET", b"")

    def do_POST(self) -> None:  # noqa: N802
        self.server.fake.handle(self, "POST", self._body())

    def reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout modes)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: "FakeHttpProvider"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request (the chaos run SIGKILLs workers) is expected here.
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class _Modes:
    """How a fake answers: ``mode`` for everyone, ``override(address, mode)`` for one recipient.
    Subclasses set ``lock``, ``mode`` and ``overrides``."""

    lock: threading.Lock
    mode: str
    overrides: dict[str, str]

    def override(self, address: str, mode: str | None) -> None:
        with self.lock:
            if mode is None:
                self.overrides.pop(address, None)
            else:
                self.overrides[address] = mode

    def mode_for(self, address: str | None) -> str:
        with self.lock:
            return self.overrides.get(address or "", self.mode)


class FakeHttpProvider(_Modes):
    """A threaded HTTP server; subclasses implement ``handle``."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.retry_after = 1
        self.hang_seconds = 2.0
        self.overrides: dict[str, str] = {}
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._server = _Server((HOST, 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeHttpProvider":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def hang(self) -> None:
        self._stop.wait(self.hang_seconds)

    def messages_to(self, address: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["to"] == address]

    def handle(self, h: _Handler, method: str, body: bytes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class FakeTwilio(FakeHttpProvider):
    """Twilio's Messages API: create (form-encoded, 201) and list (newest first, paged)."""

    def __init__(self) -> None:
        super().__init__()
        self.account_sid = "AC" + _hex(32)
        self.auth_token = "tok_" + _hex(32)
        self.from_number = "+15005550006"
        self.list_mode = "ok"  # the listing (find_sent) answers: ok, 500, bad_credentials

    @property
    def base_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def _authorized(self, h: _Handler) -> bool:
        import base64

        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return h.headers.get("Authorization") == expected

    def _error(self, h: _Handler, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        h.reply(status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}, headers)

    def handle(self, h: _Handler, method: str, body: bytes) -> None:
        path = urlsplit(h.path).path
        with self.lock:
            self.requests.append({"method": method, "path": h.path, "headers": dict(h.headers)})
        if path != self.base_path:
            return self._error(h, 404, 20404, "The requested resource was not found")
        if not self._authorized(h):
            return self._error(h, 401, 20003, "Authenticate")
        if method == "GET":
            return self._list(h)
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        to = form.get("To")
        mode = self.mode_for(to)
        if mode == "429":
            return self._error(h, 429, 20429, "Too Many Requests", {"Retry-After": str(self.retry_after)})
        if mode == "500":
            return self._error(h, 500, 20500, "Internal Server Error")
        if mode == "timeout_unsent":
            self.hang()
            return self._error(h, 500, 20500, "Internal Server Error")
        if mode == "bad_credentials":
            return self._error(h, 401, 20003, "Authenticate")
        if not to or not form.get("Body"):
            return self._error(h, 400, 21602 if to else 21604, "Message body is required." if to else "A 'To' phone number is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(h, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        permanent = {
            "invalid_number": (21211, f"The 'To' number {to} is not a valid phone number."),
            "invalid_address": (21211, f"The 'To' number {to} is not a valid phone number."),
            "landline": (21614, f"'To' number {to} is not a valid mobile number"),
            "opted_out": (21610, "Attempt to send to unsubscribed recipient"),
            "inactive_recipient": (21612, f"The 'To' phone number: {to}, is not currently reachable using the 'From' phone number"),
            "rejected": (21617, "The concatenated message body exceeds the 1600 character limit."),
        }
        if mode in permanent:
            code, message = permanent[mode]
            return self._error(h, 400, code, message)
        now = datetime.now(UTC)
        record = {
            "sid": "SM" + _hex(32),
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From") or self.from_number,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "queued",
            "direction": "outbound-api",
            "status_callback": form.get("StatusCallback"),
            "date_created": format_datetime(now, usegmt=True),
            "date_updated": format_datetime(now, usegmt=True),
            "date_sent": None,
            "num_segments": "1",
            "error_code": None,
            "error_message": None,
            "uri": f"{self.base_path[:-5]}/SMxxxx.json",
        }
        with self.lock:
            self.messages.append(record)
        answer = dict(record)
        with self.lock:  # Twilio sends it on: by the time anyone lists, it has been sent
            record["status"] = "sent"
            record["date_sent"] = format_datetime(now, usegmt=True)
        if mode == "timeout":
            self.hang()
        h.reply(201, answer)

    def _list(self, h: _Handler) -> None:
        if self.list_mode == "500":
            return self._error(h, 500, 20500, "Internal Server Error")
        if self.list_mode == "bad_credentials":
            return self._error(h, 401, 20003, "Authenticate")
        query = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query, keep_blank_values=True).items()}
        with self.lock:
            items = [dict(m) for m in reversed(self.messages)]
        if query.get("To"):
            items = [m for m in items if m["to"] == query["To"]]
        if query.get("From"):
            items = [m for m in items if m["from"] == query["From"]]
        on_or_after = query.get("DateSent>")  # "DateSent>=YYYY-MM-DD" parses as key "DateSent>"
        if on_or_after:
            day = datetime.fromisoformat(on_or_after).date()
            items = [m for m in items if m["date_sent"] and _rfc2822(m["date_sent"]).date() >= day]
        size = int(query.get("PageSize", 50))
        page = int(query.get("Page", 0))
        chunk = items[page * size : (page + 1) * size]
        next_uri = None
        if (page + 1) * size < len(items):
            next_query = {k: v for k, v in query.items() if k not in ("Page",)}
            next_query.update(Page=str(page + 1), PageSize=str(size))
            next_uri = f"{self.base_path}?{urlencode(next_query)}"
        h.reply(200, {"messages": chunk, "page": page, "page_size": size, "next_page_uri": next_uri, "uri": h.path})


def _rfc2822(value: str) -> datetime:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(value)


@dataclass
class _IdempotentResult:
    payload: dict[str, Any]
    status: int | None = None  # None: still in progress
    answer: dict[str, Any] = field(default_factory=dict)


class FakeResend(FakeHttpProvider):
    """Resend's ``POST /emails`` with bearer auth and Idempotency-Key replay."""

    def __init__(self) -> None:
        super().__init__()
        self.api_key = "re_" + _hex(32)
        self.idempotency: dict[str, _IdempotentResult] = {}

    def _error(self, h: _Handler, status: int, name: str, message: str, headers: dict[str, str] | None = None) -> None:
        h.reply(status, {"statusCode": status, "name": name, "message": message}, headers)

    def handle(self, h: _Handler, method: str, body: bytes) -> None:
        with self.lock:
            self.requests.append({"method": method, "path": h.path, "headers": dict(h.headers)})
        if method != "POST" or urlsplit(h.path).path != "/emails":
            return self._error(h, 404, "not_found", "The requested endpoint does not exist.")
        auth = h.headers.get("Authorization")
        if not auth:
            return self._error(h, 401, "missing_api_key", "Missing API key in the authorization header.")
        if auth != f"Bearer {self.api_key}":
            return self._error(h, 403, "invalid_api_key", "API key is invalid.")
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return self._error(h, 422, "validation_error", "Invalid JSON body.")
        to_list = payload.get("to")
        to_list = [to_list] if isinstance(to_list, str) else list(to_list or [])
        to = parseaddr(to_list[0])[1] if to_list else None
        mode = self.mode_for(to)
        if mode == "bad_credentials":
            return self._error(h, 403, "invalid_api_key", "API key is invalid.")
        if mode == "429":
            return self._error(h, 429, "rate_limit_exceeded", "Too many requests.", {"Retry-After": str(self.retry_after)})
        if mode == "500":
            return self._error(h, 500, "application_error", "An unexpected error occurred.")
        if mode == "timeout_unsent":
            self.hang()
            return self._error(h, 500, "application_error", "An unexpected error occurred.")
        key = h.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 256:
            return self._error(h, 400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
        if key:
            with self.lock:
                seen = self.idempotency.get(key)
                if seen is None:
                    self.idempotency[key] = _IdempotentResult(payload)
            if seen is not None:
                if seen.payload != payload:
                    return self._error(h, 409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.")
                if seen.status is None:
                    return self._error(h, 409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress.")
                return h.reply(seen.status, seen.answer)
        status, answer = self._create(payload, to, mode, key)
        if key:
            with self.lock:
                if status == 200:
                    self.idempotency[key].status, self.idempotency[key].answer = status, answer
                else:
                    self.idempotency.pop(key, None)  # failed requests are not remembered
        if mode == "timeout":
            self.hang()
        h.reply(status, answer)

    def _create(self, payload: dict[str, Any], to: str | None, mode: str, key: str | None) -> tuple[int, dict[str, Any]]:
        def error(status: int, name: str, message: str) -> tuple[int, dict[str, Any]]:
            return status, {"statusCode": status, "name": name, "message": message}

        if not payload.get("from"):
            return error(422, "missing_required_field", "Missing `from` field.")
        if not to or "@" not in to:
            return error(422, "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.")
        if not payload.get("subject"):
            return error(422, "missing_required_field", "Missing `subject` field.")
        if mode in ("invalid_number", "invalid_address"):
            return error(422, "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.")
        if mode == "inactive_recipient":
            return error(422, "validation_error", f"The recipient {to} is on the suppression list after a hard bounce.")
        if mode in ("rejected", "landline", "opted_out"):
            return error(422, "validation_error", "Invalid `from` field. The email address needs to follow the `email@example.com` format.")
        email_id = secrets.token_hex(4) + "-" + secrets.token_hex(2) + "-" + secrets.token_hex(2) + "-" + secrets.token_hex(2) + "-" + secrets.token_hex(6)
        record = {
            "id": email_id,
            "to": to,
            "to_header": (payload.get("to") or [None])[0] if isinstance(payload.get("to"), list) else payload.get("to"),
            "from": payload.get("from"),
            "subject": payload.get("subject"),
            "text": payload.get("text"),
            "html": payload.get("html"),
            "headers": payload.get("headers") or {},
            "idempotency_key": key,
        }
        with self.lock:
            self.messages.append(record)
        return 200, {"id": email_id}


# --- SMTP ----------------------------------------------------------------------------------


@dataclass
class SmtpRecord:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=default_policy)  # type: ignore[return-value]

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]


class _SmtpHandler:
    def __init__(self, fake: "FakeSmtp") -> None:
        self.fake = fake

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802, ANN001
        mode = self.fake.mode_for(address)
        answers = {
            "451": "451 4.3.0 Temporary failure, try again later",
            "550": "550 5.1.1 Mailbox does not exist",
            "invalid_number": "550 5.1.1 Mailbox does not exist",
            "invalid_address": "550 5.1.1 Mailbox does not exist",
            "553": "553 5.1.3 Mailbox name not allowed",
            "inactive_recipient": "550 5.2.1 Mailbox disabled, not accepting messages",
        }
        if mode in answers:
            return answers[mode]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
        mode = self.fake.mode_for(envelope.rcpt_tos[0] if envelope.rcpt_tos else None)
        if mode == "data_451":
            return "451 4.3.0 Temporary failure, try again later"
        if mode == "rejected":
            return "554 5.7.1 Message rejected by policy"
        if mode == "timeout_unsent":
            await asyncio.sleep(self.fake.hang_seconds)
            return "451 4.3.0 Temporary failure, try again later"
        with self.fake.lock:
            self.fake.messages.append(SmtpRecord(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        if mode == "timeout":
            await asyncio.sleep(self.fake.hang_seconds)
        return "250 2.0.0 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's Controller, bound to a free port chosen by the OS (port 0)."""

    def factory(self):  # noqa: ANN201
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "AUTH without TLS": deliberate, on loopback
            return super().factory()

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class FakeSmtp(_Modes):
    """An SMTP relay on 127.0.0.1 recording messages; ``require_auth`` adds AUTH PLAIN/LOGIN."""

    def __init__(self, *, require_auth: bool = False) -> None:
        self.host = HOST
        self.mode = "ok"
        self.hang_seconds = 2.0
        self.overrides: dict[str, str] = {}
        self.messages: list[SmtpRecord] = []
        self.lock = threading.RLock()
        self.username = "waypoint" if require_auth else None
        self.password = ("pw-" + _hex(16)) if require_auth else None
        kwargs: dict[str, Any] = {}
        if require_auth:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)
        self._controller = _Controller(_SmtpHandler(self), hostname=HOST, port=0, **kwargs)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> "FakeSmtp":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def messages_to(self, address: str) -> list[SmtpRecord]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        if self.mode == "bad_credentials":
            return AuthResult(success=False, handled=False)
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    """A port nobody listens on (for connection-refused tests)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --- fixtures ------------------------------------------------------------------------------


def delivery_environment(
    twilio: FakeTwilio, resend: FakeResend, ledger_path: Any, hash_key: str = "test-hash-key-0123456789abcdef"
) -> dict[str, str]:
    """The provider settings (as ``messaging.provider_config`` reads them) pointing at these fakes."""
    return {
        "WAYPOINT_SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": twilio.from_number,
        "TWILIO_API_BASE": twilio.url,
        "WAYPOINT_EMAIL_PROVIDER": "resend",
        "RESEND_API_KEY": resend.api_key,
        "RESEND_API_BASE": resend.url,
        "WAYPOINT_EMAIL_FROM": "Waypoint Journeys <care@waypoint.example>",
        "WAYPOINT_LEDGER_URL": f"sqlite:///{ledger_path}",
        "WAYPOINT_CONTACT_HASH_KEY": hash_key,
    }


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    try:
        yield fake  # type: ignore[misc]
    finally:
        fake.stop()


@pytest.fixture
def fake_resend() -> Iterator[FakeResend]:
    fake = FakeResend().start()
    try:
        yield fake  # type: ignore[misc]
    finally:
        fake.stop()


@pytest.fixture
def fake_smtp() -> Iterator[FakeSmtp]:
    fake = FakeSmtp(require_auth=True).start()
    try:
        yield fake
    finally:
        fake.stop()


def wait_for(predicate, timeout: float = 5.0) -> bool:  # noqa: ANN001
    """Poll until predicate() is true (for messages recorded by a server thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())
