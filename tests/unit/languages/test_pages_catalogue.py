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
    """By msgid (a plural's: its singular), the translation (a plural's forms, one per line;
    empty if any form is) and whether it is fuzzy."""
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="nb", domain="pages")
    entries = {}
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        text = "\n".join(forms) if all(form.strip() for form in forms) else ""
        entries[str(msgid)] = (text, message.fuzzy)
    return entries


def _extracted() -> set[str]:
    """What ``make translations`` extracts into pages.pot, found the same way."""
    with (ROOT / "babel-pages.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "t": None, "tn": (1, 2)}
    found = extract_from_dir(ROOT, method_map, options_map, keywords=keywords)
    # A plural is listed by its singular, as in the catalogue.
    return {
        message if isinstance(message, str) else str(message[0])
        for _path, _line, message, _comments, _context in found
    }


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
        for form in text.split("\n"):
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(message)), form


def test_the_template_pot_is_where_make_translations_writes_it() -> None:
    assert Path(LOCALES_DIR / "pages.pot").exists()
