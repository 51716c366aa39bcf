"""Who is calling: bearer-token authentication and roles, as dependencies of the routes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from application.errors import Forbidden
from application.ports import IdentityVerifier, Principal, Unauthenticated
from domain.shared import Cause
from entrypoints.http.request_context import context_of, request_id


def bearer_token(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    return token.strip()


def verified_user(request: Request[Any, Any, Any], identity: IdentityVerifier) -> Principal:
    """The caller of the bearer token; noted on the request for its access line."""
    principal = identity.verify(bearer_token(request))
    context_of(request).user_id = principal.user_id
    return principal


def provide_user(request: Request[Any, Any, Any], state: State) -> Principal:
    return verified_user(request, state.services.identity)


def provide_admin(user: NamedDependency[Principal]) -> Principal:
    if not user.is_admin:
        raise Forbidden("this needs the admin role", "forbidden")
    return user


def provide_cause(request: Request[Any, Any, Any], user: NamedDependency[Principal]) -> Cause:
    """The caller and the request (entrypoints.http.request_context): recorded in events."""
    rid = request_id(request)
    return Cause(actor=user.user_id, reference=rid, request_id=rid)
