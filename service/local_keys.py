"""Secrets for the embedded default (`make run`) only, created once in the data folder (0600).

    python -m service.local_keys DATA_DIR    # writes DATA_DIR/local-keys.env if missing, prints its path

``local-keys.env`` holds a payload key (``WAYPOINT_PAYLOAD_KEYS``), so journeys started by
`make run` are encrypted at rest from the first one, and the token of the codec server that
`make run` starts for its Temporal UI (``WAYPOINT_CODEC_TOKEN``). Never used when
``WAYPOINT_PAYLOAD_KEYS`` is set. Deleting the file makes the journeys already stored unreadable.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from service.codec import new_key_entry

LOCAL_KEYS_FILE = "local-keys.env"


def write_private_env(target: Path, values: Mapping[str, str], comment: str) -> Path:
    """Write ``NAME=value`` lines to a new file only its owner can read (never overwrites)."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"# {comment}\n")
        for name, value in values.items():
            out.write(f"{name}={shlex.quote(value)}\n")
    return target


def ensure(data_dir: Path) -> Path:
    target = data_dir / LOCAL_KEYS_FILE
    if target.exists():
        return target
    values = {
        "WAYPOINT_PAYLOAD_KEYS": new_key_entry("local-" + datetime.now(UTC).strftime("%Y%m%d")),
        "WAYPOINT_CODEC_TOKEN": secrets.token_urlsafe(32),
    }
    return write_private_env(target, values, "Created by `make run` for local runs only. Keep it: the journeys in "
                                             "this folder are sealed with this key.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m service.local_keys DATA_DIR", file=sys.stderr)
        raise SystemExit(2)
    print(ensure(Path(sys.argv[1])))
