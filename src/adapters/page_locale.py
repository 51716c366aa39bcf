"""Which language the door's and the admins' pages speak: the device's own choice, else the
browser's (``Accept-Language``), else ``DEFAULT_LOCALE``.

The choice is made with the page's switch (``?lang=en``) and remembered on the device in a
cookie, so a door phone handed to the next volunteer keeps its language whatever its browser says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from babel import negotiate_locale

# Remembered on the device by the pages' language switch (a year: a door phone lives long).
COOKIE: Final = "lang"
COOKIE_MAX_AGE: Final = 365 * 24 * 3600
# "no" (Norwegian) and "nn" (Nynorsk) readers read bokmål better than English: browsers in
# Norway often send one of them, not "nb".
_NEAREST: Final = {"no": "nb", "nn": "nb"}


def choose_locale(
    *,
    asked: str | None,
    remembered: str | None,
    accept_language: str | None,
    supported: Iterable[str],
    default: str,
) -> str:
    """``asked``: ``?lang=``; ``remembered``: the cookie; the first one supported wins."""
    available = {code.lower(): code for code in supported}
    for explicit in (asked, remembered):
        if explicit and explicit.strip().lower() in available:
            return available[explicit.strip().lower()]
    preferred = [_NEAREST.get(tag.lower(), tag) for tag in accepted_languages(accept_language)]
    found = negotiate_locale(preferred, list(available), sep="-")
    return available.get(found.lower(), default) if found else default


def accepted_languages(header: str | None) -> list[str]:
    """``nb-NO,nb;q=0.9,en;q=0.8`` -> ``["nb-NO", "nb", "en"]``: by q-value, highest first
    (stable: the header's order among equals), ``q=0`` (not acceptable) and ``*`` left out."""
    weighted = []
    for position, item in enumerate((header or "").split(",")):
        tag, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]
