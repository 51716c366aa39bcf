"""Who is calling: the credentials of a request (a bearer token, a door device's credential)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection

from application.identity import IdentityVerifier, Principal, Unauthenticated
from entrypoints.http.request_context import context_of


def bearer_token(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an Authorization: Bearer <token> header is required")
    return token.strip()


# In the connection's state: the bearer token's principal, once a guard has verified it.
_VERIFIED = "verified_principal"


def note_verified(connection: ASGIConnection[Any, Any, Any, Any], principal: Principal) -> None:
    """The request's bearer token verified (by the rate limit's guard): not verified again."""
    connection.state[_VERIFIED] = principal


def verified_already(request: Request[Any, Any, Any]) -> Principal | None:
    """The request's principal if its token was verified already, noted for its access line."""
    principal = request.state.get(_VERIFIED)
    if isinstance(principal, Principal):
        context_of(request).user_id = principal.user_id
        return principal
    return None


def verified_user(request: Request[Any, Any, Any], identity: IdentityVerifier) -> Principal:
    """The caller of the bearer token; noted on the request for its access line."""
    known = verified_already(request)
    if known is not None:
        return known
    principal = identity.verify(bearer_token(request))
    context_of(request).user_id = principal.user_id
    return principal


def device_credential(request: Request[Any, Any, Any]) -> str | None:
    """The credential of an ``Authorization: Device <credential>`` header, if that is the scheme."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "device":
        return None
    if not value.strip():
        raise Unauthenticated("an Authorization: Device <credential> header is required")
    return value.strip()
