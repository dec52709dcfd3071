"""The translation catalogs: every string the code and templates use is translated in every
language's catalog (with the right plural forms and the same placeholders), and a string a
catalog lacks is shown in English and said in the log."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from translations import catalogs

ROOT = catalogs.LOCALE_DIR.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "pgettext_noop": ((1, "c"), 2)}  # as scripts/catalogs.sh extracts
DOMAINS = sorted(p.stem for p in catalogs.LOCALE_DIR.glob("*.cfg"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def used_strings(domain: str) -> dict[tuple[str | None, str | tuple[str, ...]], str]:
    """Every (context, msgid) the sources of a domain use, with where it was found."""
    with (catalogs.LOCALE_DIR / f"{domain}.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found[(context, message)] = f"{filename}:{lineno}"
    return found


def catalog(language: str, domain: str) -> Catalog:
    with (catalogs.LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as fp:
        return read_po(fp, locale=language, domain=domain)


CASES = [
    pytest.param(language, domain, id=f"{language}-{domain}")
    for domain in DOMAINS
    for language in catalogs.languages(domain)
    if language != catalogs.SOURCE_LANGUAGE
]


def test_the_working_languages_have_message_and_label_catalogs() -> None:
    for domain in ("messages", "labels"):
        assert {"en", "zh", "ru", "ar"} <= set(catalogs.languages(domain)), domain
    assert {"en", "zh"} <= set(catalogs.languages("dashboard"))


@pytest.mark.parametrize(("language", "domain"), CASES)
def test_every_string_the_sources_use_is_translated(language: str, domain: str) -> None:
    cat = catalog(language, domain)
    problems = []
    for (context, message), where in sorted(used_strings(domain).items(), key=lambda kv: kv[1]):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = cat.get(msgid, context=context)
        if entry is None:
            problems.append(f"{where}: missing {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"{where}: fuzzy {msgid!r}")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(message, tuple):
            if len(strings) != cat.num_plurals:
                problems.append(f"{where}: {len(strings)} plural forms for {msgid!r}, {language} has {cat.num_plurals}")
        if not all(s.strip() for s in strings):
            problems.append(f"{where}: untranslated {msgid!r}")
        wanted = set(PLACEHOLDER.findall(" ".join(message if isinstance(message, tuple) else (message,)))) - {"num"}
        for s in strings:
            if set(PLACEHOLDER.findall(s)) - {"num"} != wanted:
                problems.append(f"{where}: placeholders differ in {s!r}")
    assert not problems, f"{language}/{domain}:\n" + "\n".join(problems)


def test_a_string_missing_from_a_catalog_falls_back_to_english_and_says_so(tmp_path: Path, caplog) -> None:
    target = tmp_path / "ru" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po = target / "messages.po"
    shutil.copy(catalogs.LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.po", po)
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgid "Hello,"\nmsgstr "Здравствуйте."\n', ""), encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="translations.catalogs"):
        words, language, fell_back = catalogs.translations("ru", "messages", tmp_path)
        assert (language, fell_back) == ("ru", False)
        assert words.gettext("Hello,") == "Hello,"
        assert words.gettext("Hello team,") == "Здравствуйте, коллеги."
    said = [r.getMessage() for r in caplog.records if "lacks" in r.getMessage()]
    assert said == ["catalog ru/messages lacks 'Hello,'; using English"]


def test_a_language_without_catalogs_falls_back_to_english(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="translations.catalogs"):
        words, language, fell_back = catalogs.translations("fr-CA", "messages")
    assert (language, fell_back) == ("en", True)
    assert words.gettext("Hello,") == "Hello,"
    assert any("fr-CA" in r.getMessage() for r in caplog.records)
