"""E-mail through the Resend API (``POST /emails``).

Why Resend rather than Postmark: Resend accepts an ``Idempotency-Key`` header on
``POST /emails`` and, for 24 hours, answers a repeated key with the first response without
sending again. Our delivery key (``case:event:seq:recipient:channel``) is that key, so a retry
after a lost answer (timeout, worker crash) is safe without any lookup. Postmark has no such
key: a retry there is a second e-mail unless we search its outbound log first, which is what
we must do for Twilio (see ``messaging.providers.twilio.find_sent``).

Answers are classified (``messaging.providers.errors``):

- 200 -> the e-mail id.
- 429, 5xx, connection errors, timeouts, 409 ``concurrent_idempotent_requests`` ->
  ``TransientDeliveryError`` (``not_sent`` True when Resend certainly did not take it).
- 401/403 -> BAD_CREDENTIALS (a missing/invalid key, or a testing key sending to others).
- 422 about the recipient (``to``) -> INVALID_ADDRESS, or INACTIVE_RECIPIENT when it speaks of
  a suppressed/bounced recipient; 409 ``invalid_idempotent_request`` (the same key was used
  with other content, so an earlier attempt went out) -> UNCERTAIN; any other 4xx -> REJECTED.
"""

from __future__ import annotations

import base64

from typing import Any

import httpx

from messaging.delivery_contract import DeliveryRequest, Rendered
from messaging.providers.addresses import to_header
from messaging.providers.errors import PermanentDeliveryError, PermanentKind
from messaging.providers.errors import redact, transient
from messaging.providers.http import USER_AGENT, classify_http_error, json_object, retry_after_seconds

DEFAULT_API_BASE = "https://api.resend.com"
DEFAULT_TIMEOUT = 15.0
IDEMPOTENCY_WINDOW_HOURS = 24  # how long Resend remembers a key


class ResendEmail:
    """Sends one e-mail per call with the delivery key as Idempotency-Key. Returns the id."""

    name = "resend"
    idempotent = True

    def __init__(
        self,
        api_key: str,
        *,
        from_address: str,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self.from_address = from_address
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._transport = transport

    def __repr__(self) -> str:
        return f"ResendEmail(api_base={self.api_base!r})"

    async def send(self, request: DeliveryRequest, message: Rendered) -> str:
        payload: dict[str, Any] = {
            "from": self.from_address,
            "to": [to_header(request.to_name, request.to_address)],
            "subject": message.subject or "",
            "text": message.text,
            "headers": {"Content-Language": message.language},
        }
        if message.html:
            payload["html"] = message.html
        if message.attachments:
            payload["attachments"] = [
                {"filename": a.filename, "content": base64.b64encode(a.content.encode("utf-8")).decode("ascii"),
                 "content_type": a.content_type}
                for a in message.attachments
            ]
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Idempotency-Key": request.key,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client:
                response = await client.post(f"{self.api_base}/emails", json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise classify_http_error("Resend", exc) from None
        if response.status_code in (200, 201):
            email_id = json_object(response).get("id")
            if not email_id:
                raise transient("Resend accepted the e-mail but sent no id", not_sent=False)
            return str(email_id)
        raise classify(response)


def classify(response: httpx.Response) -> Exception:
    status = response.status_code
    data = json_object(response)
    name = str(data.get("name") or "")
    message = str(data.get("message") or "")
    detail = f"Resend HTTP {status}" + (f" {name}" if name else "") + (f": {redact(message)}" if message else "")
    lowered = message.lower()
    if status == 429:
        return transient(detail, retry_after_seconds(response.headers), not_sent=True)
    if status >= 500:
        return transient(detail, retry_after_seconds(response.headers), not_sent=True)
    if status in (401, 403):
        return PermanentDeliveryError(PermanentKind.BAD_CREDENTIALS, detail)
    if status == 409:
        if name == "concurrent_idempotent_requests":
            # The first request with this key is still being processed: ask again shortly.
            return transient(detail, 1.0, not_sent=False)
        return PermanentDeliveryError(PermanentKind.UNCERTAIN, detail)
    if status == 422 and any(w in lowered for w in ("suppress", "bounce", "inactive", "complain")):
        return PermanentDeliveryError(PermanentKind.INACTIVE_RECIPIENT, detail)
    if status in (400, 422) and any(w in lowered for w in ("`to`", "'to'", '"to"', "to field", "recipient")):
        return PermanentDeliveryError(PermanentKind.INVALID_ADDRESS, detail)
    if 400 <= status < 500:
        return PermanentDeliveryError(PermanentKind.REJECTED, detail)
    return transient(detail, not_sent=True)
