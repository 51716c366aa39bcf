"""The Person aggregate: a participant's profile, with or without a user account."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.shared import Cause, DomainError, stable_id, unprintable


class InvalidProfile(DomainError):
    """Raised when a profile has no name or an email address that cannot be one."""


class Person(Aggregate):
    TOPIC = "tickets:Person"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Person.Created"

    class Registered(Created):
        TOPIC = "tickets:Person.Registered"
        user_id: str | None
        name: str
        email: str
        phone: str | None

    class ProfileUpdated(Event):
        TOPIC = "tickets:Person.ProfileUpdated"
        name: str
        email: str
        phone: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name
            aggregate.email = self.email
            aggregate.phone = self.phone

    class LocaleChosen(Event):
        """The language the person is addressed in (emails, PDF, web ticket)."""

        TOPIC = "tickets:Person.LocaleChosen"
        locale: str

        def apply(self, aggregate: Any) -> None:
            aggregate.locale = self.locale

    def __init__(
        self, cause: Cause, user_id: str | None, name: str, email: str, phone: str | None
    ) -> None:
        self.user_id = user_id
        self.name = name
        self.email = email
        self.phone = phone
        # None: no language recorded (profiles from before languages were): the default one.
        # Which locales exist is the application's business (its catalogues), not the domain's.
        self.locale: str | None = None

    @staticmethod
    def id_for_user(user_id: str) -> UUID:
        """A user's person id is derived from the user id: stable, and found without a lookup."""
        return stable_id("user", user_id)

    @classmethod
    def register(
        cls,
        *,
        user_id: str | None,
        name: str,
        email: str,
        phone: str | None,
        cause: Cause,
    ) -> Person:
        name, email, phone = _clean(name, email, phone)
        person_id = cls.id_for_user(user_id) if user_id is not None else uuid4()
        return cls._create(
            cls.Registered,
            id=person_id,
            cause=cause,
            user_id=user_id,
            name=name,
            email=email,
            phone=phone,
        )

    def update_profile(self, *, name: str, email: str, phone: str | None, cause: Cause) -> None:
        name, email, phone = _clean(name, email, phone)
        if (name, email, phone) == (self.name, self.email, self.phone):
            return
        self.trigger_event(self.ProfileUpdated, name=name, email=email, phone=phone, cause=cause)

    def choose_locale(self, locale: str, *, cause: Cause) -> None:
        """Records the person's language; choosing the one recorded records nothing."""
        if not locale or unprintable(locale) is not None:
            raise InvalidProfile("locale must be a language code")
        if locale != self.locale:
            self.trigger_event(self.LocaleChosen, locale=locale, cause=cause)


def _clean(name: str, email: str, phone: str | None) -> tuple[str, str, str | None]:
    name, email = name.strip(), email.strip()
    phone = phone.strip() or None if phone is not None else None
    if not name:
        raise InvalidProfile("name must not be empty")
    for field, value in (("name", name), ("email", email), ("phone", phone or "")):
        if (char := unprintable(value)) is not None:
            raise InvalidProfile(f"{field} must not contain control characters ({char})")
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in email):
        raise InvalidProfile(f"{email!r} is not an email address")
    return name, email, phone
