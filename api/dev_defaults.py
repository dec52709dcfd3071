"""Credentials for the embedded default (`make run`) only: a dev coordinator account, a dev
API key and a dev Twilio webhook token, created once under the data directory and printed by scripts/run.sh. Never used when
WAYPOINT_API_KEYS / WAYPOINT_COORDINATORS / WAYPOINT_SESSION_SECRET are set.

    python -m api.dev_defaults DATA_DIR     # writes DATA_DIR/dev-api.env (0600) if missing, prints its path
    python -m api.dev_defaults --document-keys DATA_DIR   # DATA_DIR/dev-documents.env: a document key
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

from api.dashboard.accounts import hash_password
from api.keys import hash_key, new_key
from service.codec import new_key_entry
from service.local_keys import write_private_env

DEV_COORDINATOR = "coord-lin"  # the coordinator of examples/case-car-t-question.json


def ensure(data_dir: Path) -> Path:
    target = data_dir / "dev-api.env"
    if target.exists():
        return target
    password = "dev-" + secrets.token_urlsafe(9)
    key = new_key()
    accounts = {"coordinators": [{"id": DEV_COORDINATOR, "password_hash": hash_password(password), "language": "en"}]}
    values = {
        "WAYPOINT_API_KEYS": f"dev-local:{hash_key(key)}",
        "WAYPOINT_COORDINATORS": json.dumps(accounts),
        "WAYPOINT_SESSION_SECRET": secrets.token_urlsafe(48),
        # The Twilio webhook verifies signatures with this token, so a reply can be tried on the
        # embedded default (the outbox is the provider; the CLI's inbound-sms needs no token).
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        # Shown by run.sh; local development only.
        "WAYPOINT_DEV_PASSWORD": password,
        "WAYPOINT_DEV_API_KEY": key,
    }
    return write_private_env(target, values, "Created by `make run` for local development only. Delete to get new ones.")


def ensure_document_keys(data_dir: Path) -> Path:
    """A document key for the family page's uploads on a local run (sealed at rest even here)."""
    target = data_dir / "dev-documents.env"
    if target.exists():
        return target
    return write_private_env(target, {"WAYPOINT_DOCUMENT_KEYS": new_key_entry("dev-1")},
                             "Created by `make run` for local development only. Losing it loses the documents sealed with it.")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--document-keys":
        print(ensure_document_keys(Path(args[1])))
    elif len(args) == 1:
        print(ensure(Path(args[0])))
    else:
        print("usage: python -m api.dev_defaults [--document-keys] DATA_DIR", file=sys.stderr)
        raise SystemExit(2)
