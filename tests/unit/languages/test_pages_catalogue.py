"""The door's and admins' pages and the alerts: every word they show has its bokmål in the
``pages`` catalogue, and a string added to a template or a script without one fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from adapters.languages import LOCALES_DIR
from tests.support.service import ROOT

pytestmark = pytest.mark.unit

CATALOGUE = LOCALES_DIR / "nb" / "LC_MESSAGES" / "pages.po"
# The placeholders a translation must keep: python-format (templates) and {name} (scripts).
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")


def _entries() -> dict[str, tuple[str, bool]]:
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="nb", domain="pages")
    return {
        str(message.id): (str(message.string), message.fuzzy) for message in catalogue if message.id
    }


def _extracted() -> set[str]:
    """What ``make translations`` extracts into pages.pot, found the same way."""
    with (ROOT / "babel-pages.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "t": None}
    found = extract_from_dir(ROOT, method_map, options_map, keywords=keywords)
    return {message for _path, _line, message, _comments, _context in found}  # type: ignore[misc]


def test_every_pages_message_has_a_norwegian_translation_neither_empty_nor_fuzzy() -> None:
    entries = _entries()

    assert len(entries) > 50
    assert [message for message, (text, _) in entries.items() if not text.strip()] == []
    assert [message for message, (_, fuzzy) in entries.items() if fuzzy] == []


def test_every_word_of_the_pages_templates_and_scripts_is_in_the_catalogue() -> None:
    extracted = _extracted()

    assert {"Welcome!", "Find by name", "Door devices", "Critical alert"} <= extracted
    assert sorted(extracted - set(_entries())) == [], "run make translations and translate"


def test_translations_keep_their_placeholders() -> None:
    for message, (text, _) in _entries().items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(message)), message


def test_the_template_pot_is_where_make_translations_writes_it() -> None:
    assert Path(LOCALES_DIR / "pages.pot").exists()
