"""The family page's words: every phrase a template asks for is in every catalog, with the same
placeholders; Arabic is right to left; an unknown language falls back to English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from api.family.words import Words, languages, pick
from translations.catalogs import LOCALE_DIR

TEMPLATES = Path(__file__).resolve().parents[2] / "api" / "family" / "templates"
PHRASE = re.compile(r"""_\(\s*(["'])(.*?)\1""", re.S)


def phrases() -> set[str]:
    return {m.group(2) for f in TEMPLATES.glob("*.html") for m in PHRASE.finditer(f.read_text(encoding="utf-8"))}


def test_the_four_languages_are_there():
    assert set(languages()) >= {"en", "zh", "ru", "ar"}


@pytest.mark.parametrize("language", ["zh", "ru", "ar"])
def test_every_phrase_is_translated_with_its_placeholders(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "family.po").open("rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    missing = sorted(p for p in phrases() if not catalog.get(p))
    assert not missing, f"{language} lacks {missing}"
    for phrase in phrases():
        assert set(re.findall(r"%\(\w+\)s", phrase)) == set(re.findall(r"%\(\w+\)s", catalog[phrase])), phrase


def test_direction_and_fallback():
    assert Words("ar").direction == "rtl" and Words("ru").direction == "ltr"
    assert Words("xx").language == "en"
    assert Words("en")("Nothing yet.") == "Nothing yet."
    assert pick(None, "ar-EG,ar;q=0.9,en;q=0.5") == "ar"
    assert pick("zh_CN") == "zh" and pick("sw") == "en"
