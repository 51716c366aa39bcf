"""Every catalogue is complete: a string missed in translation fails here, not in a student's
inbox. Every ``.po`` under the catalogue folder is read, whatever its domain (the ticket's
``messages``, the door's and admin pages' own), with Babel as gettext will read it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from adapters.brand import DEFAULT_INSTRUCTIONS, Brand
from adapters.languages import LOCALES_DIR, Language

pytestmark = pytest.mark.unit

CATALOGUES = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po"))


def catalogue(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=path.parent.parent.name, domain=path.stem)


def named(path: Path) -> str:
    return str(path.relative_to(LOCALES_DIR))


def test_there_is_a_norwegian_catalogue() -> None:
    assert LOCALES_DIR / "nb" / "LC_MESSAGES" / "messages.po" in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=named)
def test_every_message_has_a_translation_that_is_neither_empty_nor_fuzzy(path: Path) -> None:
    messages = [m for m in catalogue(path) if m.id]
    assert messages, f"{named(path)} translates nothing"

    untranslated = [m.id for m in messages if not all(_strings(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]

    assert untranslated == [], f"{named(path)}: not translated"
    assert fuzzy == [], f"{named(path)}: fuzzy (changed in English since translated)"


@pytest.mark.parametrize("path", CATALOGUES, ids=named)
def test_every_extracted_message_is_in_the_catalogue(path: Path) -> None:
    """The catalogue is up to date with its template (``make translations`` was run)."""
    template = LOCALES_DIR / f"{path.stem}.pot"
    if not template.exists():
        pytest.skip(f"no {template.name} for this domain")
    with template.open("rb") as pot:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(path) if m.id}

    assert sorted(extracted - translated) == []


@pytest.mark.parametrize("path", CATALOGUES, ids=named)
def test_translations_keep_every_placeholder(path: Path) -> None:
    """``%(period)s`` lost or misspelt in a translation would fail at render time."""
    for message in catalogue(path):
        if not message.id or not message.python_format:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(_placeholders(ids[0])))
        for string in strings:
            assert sorted(set(_placeholders(string))) == wanted, message.id


def _strings(string: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """A message's translations: one, or one per plural form (all must be written)."""
    if isinstance(string, tuple):
        return string or ("",)
    return (string or "",)


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)s", text)


def test_the_default_door_instructions_are_translated_and_a_schools_own_are_not() -> None:
    norsk = Language("nb")
    assert Brand().instructions_in(norsk).startswith("Vis denne QR-koden i døra")
    assert Brand().instructions_in(Language("en")) == DEFAULT_INSTRUCTIONS
    assert Brand(instructions="Vis koden.").instructions_in(Language("en")) == "Vis koden."


def test_a_language_is_named_in_itself() -> None:
    assert Language("nb").name == "Norsk bokmål"
    assert Language("en").name == "English"
