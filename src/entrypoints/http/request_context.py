"""One id per request: the caller's ``X-Request-ID`` or a new one, on every response and log line.

The middleware wraps the whole application, outside routing and the exception handlers, so an
unrouted 404, a 401 from a guard, a 429 or a 500 carries the id and leaves its access line too.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("tickets.access")

HEADER = "x-request-id"
# What a proxy or a client may reasonably send (uuids, Heroku/Envoy style ids); anything else,
# even one odd character, is replaced rather than cleaned, so a log line never holds input.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:+=/-]{1,128}$")
_STATE_KEY = "request_context"
_PATH_IDS = {"orderId": "order_id", "ticketId": "ticket_id"}  # path parameters worth a tag


@dataclass
class RequestContext:
    """What is known of the request at hand; the handler adds ids as it learns them.

    Shared by reference: a sync handler runs in a worker thread with a copy of the context
    variables, and what it notes here is still seen by the access line and by Sentry after.
    """

    request_id: str
    method: str
    scope: MutableMapping[str, Any] = field(repr=False)
    user_id: str | None = None
    ids: dict[str, str] = field(default_factory=dict)  # order_id, ticket_id, stripe_event_id

    @property
    def route(self) -> str | None:
        """The route template (``/api/orders/{order_id:uuid}``): no ids, no query string."""
        template = self.scope.get("path_template")
        return template or None

    @property
    def path_ids(self) -> dict[str, str]:
        """The order or ticket the route's path names (``{orderId}``, ``{ticketId}``)."""
        params = self.scope.get("path_params") or {}
        return {
            name: str(params[param])
            for param, name in _PATH_IDS.items()
            if params.get(param) is not None
        }

    def note(self, **ids: str | None) -> None:
        """Remembers ids for the rest of the request: its later log lines, the access line,
        and any error sent to Sentry."""
        given = {key: value for key, value in ids.items() if value}
        self.ids.update(given)
        structlog.contextvars.bind_contextvars(**given)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "request_context", default=None
)


def current() -> RequestContext | None:
    """The request at hand, if this code runs for one (None in the worker or the CLI)."""
    return _current.get()


def context_of(request: Request[Any, Any, Any]) -> RequestContext:
    found = request.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(found, RequestContext):
        return found
    # A request that did not pass the middleware (a unit test's bare app): give it its own id.
    made = RequestContext(_request_id_from(request.headers.get(HEADER)), request.method, {})
    request.scope.setdefault("state", {})[_STATE_KEY] = made
    return made


def request_id(request: Request[Any, Any, Any]) -> str:
    return context_of(request).request_id


def _request_id_from(given: str | None) -> str:
    return given if given and SANE_REQUEST_ID.match(given) else uuid.uuid4().hex


def _header(scope: MutableMapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class RequestContextMiddleware:
    """ASGI middleware: binds the request id, echoes it, writes one access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = cast("MutableMapping[str, Any]", scope)
        if raw["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(raw, HEADER.encode())
        context = RequestContext(_request_id_from(given), raw["method"], raw)
        raw.setdefault("state", {})[_STATE_KEY] = context
        header = (HEADER.encode(), context.request_id.encode())
        status = 500  # what the client gets if nothing is sent at all

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != header[0]),
                    header,
                ]
            await send(message)

        started = time.perf_counter()
        token = _current.set(context)
        try:
            with structlog.contextvars.bound_contextvars(request_id=context.request_id):
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    _access_line(context, status, time.perf_counter() - started)
        finally:
            _current.reset(token)


def _access_line(context: RequestContext, status: int, seconds: float) -> None:
    # The route template, never the raw path or query: a signed link's key stays out of logs.
    log.info(
        "request",
        extra={
            "method": context.method,
            "route": context.route or "unmatched",
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": context.user_id,
            **context.path_ids,
            **context.ids,
        },
    )
