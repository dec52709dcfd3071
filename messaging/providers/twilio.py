"""SMS through the Twilio Messages API (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

Twilio takes no idempotency key, so this module cannot make a retried request safe by itself.
Exactly-once is the job of ``messaging.exactly_once.LedgeredSender``; this provider gives it
``find_sent``: list the recent messages to the number and look for the exact body, to resolve an
earlier attempt whose answer was lost (a timeout, a crash).

Answers are classified (``messaging.providers.errors``):

- 201 -> the message SID.
- 429 (``Retry-After`` honoured), 5xx, connection errors, timeouts -> ``TransientDeliveryError``.
  Its ``not_sent`` attribute is True when Twilio certainly did not take the message (a 429/5xx
  answer, a refused connection) and False when it may have (the answer never arrived).
- 400 with Twilio's error ``code``: 21211/21217/21401 invalid number -> INVALID_ADDRESS,
  21614/21407 not a mobile number -> LANDLINE, 21610 unsubscribed (replied STOP) ->
  OPTED_OUT_AT_PROVIDER, 21612 not reachable -> INACTIVE_RECIPIENT; 401/403 or code 20003 ->
  BAD_CREDENTIALS; any other 4xx -> REJECTED.

Error details name the HTTP status and Twilio code, never the phone number or credentials.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from messaging.delivery_contract import DeliveryRequest, Rendered
from messaging.providers.errors import PermanentDeliveryError, PermanentKind, redact, transient
from messaging.providers.http import USER_AGENT, classify_http_error, json_object, retry_after_seconds

DEFAULT_API_BASE = "https://api.twilio.com"
DEFAULT_TIMEOUT = 15.0

INVALID_NUMBER_CODES = frozenset({21211, 21217, 21401, 21421})
LANDLINE_CODES = frozenset({21614, 21407})
OPTED_OUT_CODES = frozenset({21610})
UNREACHABLE_CODES = frozenset({21612})
AUTH_CODES = frozenset({20003, 20005})
TRIAL_PREFIX = "Sent from your Twilio trial account - "


class TwilioSms:
    """Sends one SMS per call. ``send`` returns the message SID."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base: str = DEFAULT_API_BASE,
        status_callback_base: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        lookup_pages: int = 5,
        page_size: int = 100,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio needs a sender: a From number or a Messaging Service SID")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.api_base = api_base.rstrip("/")
        self.status_callback = f"{status_callback_base.rstrip('/')}/twilio/status" if status_callback_base else None
        self.timeout = timeout
        self.lookup_pages = lookup_pages
        self.page_size = page_size
        self._transport = transport

    def __repr__(self) -> str:
        return f"TwilioSms(api_base={self.api_base!r}, sender={'service' if self.messaging_service_sid else 'number'})"

    @property
    def messages_url(self) -> str:
        return f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            auth=(self.account_sid, self._auth_token),
            timeout=self.timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=self._transport,
        )

    @staticmethod
    def body_for(message: Rendered) -> str:
        return message.text.strip()

    async def send(self, request: DeliveryRequest, message: Rendered) -> str:
        form = {"To": request.to_address, "Body": self.body_for(message)}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        if self.from_number:
            form["From"] = self.from_number
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        try:
            async with self._client() as client:
                response = await client.post(self.messages_url, data=form)
        except httpx.HTTPError as exc:
            raise classify_http_error("Twilio", exc) from None
        if response.status_code in (200, 201):
            sid = json_object(response).get("sid")
            if not sid:
                # Accepted but unreadable: it may well have gone out.
                raise transient("Twilio accepted the message but sent no SID", not_sent=False)
            return str(sid)
        raise classify(response)

    async def find_sent(
        self,
        request: DeliveryRequest,
        body: str,
        since: datetime | None = None,
        claimed: Callable[[str], Awaitable[bool]] | None = None,
    ) -> str | None:
        """The SID of a message already sent to this number with exactly this body, if any.

        Lists ``Messages.json?To=...`` (and ``From`` when sending from a number), newest first,
        following ``next_page_uri`` for at most ``lookup_pages`` pages. No ``DateSent`` filter
        is used: a message still ``queued``/``accepted`` has no ``date_sent`` yet and would be
        hidden by one. Messages created before ``since`` (minus 10 minutes for
        clock skew) are ignored, so an identical earlier message (the same reminder last week)
        is not mistaken for this one, and a message ``claimed`` by another of our keys (family
        SMS bodies are generic, so two messages to one number can read the same) is skipped.
        Raises TransientDeliveryError when the listing fails (and
        PermanentDeliveryError, e.g. BAD_CREDENTIALS, when Twilio refuses it): "not found" is
        only reported after a complete answer."""
        wanted = body.strip()
        cutoff = (since - timedelta(minutes=10)) if since else datetime.now(UTC) - timedelta(days=2)
        params: dict[str, str] = {"To": request.to_address, "PageSize": str(self.page_size)}
        if self.from_number and not self.messaging_service_sid:
            params["From"] = self.from_number
        url: str | None = self.messages_url
        pages = 0
        try:
            async with self._client() as client:
                while url and pages < self.lookup_pages:
                    response = await client.get(url, params=params if pages == 0 else None)
                    pages += 1
                    if response.status_code != 200:
                        raise classify(response)
                    data = json_object(response)
                    items = data.get("messages") or []
                    recent = 0
                    for item in items:
                        created = _twilio_date(item.get("date_created"))
                        if created is not None and created < cutoff:
                            continue
                        recent += 1
                        if item.get("direction", "outbound-api").startswith("inbound"):
                            continue
                        text = str(item.get("body") or "").strip()
                        if text == wanted or text == TRIAL_PREFIX + wanted:
                            if claimed is not None and await claimed(str(item["sid"])):
                                continue
                            return str(item["sid"])
                    next_uri = data.get("next_page_uri")
                    if not next_uri or (items and recent == 0):
                        return None  # the whole history, or a page entirely older than the attempt
                    url = self.api_base + next_uri
        except httpx.HTTPError as exc:
            raise classify_http_error("Twilio lookup", exc) from None
        # Ran out of pages before reaching messages older than the attempt: not conclusive.
        raise transient("Twilio lookup did not reach the attempt's time within the page limit", not_sent=False)


def classify(response: httpx.Response) -> Exception:
    """The error for a non-2xx Twilio answer."""
    status = response.status_code
    data = json_object(response)
    code = data.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    detail = f"Twilio HTTP {status}" + (f" code {code}" if code else "")
    if data.get("message"):
        detail += f": {redact(str(data['message']))}"
    if status == 429 or code == 20429:
        return transient(detail, retry_after_seconds(response.headers), not_sent=True)
    if status >= 500:
        return transient(detail, retry_after_seconds(response.headers), not_sent=True)
    if status in (401, 403) or code in AUTH_CODES:
        return PermanentDeliveryError(PermanentKind.BAD_CREDENTIALS, detail)
    if code in INVALID_NUMBER_CODES:
        return PermanentDeliveryError(PermanentKind.INVALID_ADDRESS, detail)
    if code in LANDLINE_CODES:
        return PermanentDeliveryError(PermanentKind.LANDLINE, detail)
    if code in OPTED_OUT_CODES:
        return PermanentDeliveryError(PermanentKind.OPTED_OUT_AT_PROVIDER, detail)
    if code in UNREACHABLE_CODES:
        return PermanentDeliveryError(PermanentKind.INACTIVE_RECIPIENT, detail)
    if 400 <= status < 500:
        return PermanentDeliveryError(PermanentKind.REJECTED, detail)
    # 1xx/3xx: nothing we asked for; treat as a refusal that retrying may fix.
    return transient(detail, not_sent=True)



def _twilio_date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(str(value))  # Twilio uses RFC 2822 dates
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
