"""Bodies of the people routes: a profile, a partner an admin adds."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from domain.person import InvalidProfile, Person
from entrypoints.http import fields
from entrypoints.http.schemas import (
    Camel,
    Email,
    Out,
    Phone,
    Text,
)

# A language code (`nb`, `en`); which ones are offered is checked by the use case: 422
# `unsupported_locale` for any other.
Locale = Annotated[str, msgspec.Meta(min_length=1, max_length=35, examples=["nb", "en"])]


class ProfileIn(Camel):
    name: Text
    email: Email
    phone: Phone | None = None
    locale: Locale | None = None

    def __post_init__(self) -> None:
        with fields.refused_as(InvalidProfile):
            fields.one_line("name", self.name)
            self.email = fields.email_address("email", self.email)
            fields.one_line("phone", self.phone)


class PersonIn(Camel):
    name: Text
    email: Email
    user_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    locale: Locale | None = None

    def __post_init__(self) -> None:
        with fields.refused_as(InvalidProfile):
            fields.one_line("name", self.name)
            self.email = fields.email_address("email", self.email)
            fields.one_line("userId", self.user_id)


class ProfileOut(Out):
    person_id: UUID
    user_id: str | None
    name: str
    email: str
    phone: str | None
    locale: str  # the person's own, or DEFAULT_LOCALE when none was recorded

    @classmethod
    def of(cls, person: Person, locale: str) -> ProfileOut:
        return cls(person.id, person.user_id, person.name, person.email, person.phone, locale)
