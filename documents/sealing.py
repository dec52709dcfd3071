"""Documents sealed at rest with AES-256-GCM, like the payload codec (service/codec.py).

A sealed document is ``WPD1 | key id length | key id | nonce | ciphertext+tag``; the document id
and the key id are bound in as associated data, so a sealed file cannot be passed off as another
document. The first configured key seals; every configured key opens, so keys can be rotated by
putting a new key first and keeping the old ones until nothing sealed with them is left.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from service.codec import KeyProblem, parse_keys

KEYS_ENV = "WAYPOINT_DOCUMENT_KEYS"
MAGIC = b"WPD1"
NONCE_BYTES = 12


class SealBroken(Exception):
    """Stored bytes that do not open: not ours, tampered with, or sealed with an unknown key."""


class Sealer:
    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyProblem(f"{KEYS_ENV}: at least one key is needed for the document store")
        self.active_id = keys[0][0]
        self._by_id = {kid: AESGCM(key) for kid, key in keys}

    @classmethod
    def from_spec(cls, spec: str) -> "Sealer":
        return cls(parse_keys(spec, KEYS_ENV))

    def __repr__(self) -> str:  # never show key material
        return f"Sealer(active={self.active_id!r}, keys={list(self._by_id)!r})"

    def seal(self, document_id: str, plaintext: bytes) -> bytes:
        kid = self.active_id.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._by_id[self.active_id].encrypt(nonce, plaintext, document_id.encode() + b"|" + kid)
        return MAGIC + bytes([len(kid)]) + kid + nonce + sealed

    def key_id(self, blob: bytes) -> str:
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
            raise SealBroken("not a sealed document")
        length = blob[len(MAGIC)]
        return blob[len(MAGIC) + 1:len(MAGIC) + 1 + length].decode("ascii", "replace")

    def open(self, document_id: str, blob: bytes) -> bytes:
        kid = self.key_id(blob)
        aead = self._by_id.get(kid)
        if aead is None:
            raise SealBroken(f"sealed with key '{kid}', which is not configured")
        start = len(MAGIC) + 1 + len(kid.encode())
        nonce, sealed = blob[start:start + NONCE_BYTES], blob[start + NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, sealed, document_id.encode() + b"|" + kid.encode())
        except InvalidTag:
            raise SealBroken("the sealed document does not open (tampered with, or another document's)") from None
