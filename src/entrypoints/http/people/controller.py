"""The caller's person profile."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.errors import (
    PERSON_EXISTS,
    PROFILE_NOT_FOUND,
    UNSUPPORTED_LOCALE,
)
from application.people.profiles import People
from entrypoints.http.deps import Admin, Caused, User
from entrypoints.http.openapi import (
    BEARER,
    INVALID_PROFILE,
    ROLE_PROBLEMS,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    WRITE_PROBLEMS,
    problems,
)
from entrypoints.http.people.schemas import PersonIn, ProfileIn, ProfileOut


class ProfileController(Controller):
    path = "/api/me/profile"
    tags = ["people"]

    @get(
        sync_to_thread=True,
        operation_id="getMyProfile",
        security=BEARER,
        summary="The caller's person profile",
        responses=problems(UNAUTHENTICATED, PROFILE_NOT_FOUND, *STORE_PROBLEMS),
    )
    def get_profile(self, people: NamedDependency[People], user: User) -> ProfileOut:
        person = people.profile_of(user.user_id)
        return ProfileOut.of(person, people.locale_of(person))

    @put(
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="putMyProfile",
        security=BEARER,
        summary="Create or update the caller's person profile",
        responses=problems(UNAUTHENTICATED, INVALID_PROFILE, UNSUPPORTED_LOCALE, *WRITE_PROBLEMS),
    )
    def put_profile(
        self, people: NamedDependency[People], user: User, cause: Caused, data: JSONBody[ProfileIn]
    ) -> ProfileOut:
        person = people.put_profile(
            user_id=user.user_id,
            name=data.name,
            email=data.email,
            phone=data.phone,
            locale=data.locale,
            cause=cause,
        )
        return ProfileOut.of(person, people.locale_of(person))


class PeopleAdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]

    @post(
        "/people",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createPerson",
        security=BEARER,
        summary="Add a person without an account, e.g. a partner (admin)",
        responses=problems(
            *ROLE_PROBLEMS, PERSON_EXISTS, INVALID_PROFILE, UNSUPPORTED_LOCALE, *WRITE_PROBLEMS
        ),
    )
    def add_person(
        self, people: NamedDependency[People], admin: Admin, cause: Caused, data: JSONBody[PersonIn]
    ) -> ProfileOut:
        person = people.add_partner(
            name=data.name, email=data.email, user_id=data.user_id, locale=data.locale, cause=cause
        )
        return ProfileOut.of(person, people.locale_of(person))
