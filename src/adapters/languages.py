"""The languages people are addressed in: gettext catalogues, and CLDR formats through Babel.

The catalogues live in ``adapters/locales/<locale>/LC_MESSAGES/messages.po`` (how to add a
language, and the glossary of the words chosen, in that folder's README). A locale is supported
when its catalogue is there: adding one is adding a file, not code. The ``.po`` files are read
and compiled in memory when first used, so a fresh clone needs no compile step.

Dates, times and money come from CLDR (Babel), never from a hand-written table or the process's
own locale: ``1. september 2026`` and ``kr 1 200,00`` in ``nb``, ``September 1, 2026`` and
``NOK 1,200.00`` in ``en``.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import jinja2
from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

_CODE_THEN_DIGIT: Final = re.compile(r"^([A-Z]{3})(\d)")
LOCALES_DIR: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "messages"
# The language the English source strings are written in: it needs no translation.
SOURCE_LOCALE: Final = "en"


def available_locales() -> frozenset[str]:
    """Every locale with a catalogue (``nb``, ``en``, ...), and the source language."""
    found = {path.parent.parent.name for path in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return frozenset(found | {SOURCE_LOCALE})


@functools.cache
def translations(locale: str, domain: str = DOMAIN) -> Translations:
    """The locale's catalogue, compiled in memory (fuzzy entries left out, as gettext does).

    ``domain``: ``messages`` (what participants receive) or ``pages`` (the door's and the
    admins' pages and alerts), two catalogues side by side in the locale's folder."""
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return Translations()  # the source language: every msgid is its own text
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


@dataclass(frozen=True)
class Language:
    """One locale's words and formats: what a template, the PDF or the door page uses."""

    code: str

    @functools.cached_property  # parsed once a Language, not at every date it formats
    def _locale(self) -> Locale:
        return Locale.parse(self.code)

    @property
    def name(self) -> str:
        """The language's name in itself, as a switch between languages shows it: ``Norsk
        bokmål``, ``English`` (CLDR's, capitalised as at the start of a label)."""
        name = self._locale.get_display_name(self._locale) or self.code
        return name[:1].upper() + name[1:]

    def gettext(self, message: str, **values: Any) -> str:
        text = translations(self.code).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = translations(self.code).ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def long_date(self, day: date) -> str:
        """``1. september 2026`` / ``September 1, 2026``."""
        return dates.format_date(day, "long", locale=self._locale)

    def weekday_date(self, day: date) -> str:
        """``tirsdag 1. september 2026`` / ``Tuesday, September 1, 2026``."""
        return dates.format_date(day, "full", locale=self._locale)

    def date_range(self, start: date, end: date) -> str:
        """``1. sep. - 15. des. 2026`` (an en dash): the year once when the range is in one."""
        return dates.format_interval(start, end, "yMMMd", locale=self._locale)

    def short_date(self, day: date) -> str:
        """``6. okt.`` / ``Oct 6``: a day within a period already named with its year."""
        return dates.format_skeleton("MMMd", day, locale=self._locale)

    def weekday(self, number: int) -> str:
        """``tirsdag`` / ``Tuesday``: Monday is 0, as ``date.weekday()``."""
        return str(dates.get_day_names("wide", locale=self._locale)[number])

    def time(self, moment: time | datetime) -> str:
        """``19:00`` / ``7:00 PM``."""
        return dates.format_time(moment, "short", locale=self._locale)

    def money(self, cents: int, currency: str) -> str:
        """``kr 1 200,00`` / ``NOK 1,200.00``."""
        amount = Decimal(cents) / 100
        text = numbers.format_currency(amount, currency, locale=self._locale)
        # CLDR's currency spacing, which Babel leaves out: a symbol of letters (an ISO code)
        # is kept apart from the digits by a no-break space (``NOK 1,200.00``, not NOK1,200.00).
        return _CODE_THEN_DIGIT.sub("\\1\xa0\\2", text)


def jinja_environments(
    templates: Path, locales: frozenset[str], *, domain: str = DOMAIN, **options: Any
) -> dict[str, jinja2.Environment]:
    """One environment a locale, its templates translated (``{% trans %}``, ``_()``) and its
    formats as filters (``|long_date``, ``|date_range``, ``|time``, ``|money``). One each
    rather than one switched per render: the HTTP routes render from several threads."""
    made = {}
    for code in locales:
        language = Language(code)
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            extensions=["jinja2.ext.i18n"],
            # HTML escaped (pages, the email's HTML part); plain text (the email's text) not.
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
            **options,
        )
        environment.install_gettext_translations(translations(code, domain), newstyle=True)  # type: ignore[attr-defined]
        filters: dict[str, Callable[..., str]] = {
            "long_date": language.long_date,
            "weekday_date": language.weekday_date,
            "date_range": language.date_range,
            "time": language.time,
            "money": language.money,
        }
        environment.filters.update(filters)
        environment.globals["lang"] = code
        made[code] = environment
    return made
