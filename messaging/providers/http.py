"""What the HTTP providers (Twilio, Resend) share: how an answer or a broken call is read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from messaging.providers.errors import TransientDeliveryError, transient

USER_AGENT = "waypoint-journeys/0.1"


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def classify_http_error(kind: str, exc: httpx.HTTPError) -> TransientDeliveryError:
    # Certain not to have reached the provider: the connection was never made.
    not_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    what = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    return transient(f"{kind} request {what} ({type(exc).__name__})", not_sent=not_sent)


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
