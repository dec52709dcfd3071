"""Validation errors described without their values (values can be personal data)."""

from __future__ import annotations

from pydantic import ValidationError


def describe(err: ValidationError, what: str, limit: int = 3) -> str:
    parts = []
    for e in err.errors()[:limit]:
        where = ".".join(str(p) for p in e["loc"]) or what
        parts.append(f"{where}: {e['msg']}")
    more = f" (+{err.error_count() - limit} more)" if err.error_count() > limit else ""
    return f"invalid {what}: " + "; ".join(parts) + more
