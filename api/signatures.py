"""Provider webhook signatures, as the providers document them. Pure functions.

Twilio (X-Twilio-Signature): base64(HMAC-SHA1(auth token, URL + every POST parameter's name and
value, sorted by name)). The URL is the full URL Twilio requested, query string included;
Twilio signs it sometimes with the scheme's default port written out (``https://host:443/...``)
and sometimes without, so both forms are accepted, as Twilio's own validator does.

Svix, which signs Resend's webhooks (svix-id, svix-timestamp, svix-signature): the signature
header lists ``v1,<base64 HMAC-SHA256>`` entries; the key is the base64 part of the
``whsec_...`` secret and the signed content is ``"{svix-id}.{svix-timestamp}.{raw body}"``.
A timestamp further than the tolerance from now is refused (replays).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit

SVIX_TOLERANCE_SECONDS = 300


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    data = url
    for name, value in sorted(params):
        data += name + value
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


DEFAULT_PORTS = {"https": 443, "http": 80}


def twilio_urls(url: str) -> list[str]:
    """The URL as given and with its scheme's default port written out or left out."""
    parts = urlsplit(url)
    default = DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    if default is None or not host or (parts.port not in (None, default)) or parts.username or parts.password:
        return [url]
    host = f"[{host}]" if ":" in host else host
    forms = [parts._replace(netloc=host).geturl(), parts._replace(netloc=f"{host}:{default}").geturl()]
    return [url] + [f for f in forms if f != url]


def twilio_valid(auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None) -> bool:
    if not signature or not auth_token:
        return False
    presented = signature.strip().encode("ascii", "replace")
    pairs = list(params)
    matches = [hmac.compare_digest(twilio_signature(auth_token, form, pairs).encode("ascii"), presented)
               for form in twilio_urls(url)]
    return any(matches)


def svix_key(secret: str) -> bytes:
    """The signing key of a ``whsec_...`` secret (raises ValueError naming no value)."""
    encoded = secret.strip().removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret must be whsec_ followed by base64") from None
    if len(key) < 16:
        raise ValueError("the webhook secret is too short (expected whsec_ and at least 16 bytes in base64)")
    return key


def svix_signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def svix_valid(
    key: bytes,
    msg_id: str | None,
    timestamp: str | None,
    signature_header: str | None,
    body: bytes,
    now: float,
    tolerance: int = SVIX_TOLERANCE_SECONDS,
) -> bool:
    if not (msg_id and timestamp and signature_header) or len(msg_id) > 100:
        return False
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = svix_signature(key, msg_id, timestamp, body).encode("ascii")
    for entry in signature_header.split():
        version, _, candidate = entry.partition(",")
        if version == "v1" and hmac.compare_digest(expected, candidate.encode("ascii", "replace")):
            return True
    return False
