"""The language of anyone whose own is not known: DEFAULT_LOCALE."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from adapters.languages import available_locales

# A profile created without a locale, the door and admin pages without Accept-Language, the
# admins' alert emails: Norwegian, the school's own language.
DEFAULT_LOCALE = "nb"


class LanguageSettings(msgspec.Struct, frozen=True, kw_only=True):
    default_locale: str = DEFAULT_LOCALE
    supported: frozenset[str] = frozenset({"nb", "en"})

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LanguageSettings:
        supported = available_locales()
        default = (env.get("DEFAULT_LOCALE") or DEFAULT_LOCALE).strip()
        if default not in supported:
            raise ValueError(
                f"DEFAULT_LOCALE must be one of {', '.join(sorted(supported))}, not {default!r}"
            )
        return cls(default_locale=default, supported=supported)
