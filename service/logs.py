"""Log setup. Our own log lines carry case references, codes and ids only, never names,
addresses, phone numbers or medical detail."""

from __future__ import annotations

import logging
import re

# A family-page link is a key: /family/<token> in a request line is written as /family/<hidden>.
_FAMILY_TOKEN = re.compile(r"(/family/)[A-Za-z0-9_-]{20,}")


def hide_family_tokens(text: str) -> str:
    return _FAMILY_TOKEN.sub(r"\1<hidden>", text)


class HideFamilyTokens(logging.Filter):
    """For uvicorn's access log (whose record args hold the request path) and any other logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(hide_family_tokens(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = hide_family_tokens(record.msg)
        return True


def hide_family_tokens_in_access_log() -> None:
    """Idempotent; survives uvicorn's own logging setup (which keeps a logger's filters)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideFamilyTokens) for f in access.filters):
        access.addFilter(HideFamilyTokens())


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs full request URLs at INFO; keep them out of the way.
    logging.getLogger("httpx").setLevel(logging.WARNING)
