"""A person's language: recorded as an event, the default for a profile without one."""

from __future__ import annotations

import pytest

from application.errors import Unprocessable
from domain.person import Person
from domain.shared import Cause
from tests.support.fakes import put_profile, wire

pytestmark = pytest.mark.unit

CAUSE = Cause(actor="user-1")


def test_choosing_a_language_is_recorded_once() -> None:
    person = Person.register(
        user_id="u", name="Åse", email="ase@example.no", phone=None, cause=CAUSE
    )
    person.collect_events()

    person.choose_locale("en", cause=CAUSE)
    person.choose_locale("en", cause=CAUSE)

    [event] = person.collect_events()
    assert isinstance(event, Person.LocaleChosen) and event.locale == "en"
    assert person.locale == "en"


def test_a_profile_recorded_before_languages_has_none_and_reads_as_the_default() -> None:
    wired = wire()
    people, store = wired.services.people, wired.services.store
    old = Person.register(
        user_id="old", name="Åse", email="ase@example.no", phone=None, cause=CAUSE
    )
    store.save(old)  # only Registered: as recorded before people had a language

    replayed = store.get(Person, old.id)

    assert replayed.locale is None
    assert people.locale_of(replayed) == "nb"


def test_a_new_profile_without_a_language_gets_the_default_recorded() -> None:
    wired = wire()

    person = put_profile(wired, "u")

    assert person.locale == "nb"
    assert wired.services.people.locale_of(person) == "nb"


def test_a_profile_keeps_its_language_when_an_update_names_none() -> None:
    wired = wire()
    put_profile(wired, "u", locale="en")

    person = put_profile(wired, "u", name="Åse Ø")

    assert person.locale == "en" and person.name == "Åse Ø"


@pytest.mark.parametrize("locale", ["sv", "NB", "en-US", "xx"])
def test_a_language_not_offered_is_refused_and_records_nothing(locale: str) -> None:
    wired = wire()

    with pytest.raises(Unprocessable) as refused:
        put_profile(wired, "u", locale=locale)
    with pytest.raises(Unprocessable):
        wired.services.people.add_partner(
            name="Per", email="per@example.no", user_id=None, cause=CAUSE, locale=locale
        )

    assert refused.value.code == "unsupported_locale"
    assert wired.services.store.find(Person, Person.id_for_user("u")) is None
