"""API keys for backend systems: stored only as SHA-256 hashes, several at once, revocable.

A key is 32 random bytes (``wpk_`` + URL-safe base64), so a plain SHA-256 is enough to store it:
nobody can guess a preimage of a 256-bit random value, and a fast hash keeps each request cheap.

``WAYPOINT_API_KEYS`` holds ``name:sha256hex`` entries separated by commas, spaces or newlines,
or the path of a file with one entry per line (``#`` starts a comment). Revoking a key means
deleting its line and restarting the API.

    python -m api.keys new billing-crm     # prints a new key (once) and the line to configure
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

KEY_PREFIX = "wpk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KeyRing:
    """Names and hashes of the keys that may call the API."""

    hashes: Mapping[str, str]  # name -> sha256 hex

    def __repr__(self) -> str:
        return f"KeyRing(names={sorted(self.hashes)})"

    def verify(self, presented: str | None) -> str | None:
        """The name of the key presented, or None. Compares against every hash in constant time."""
        if not presented or len(presented) > 200:
            return None
        digest = hash_key(presented)
        found = None
        for name, stored in self.hashes.items():
            if hmac.compare_digest(digest, stored):
                found = name
        return found

    @classmethod
    def parse(cls, text: str) -> "KeyRing":
        hashes: dict[str, str] = {}
        for number, raw in enumerate(re.split(r"[\n,]", text), start=1):
            for entry in raw.split("#", 1)[0].split():
                name, sep, digest = entry.partition(":")
                digest = digest.lower()
                if not sep or not _NAME.match(name) or not _HEX.match(digest):
                    raise ValueError(
                        f"WAYPOINT_API_KEYS entry {number} must be name:sha256hex "
                        "(name: lowercase letters, digits, . _ -; 64 hex digits)"
                    )
                if name in hashes:
                    raise ValueError(f"WAYPOINT_API_KEYS names the key '{name}' twice")
                hashes[name] = digest
        return cls(hashes)

    @classmethod
    def load(cls, value: str) -> "KeyRing":
        """From WAYPOINT_API_KEYS (``HttpSettings.api_keys``): entries, or the path of a file of them."""
        if value and ":" not in value and Path(value).is_file():
            value = Path(value).read_text(encoding="utf-8")
        elif value and "\n" not in value and ":" not in value:
            raise ValueError("WAYPOINT_API_KEYS is neither name:sha256hex entries nor a readable file")
        return cls.parse(value)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "new" or not _NAME.match(args[1]):
        print("usage: python -m api.keys new NAME   (NAME: lowercase letters, digits, . _ -)", file=sys.stderr)
        return 2
    key = new_key()
    print(f"key (give it to the caller; it is not stored anywhere): {key}")
    print(f"line for WAYPOINT_API_KEYS: {args[1]}:{hash_key(key)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
