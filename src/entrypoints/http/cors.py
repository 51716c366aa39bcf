"""CORS for the frontend: the origins of ``CORS_ALLOW_ORIGINS`` may call the API from a browser.

Hand-written rather than Litestar's ``cors_config`` because that one wraps every path and
cannot leave one out: the Stripe webhook must never answer a browser's cross-origin request.
As app middleware it runs around each route's exception handling, so problem responses (401,
404, 429) carry the headers too and the frontend can read their ``code`` and ``Retry-After``.
Credentials (cookies) are off: the API authenticates with bearer tokens only.
"""

from __future__ import annotations

from typing import Final

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

ALLOWED_METHODS: Final = "GET, POST, PUT, OPTIONS"
ALLOWED_HEADERS: Final = "Authorization, Content-Type, X-Request-ID"
# What a page may read of an answer besides the CORS-safelisted headers: rate limits, the
# request id to quote in a support request, the PDF's file name and the next page's link.
EXPOSED_HEADERS: Final = (
    "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-ID, "
    "Content-Disposition, Link"
)
MAX_AGE_SECONDS: Final = "600"
# Never cross-origin: Stripe is no browser, and a page has no business posting there.
EXCLUDED_PATHS: Final = ("^/api/webhooks/",)


class CorsMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = EXCLUDED_PATHS

    def __init__(self, allowed_origins: frozenset[str]) -> None:
        self._allowed = allowed_origins

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = Headers.from_scope(scope)
        origin = headers.get("origin")
        if origin is None:
            await next_app(scope, receive, send)  # not a cross-origin browser request
            return
        allowed = origin in self._allowed
        preflight = scope.get("method") == "OPTIONS" and "access-control-request-method" in headers
        if preflight and allowed:
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 204,
                "headers": _encoded(
                    {
                        "Access-Control-Allow-Origin": origin,
                        "Access-Control-Allow-Methods": ALLOWED_METHODS,
                        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                        "Access-Control-Max-Age": MAX_AGE_SECONDS,
                        "Vary": "Origin",
                    }
                ),
            }
            body: HTTPResponseBodyEvent = {
                "type": "http.response.body",
                "body": b"",
                "more_body": False,
            }
            await send(start)
            await send(body)
            return
        # A refused origin gets the route's own answer without CORS headers: the browser
        # then withholds it from the page (and sends no actual request after a preflight).

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableScopeHeaders.from_message(message)
                out.add("Vary", "Origin")  # caches must not serve one origin's answer to another
                if allowed:
                    out["Access-Control-Allow-Origin"] = origin
                    out["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await next_app(scope, receive, send_with_cors)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()]
