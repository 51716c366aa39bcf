"""Rate limits of the ticket routes: a route marked ``opt=rate_limited("route-name")``.

Each route name has its own counter: ``RATE_LIMIT_PER_MINUTE`` (default 60) requests per caller
and fixed minute window. The caller is the user of a valid bearer token, else the client address
(anonymous and key-based routes, and bad tokens, which then answer 401 within the limit). The
limit is the whole service's: the counters live in Redis when ``REDIS_URL`` is set, so every
instance shares them; else, in a ``tickets serve`` of several processes, in a SQLite file they
share (``entrypoints.run_dir``); else in this one process's memory (``Services.rate_limits``,
built by bootstrap). Every response of a limited route, whatever its status, carries
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (seconds until the window
ends; IETF draft names), added on the way out by ``rate_limit_headers`` (an app ``before_send``
hook, so error responses get them too). Over the limit: 429 problem details (code
``rate_limited``) with ``Retry-After`` in seconds as well.

Apply it to a new route (e.g. resend) by naming the route::

    @post("/{ticket_id:uuid}/resend", opt=rate_limited("ticket-resend"))

The app's guard (``rate_limit_guard``, given the limiter and the identity verifier when the app
is made) counts the marked routes. Guards run before dependencies, so an over-limit caller
costs no authentication nor store read.
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard, Message, Scope

from adapters.rate_limiter import Decision, RateLimiter
from application.identity import IdentityVerifier, Principal, Unauthenticated
from entrypoints.http.auth import note_verified

DECISION_KEY = "rate_limit_decision"  # in the connection's state: the guard's count


ROUTE_OPT = "rate_limit"  # a route handler's opt: the name of the counter it counts against


def rate_limited(route: str) -> dict[str, Any]:
    """The route handler ``opt`` that puts the route under its own rate limit."""
    return {ROUTE_OPT: route}


def rate_limit_guard(limiter: RateLimiter, identity: IdentityVerifier) -> Guard:
    """The app's guard: counts each request to a route marked ``rate_limited`` against its
    caller's limit; other routes pass untouched."""

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        route = handler.opt.get(ROUTE_OPT)
        if route is None:
            return
        authorization = connection.headers.get("authorization")
        address = connection.client.host if connection.client else "unknown"
        count = (limiter, identity, route, authorization, address)
        if limiter.blocks or identity.blocks:
            # Redis calls, the shared file's writes and key fetches block: off the event loop,
            # like the routes themselves.
            decision, principal = await to_thread.run_sync(_count, *count)
        else:
            # Memory and a shared secret: microseconds, less than the hop to a thread (a
            # visible share of the JSON ticket's and the PDF download's time in profiles).
            decision, principal = _count(*count)
        connection.state[DECISION_KEY] = decision  # for rate_limit_headers, on the way out
        if principal is not None:
            note_verified(connection, principal)  # the route's user dependency takes it as is
        if not decision.allowed:
            raise TooManyRequestsException(
                detail=f"too many requests: at most {decision.limit} a minute; "
                f"try again in {decision.retry_after} s",
                headers={"Retry-After": str(decision.retry_after)},
            )

    return guard


async def rate_limit_headers(message: Message, scope: Scope) -> None:
    """Adds the counted request's ``RateLimit-*`` headers to its response, whatever its status."""
    if message["type"] != "http.response.start":
        return
    decision = scope.get("state", {}).get(DECISION_KEY)
    if not isinstance(decision, Decision):
        return  # not a limited route, or refused before the guard counted it
    headers = MutableScopeHeaders.from_message(message)
    headers["RateLimit-Limit"] = str(decision.limit)
    headers["RateLimit-Remaining"] = str(decision.remaining)
    headers["RateLimit-Reset"] = str(decision.retry_after)


def _count(
    limiter: RateLimiter,
    identity: IdentityVerifier,
    route: str,
    authorization: str | None,
    address: str,
) -> tuple[Decision, Principal | None]:
    principal = verified_caller(identity, authorization)
    return limiter.hit(route, _subject(principal, address)), principal


def caller(identity: IdentityVerifier, authorization: str | None, address: str) -> str:
    """Whom a request counts against: a verified user, else the client address.

    Only a verified token names a user: an unverified ``sub`` would let anyone spread their
    requests over invented users.
    """
    return _subject(verified_caller(identity, authorization), address)


def _subject(principal: Principal | None, address: str) -> str:
    return f"user:{principal.user_id}" if principal is not None else f"address:{address}"


def verified_caller(identity: IdentityVerifier, authorization: str | None) -> Principal | None:
    """The user of a valid bearer token; None for another scheme, no token or a bad one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            return identity.verify(token.strip())
        except Unauthenticated:
            pass
    return None
