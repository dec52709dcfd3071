"""The gettext catalogs, for any domain: ``locale/<language>/LC_MESSAGES/<domain>.po``.

English is the source language (the msgids), so it needs no catalog. The install step
(``scripts/bootstrap.sh`` -> ``scripts/catalogs.sh compile``) compiles each ``.po`` into the
``.mo`` read here; a catalog that was not compiled, or was edited since, is compiled in memory
from its ``.po`` (with a warning), so a fresh checkout still speaks every language.

``translations(language, domain)`` gives a ``babel.support.Translations`` for the best matching
language (``zh-Hans`` -> ``zh``) and whether it fell back to English. A string missing from a
catalog is shown in English and logged once per catalog and string. Adding a language is adding
its catalogs. Domains: ``messages`` (what families, teams and coordinators receive), ``labels``
(names of stages, milestones, records..., shared by every surface), ``dashboard``, ``family``.
"""

from __future__ import annotations

import gettext
import logging
import threading
import time
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SOURCE_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


def _po(language: str, domain: str, root: Path) -> Path:
    return root / language / "LC_MESSAGES" / f"{domain}.po"


def languages(domain: str, root: Path = LOCALE_DIR) -> list[str]:
    """English and every language with a catalog for the domain. Asked for every message
    rendered, so a folder is listed again only when it changed (a language added); one changed in
    the last seconds is always listed (its time stamp may not show a second change yet)."""
    try:
        changed = root.stat().st_mtime_ns
    except FileNotFoundError:
        return [SOURCE_LANGUAGE]
    if time.time_ns() - changed < 2_000_000_000:
        return list(_scan(domain, root))
    return list(_listed(domain, root, changed))


@lru_cache(maxsize=64)
def _listed(domain: str, root: Path, changed: int) -> tuple[str, ...]:
    return _scan(domain, root)


def _scan(domain: str, root: Path) -> tuple[str, ...]:
    found = {p.name for p in root.iterdir() if _po(p.name, domain, root).is_file()} if root.is_dir() else set()
    return tuple(sorted(found | {SOURCE_LANGUAGE}))


def best_language(requested: str, domain: str, root: Path = LOCALE_DIR) -> tuple[str, bool]:
    """The catalog language for a tag (``zh_CN``, ``ZH-Hans`` -> ``zh``) and whether that was a
    fallback to English (logged)."""
    tag = requested.replace("_", "-").lower()
    available = languages(domain, root)
    for candidate in (tag, tag.split("-")[0]):
        if candidate in available:
            return candidate, False
    log.warning("no %s catalog for language %s; falling back to %s", domain, requested, SOURCE_LANGUAGE)
    return SOURCE_LANGUAGE, True


class _EnglishFallback(gettext.NullTranslations):
    """What a catalog does not hold: the English text, said once in the log per string."""

    _said: set[tuple[str, str, str]] = set()
    _lock = threading.Lock()

    def __init__(self, language: str, domain: str) -> None:
        super().__init__()
        self.language, self.domain = language, domain

    def _missing(self, msgid: str) -> None:
        key = (self.language, self.domain, msgid)
        with self._lock:
            if key in self._said:
                return
            self._said.add(key)
        log.warning("catalog %s/%s lacks %r; using English", self.language, self.domain, msgid[:80])

    def gettext(self, message: str) -> str:
        self._missing(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self._missing(msgid1)
        return msgid1 if n == 1 else msgid2

    def pgettext(self, context: str, message: str) -> str:
        self._missing(f"{context}|{message}")
        return message

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        self._missing(f"{context}|{msgid1}")
        return msgid1 if n == 1 else msgid2


def _compiled(language: str, domain: str, root: Path) -> Translations:
    po = _po(language, domain, root)
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fp:
            return Translations(fp, domain=domain)
    log.warning("catalog %s/%s is not compiled (run scripts/bootstrap.sh); compiling it in memory", language, domain)
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=language, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@lru_cache(maxsize=128)
def _load(language: str, domain: str, root: Path) -> gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return Translations(domain=domain)  # the msgids are English
    translations = _compiled(language, domain, root)
    translations.add_fallback(_EnglishFallback(language, domain))
    return translations


def translations(language: str, domain: str, root: Path = LOCALE_DIR) -> tuple[gettext.NullTranslations, str, bool]:
    """(translations, the language used, fell back to English)."""
    chosen, fell_back = best_language(language, domain, root)
    return _load(chosen, domain, root), chosen, fell_back


def direction(language: str) -> str:
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"
