"""Person: registering a profile, updating it, and the person id of a user account."""

from __future__ import annotations

import pytest

from domain.person import InvalidProfile, Person
from domain.shared import Cause

pytestmark = pytest.mark.unit

CAUSE = Cause(actor="user-1", reference="req-7")


def registered(user_id: str | None = "user-1") -> Person:
    person = Person.register(
        user_id=user_id,
        name="Åse Øvergård",
        email="ase@example.no",
        phone="+47 900 00 000",
        cause=CAUSE,
    )
    person.collect_events()
    return person


def test_registering_a_user_records_their_profile_under_the_users_person_id() -> None:
    person = Person.register(
        user_id="user-1", name="  Åse Øvergård ", email=" ase@example.no", phone="  ", cause=CAUSE
    )

    [event] = person.collect_events()
    assert isinstance(event, Person.Registered)
    assert event.originator_id == Person.id_for_user("user-1") == person.id
    assert (event.user_id, event.name, event.email) == ("user-1", "Åse Øvergård", "ase@example.no")
    assert event.phone is None  # blank means none
    assert event.cause == CAUSE


def test_a_person_without_an_account_gets_a_fresh_id_each_time() -> None:
    first, second = registered(user_id=None), registered(user_id=None)

    assert first.user_id is None
    assert first.id != second.id


def test_a_users_person_id_is_stable_and_apart_from_other_users() -> None:
    assert Person.id_for_user("user-1") == Person.id_for_user("user-1")
    assert Person.id_for_user("user-1") != Person.id_for_user("user-2")
    assert Person.id_for_user("user-1").version == 5  # derived (uuid5), never random


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("   ", "ase@example.no", "name must not be empty"),
        ("Åse", "ase.example.no", "not an email address"),
        ("Åse", "@example.no", "not an email address"),
        ("Åse", "ase@localhost", "not an email address"),
        ("Åse", "ase @example.no", "not an email address"),
        ("Åse", "", "not an email address"),
        ("Åse\x00Ø", "ase@example.no", r"name must not contain control characters \(U\+0000\)"),
        ("Åse\nØ", "ase@example.no", "name must not contain control characters"),
        ("Åse", "ase@example.no\x00", "email must not contain control characters"),
    ],
)
def test_an_invalid_profile_is_refused(name: str, email: str, message: str) -> None:
    with pytest.raises(InvalidProfile, match=message):
        Person.register(user_id="user-1", name=name, email=email, phone=None, cause=CAUSE)


def test_updating_a_profile_records_the_new_values() -> None:
    person = registered()

    person.update_profile(name="Åse Ø.", email="ase@example.com", phone=None, cause=CAUSE)

    [event] = person.collect_events()
    assert isinstance(event, Person.ProfileUpdated)
    assert (event.name, event.email, event.phone) == ("Åse Ø.", "ase@example.com", None)
    assert (person.name, person.email, person.phone) == ("Åse Ø.", "ase@example.com", None)
    assert person.version == 2


def test_an_update_that_changes_nothing_records_nothing() -> None:
    person = registered()

    person.update_profile(
        name=" Åse Øvergård", email="ase@example.no ", phone="+47 900 00 000", cause=CAUSE
    )

    assert person.collect_events() == []
    assert person.version == 1


def test_an_invalid_update_is_refused_and_records_nothing() -> None:
    person = registered()

    with pytest.raises(InvalidProfile):
        person.update_profile(name="Åse", email="not-an-address", phone=None, cause=CAUSE)

    assert person.collect_events() == []
    assert person.email == "ase@example.no"
