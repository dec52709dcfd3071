"""Coordinator accounts from configuration, passwords hashed with Argon2id (argon2-cffi).

``WAYPOINT_COORDINATORS`` is the path of a JSON or TOML file, or inline JSON:

    {"coordinators": [{"id": "coord-lin", "password_hash": "$argon2id$v=19$...", "language": "zh",
                       "timezone": "Asia/Shanghai"}]}

    [[coordinators]]
    id = "coord-lin"
    password_hash = "$argon2id$v=19$..."

The id is the staff id case files name as their coordinator, so "my journeys" means the
journeys whose ``coordinator.id`` is this id. Remove an entry to revoke an account.

    python -m api.dashboard.accounts hash      # asks for a password, prints its hash
"""

from __future__ import annotations

import getpass
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from api.dashboard.session_store import credential_of

ROLES = ("coordinator", "supervisor")
_ID = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
LANGUAGES = ("en", "zh")
_hasher = PasswordHasher()
# Verified when the id is unknown, so a wrong id costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Account:
    id: str
    password_hash: str
    language: str = "en"
    timezone: str = "UTC"  # dates on the dashboard are shown in it
    role: str = "coordinator"  # or "supervisor": sees and reassigns every journey (api.dashboard.access)
    team: str | None = None  # coordinators of one team act on each other's journeys
    email: str | None = None  # where a journey reassigned to them sends coordinator alerts

    def __repr__(self) -> str:
        return f"Account(id={self.id!r})"


class Coordinators:
    def __init__(self, accounts: list[Account]) -> None:
        self.accounts = {a.id: a for a in accounts}

    def __bool__(self) -> bool:
        return bool(self.accounts)

    def __repr__(self) -> str:
        return f"Coordinators({sorted(self.accounts)})"

    def authenticate(self, account_id: str, password: str) -> Account | None:
        account = self.accounts.get(account_id.strip().lower())
        try:
            _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return account

    def get(self, account_id: str | None) -> Account | None:
        return self.accounts.get(account_id or "")

    def credential(self, account_id: str) -> str | None:
        """The fingerprint of the account's current password (None: no such account); sessions
        opened with another password end."""
        account = self.get(account_id)
        return credential_of(account.password_hash) if account else None

    @classmethod
    def parse(cls, data: object) -> "Coordinators":
        entries = data.get("coordinators") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ValueError("WAYPOINT_COORDINATORS must hold a 'coordinators' list")
        accounts = []
        for n, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or set(entry) - {"id", "password_hash", "language", "timezone", "role", "team",
                                                         "email"}:
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n} may hold id, password_hash, language, timezone, "
                                 "role, team and email only")
            account_id, hashed = entry.get("id"), entry.get("password_hash")
            language = entry.get("language", "en")
            if not isinstance(account_id, str) or not _ID.match(account_id):
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n}: id must be a staff id such as coord-lin")
            if not isinstance(hashed, str) or not hashed.startswith("$argon2"):
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n}: password_hash must be an argon2 hash "
                                 "(python -m api.dashboard.accounts hash)")
            if language not in LANGUAGES:
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n}: language must be one of {', '.join(LANGUAGES)}")
            timezone = entry.get("timezone", "UTC")
            if not isinstance(timezone, str) or not _known_zone(timezone):
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n}: timezone must be an IANA zone such as Asia/Shanghai")
            role, team = entry.get("role", "coordinator"), entry.get("team")
            if role not in ROLES:
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n}: role must be one of {', '.join(ROLES)}")
            if team is not None and (not isinstance(team, str) or not _ID.match(team)):
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n}: team must be a short id such as almaty")
            email = entry.get("email")
            if email is not None and (not isinstance(email, str) or not re.fullmatch(r"[^@\s]{1,64}@[^@\s]{1,255}", email)):
                raise ValueError(f"WAYPOINT_COORDINATORS entry {n}: email must be an e-mail address")
            accounts.append(Account(account_id, hashed, language, timezone, role, team, email))
        if len({a.id for a in accounts}) != len(accounts):
            raise ValueError("WAYPOINT_COORDINATORS names an account twice")
        return cls(accounts)

    @classmethod
    def load(cls, value: str) -> "Coordinators":
        """From WAYPOINT_COORDINATORS (``HttpSettings.coordinators``): inline JSON, or a JSON or
        TOML file."""
        value = value.strip()
        if not value:
            return cls([])
        if value.startswith("{"):
            try:
                return cls.parse(json.loads(value))
            except json.JSONDecodeError:
                raise ValueError("WAYPOINT_COORDINATORS is not valid JSON") from None
        path = Path(value)
        if not path.is_file():
            raise ValueError("WAYPOINT_COORDINATORS is neither inline JSON nor a readable file")
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError):
            raise ValueError("WAYPOINT_COORDINATORS file cannot be parsed (JSON, or TOML with a .toml name)") from None
        return cls.parse(data)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["hash"]:
        print("usage: python -m api.dashboard.accounts hash   (asks for the password twice)", file=sys.stderr)
        return 2
    first = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty() and getpass.getpass("again: ") != first:
        print("the passwords differ", file=sys.stderr)
        return 2
    if len(first) < 10:
        print("use at least 10 characters", file=sys.stderr)
        return 2
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
