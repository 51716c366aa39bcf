"""Who is calling: bearer-token authentication and roles, as dependencies of the routes."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from application.errors import Forbidden
from application.ports import IdentityVerifier, Principal, Unauthenticated
from domain.shared import Cause

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def bearer_token(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    return token.strip()


def provide_user(request: Request[Any, Any, Any], state: State) -> Principal:
    identity: IdentityVerifier = state.services.identity
    return identity.verify(bearer_token(request))


def provide_admin(user: NamedDependency[Principal]) -> Principal:
    if not user.is_admin:
        raise Forbidden("this needs the admin role", "forbidden")
    return user


def request_id(request: Request[Any, Any, Any]) -> str:
    """The caller's X-Request-ID when it is a sane one, else a new one: it goes into events."""
    given = request.headers.get("x-request-id", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def provide_cause(request: Request[Any, Any, Any], user: NamedDependency[Principal]) -> Cause:
    return Cause(actor=user.user_id, reference=request_id(request))
