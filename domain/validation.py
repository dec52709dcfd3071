"""Validation errors described without their values (values can be personal data), and the one
rule for display strings (names, notes) that reach e-mail headers, messages and pages."""

from __future__ import annotations

import re
import unicodedata

from pydantic import ValidationError, ValidationInfo

# Validation context for the front door (CLI, API, dashboard): the checks that need library data
# or that rules added later may tighten run only there, never when a running journey loads.
INTAKE = {"intake": True}


def at_intake(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("intake"))


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


# Embeddings, overrides and isolates: they reorder what a reader sees (U+202A-202E, U+2066-2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters that render as nothing (Hangul fillers, braille blank, Mongolian vowel separator).
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _shows_nothing(ch: str) -> bool:
    return ch.isspace() or ch in BLANK_LETTERS or unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me", "Zl", "Zp", "Zs")


def display_text_problem(value: str, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be shown to people or put in a header, or None when it can.

    Refused: control characters (C0, C1, DEL) and line or paragraph separators (a note may hold
    line breaks and tabs when ``multiline``), bidirectional embeddings, overrides and isolates,
    and text made only of characters that show nothing. Joiners inside a name are fine."""
    for ch in value:
        if multiline and ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            return "must not contain control characters or line breaks"
        if ch in BIDI_CONTROLS:
            return "must not contain bidirectional override or isolate characters"
    if value and all(_shows_nothing(ch) for ch in value):
        return "must contain visible characters"
    return None
