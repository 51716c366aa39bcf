"""The languages' formats come from CLDR, their words from the catalogues in the repository."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from adapters.languages import Language, available_locales, jinja_environments, translations
from entrypoints.settings import Settings, SettingsError
from tests.support.fakes import SETTINGS_ENV

pytestmark = pytest.mark.unit


def test_norwegian_and_english_are_there_and_english_needs_no_catalogue() -> None:
    assert {"nb", "en"} <= available_locales()
    assert translations("en").gettext("Your ticket") == "Your ticket"


@pytest.mark.parametrize(
    ("code", "long", "full", "span", "clock"),
    [
        (
            "nb",
            "1. september 2026",
            "tirsdag 1. september 2026",
            "1. sep.\u201315. des. 2026",
            "19:00",
        ),
        (
            "en",
            "September 1, 2026",
            "Tuesday, September 1, 2026",
            "Sep 1\u2009\u2013\u2009Dec 15, 2026",
            "7:00\u202fPM",
        ),
    ],
)
def test_dates_and_times_in_the_locales_own_format(
    code: str, long: str, full: str, span: str, clock: str
) -> None:
    language = Language(code)

    assert language.long_date(date(2026, 9, 1)) == long
    assert language.weekday_date(date(2026, 9, 1)) == full
    assert language.date_range(date(2026, 9, 1), date(2026, 12, 15)) == span
    assert language.time(time(19, 0)) == clock


def test_money_in_the_locales_own_format() -> None:
    # CLDR's own: a non-breaking space groups Norwegian thousands, the krone sign follows.
    assert Language("nb").money(120_000, "NOK") == "1\xa0200,00\xa0kr"
    assert Language("en").money(120_000, "NOK") == "NOK\xa01,200.00"


def test_a_template_renders_in_each_language(tmp_path: Path) -> None:
    (tmp_path / "t.html.j2").write_text(
        '<p lang="{{ lang }}">{{ day|long_date }} {{ "<b>"|safe }}{{ name }}</p>'
    )
    environments = jinja_environments(tmp_path, frozenset({"nb", "en"}))

    nb = environments["nb"].get_template("t.html.j2").render(day=date(2026, 9, 1), name="<Å>")
    en = environments["en"].get_template("t.html.j2").render(day=date(2026, 9, 1), name="<Å>")

    assert nb == '<p lang="nb">1. september 2026 <b>&lt;Å&gt;</p>'
    assert en == '<p lang="en">September 1, 2026 <b>&lt;Å&gt;</p>'


def test_default_locale_is_norwegian_and_an_unsupported_one_a_configuration_problem() -> None:
    assert Settings.from_env(SETTINGS_ENV).languages.default_locale == "nb"
    assert (
        Settings.from_env(SETTINGS_ENV | {"DEFAULT_LOCALE": "en"}).languages.default_locale == "en"
    )
    with pytest.raises(SettingsError, match="DEFAULT_LOCALE must be one of en, nb, not 'de'"):
        Settings.from_env(SETTINGS_ENV | {"DEFAULT_LOCALE": "de"})
