"""The family page's words: the ``family`` gettext catalog (``locale/<lang>/LC_MESSAGES/family.po``)
through the shared loader (``translations.catalogs``), English being the source language. A
missing word shows in English and a missing language falls back to English, both logged there.
"""

from __future__ import annotations

from babel import Locale

from translations import catalogs

DOMAIN = "family"


def languages() -> list[str]:
    return catalogs.languages(DOMAIN)


def pick(requested: str | None, accept_language: str | None = None) -> str:
    """The first language we have: the one asked for, else the browser's, else English."""
    have = set(languages())
    for tag in [requested or "", *[part.split(";")[0].strip() for part in (accept_language or "").split(",")]]:
        base = tag.replace("_", "-").lower().split("-")[0]
        if base in have:
            return base
    return catalogs.SOURCE_LANGUAGE


class Words:
    """What a template needs in one language: ``_`` and the page's direction."""

    def __init__(self, language: str) -> None:
        self._t, self.language, _ = catalogs.translations(language if language in languages() else "en", DOMAIN)
        self.direction = catalogs.direction(self.language)
        self.name = Locale.parse(self.language).get_display_name(self.language) or self.language

    def __call__(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text % values if values else text
