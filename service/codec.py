"""Payload encryption: every payload Temporal stores is sealed with AES-256-GCM.

Inputs, results, signals, updates, queries, memos and failure details pass through the data
converter's codec, so the server (and anyone reading its database) sees only ciphertext. The key
id travels in the payload's metadata; several keys can be configured so payloads sealed with an
old key still open after rotation (the first key seals, all keys open).

Keys come from configuration, never from the repository:
``WAYPOINT_PAYLOAD_KEYS="k2026b:<base64 32 bytes>,k2026a:<base64 32 bytes>"``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEYS_ENV = "WAYPOINT_PAYLOAD_KEYS"


class KeyProblem(ValueError):
    """The key configuration is unusable (the message never contains key material)."""


def parse_keys(spec: str, variable: str = KEYS_ENV) -> list[tuple[str, bytes]]:
    """``kid:base64,...`` from ``variable`` (payload keys here; document keys use the same form)."""
    keys: list[tuple[str, bytes]] = []
    name = f"{variable}: " if variable else ""
    for number, part in enumerate(filter(None, (p.strip() for p in spec.split(","))), start=1):
        kid, sep, encoded = part.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", kid):
            raise KeyProblem(f"{name}entry {number} must be <key id>:<base64 key>; key ids are 1-32 letters, digits, . _ -")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise KeyProblem(f"{name}entry {number}: the key is not valid base64") from None
        if len(key) != 32:
            raise KeyProblem(f"{name}entry {number}: the key must be 32 bytes (AES-256), got {len(key)}")
        if kid in dict(keys):
            raise KeyProblem(f"{name}entry {number}: its key id is used by an earlier entry")
        keys.append((kid, key))
    return keys


def new_key_entry(kid: str) -> str:
    """A fresh ``kid:base64`` entry for the configuration."""
    return f"{kid}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyProblem(f"{KEYS_ENV}: at least one key is needed")
        self._active_id, active = keys[0]
        self._active = AESGCM(active)
        self._by_id = {kid: AESGCM(key) for kid, key in keys}

    def __repr__(self) -> str:  # never show key material
        return f"EncryptionCodec(active={self._active_id!r}, keys={list(self._by_id)!r})"

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(p) for p in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        kid = self._active_id.encode()
        sealed = self._active.encrypt(nonce, payload.SerializeToString(), kid)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: kid}, data=nonce + sealed)

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before encryption was turned on
        kid = payload.metadata.get(KEY_ID, b"").decode()
        aead = self._by_id.get(kid)
        if aead is None:
            raise KeyProblem(f"payload sealed with key '{kid}', which is not configured")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        return Payload.FromString(aead.decrypt(nonce, sealed, kid.encode()))


def payload_codec(keys: SecretStr | None) -> EncryptionCodec | None:
    """The codec for ``CodecSettings.payload_keys`` (validated when the settings were read), or
    None when payload encryption is off."""
    return EncryptionCodec(parse_keys(keys.get_secret_value())) if keys is not None else None
