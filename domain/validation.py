"""Validation errors described without their values (values can be personal data)."""

from __future__ import annotations

import re

from pydantic import ValidationError

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")


def _place(part: object) -> str:
    """A path element: indexes and field names as they are; any other key (it was supplied by
    the sender, and could be anything) is not repeated back."""
    if isinstance(part, int) or _FIELD_NAME.fullmatch(str(part)):
        return str(part)
    return "<unknown field>"


def describe(err: ValidationError, what: str, limit: int = 3) -> str:
    parts = []
    for e in err.errors()[:limit]:
        where = ".".join(_place(p) for p in e["loc"]) or what
        parts.append(f"{where}: {e['msg']}")
    more = f" (+{err.error_count() - limit} more)" if err.error_count() > limit else ""
    return f"invalid {what}: " + "; ".join(parts) + more
