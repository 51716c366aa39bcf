"""The door's and the admins' pages in each language, rendered once a language.

Their words are in the ``pages`` catalogue (``locales/<locale>/LC_MESSAGES/pages.po``), apart
from what participants receive (``messages``). The templates use ``{% trans %}`` and ``_()``;
the scripts call ``t("...")``, and the page hands them their words as a JSON block (data, not a
script: the pages' ``script-src 'self'`` stays), read from the same catalogue: the messages
``t()`` is called with are found in the scripts by Babel, as ``make translations`` finds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import jinja2
from babel import Locale
from babel.messages.extract import extract_from_file

from adapters.languages import jinja_environments, translations

DOMAIN: Final = "pages"
# The scripts' gettext: t("Checked in at {time}", {...}), tn(singular, plural, n) (strings.js).
SCRIPT_KEYWORDS: Final = {"t": None, "tn": (1, 2)}
# The switch names each language in its own words. CLDR's "norsk bokmål" is a linguist's
# name: the school and its students say "Norsk" (the glossary's word).
_OWN_NAMES: Final = {"nb": "Norsk"}


class ToolPages:
    def __init__(
        self,
        templates: Path,
        *,
        values: Mapping[str, Any],
        locales: frozenset[str],
        default_locale: str,
        scripts: Path | None,
    ) -> None:
        self.locales = locales
        self.default_locale = default_locale
        self._values = values
        self._environments = jinja_environments(
            templates,
            locales,
            domain=DOMAIN,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._script_messages = script_messages(scripts) if scripts else ()

    def render(self, template: str) -> dict[str, str]:
        """The page's HTML by locale."""
        return {code: self._render(template, code) for code in self.locales}

    def _render(self, template: str, code: str) -> str:
        catalogue = translations(code, DOMAIN)
        strings: dict[str, str | list[str]] = {}
        for message in self._script_messages:
            if isinstance(message, str):
                strings[message] = catalogue.gettext(message)
            else:  # singular and plural: the forms for one and for more (gettext's n != 1)
                singular, plural = message
                strings[singular] = [catalogue.ngettext(singular, plural, n) for n in (1, 2)]
        switch = [
            {"code": other, "name": language_name(other)}
            for other in sorted(self.locales)
            if other != code
        ]
        environment = self._environments[code]
        return environment.get_template(template).render(
            self._values, strings={"lang": code, "messages": strings}, switch=switch
        )


def language_name(code: str) -> str:
    """The language's name in itself: ``Norsk``, ``English``, ``Svenska``."""
    name = _OWN_NAMES.get(code) or Locale.parse(code).get_language_name(code) or code
    return name[:1].upper() + name[1:]


def script_messages(scripts: Path) -> tuple[str | tuple[str, str], ...]:
    """Every message the pages' scripts translate: ``t()``'s, and ``tn()``'s (two forms)."""
    found: dict[str | tuple[str, str], None] = {}
    for script in sorted(scripts.glob("*.js")):
        for _line, message, _comments, _context in extract_from_file(
            "javascript", script, keywords=SCRIPT_KEYWORDS
        ):
            if isinstance(message, str):
                found[message] = None
            elif len(message) == 2 and all(isinstance(form, str) for form in message):
                found[(str(message[0]), str(message[1]))] = None
    return tuple(found)
