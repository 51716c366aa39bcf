"""Request bodies checked before any route sees them: JSON, UTF-8, not too deep, else 4xx.

Litestar decodes a JSON body only when a handler asks for it, and a body nested ~1,000 levels
deep (``RecursionError``) or that is not UTF-8 (``UnicodeDecodeError``) escapes its decoding as a
500; a body of another media type is decoded as JSON anyway. Every route that takes a body
(``data`` for a JSON body, ``body`` for raw bytes such as Stripe's) gets the same checks here,
once, before guards, authentication and the handler: 415 for another declared media type, 400
``malformed_body`` for anything that is not a sane JSON document. Raw-body routes get the media
type check only: the Stripe webhook checks its signature before it parses anything.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

# Our bodies nest three or four levels; anything much deeper is an attack, not a request.
MAX_DEPTH = 32
JSON_MEDIA_TYPE = "application/json"


class MalformedBody(ClientException):
    """Raised when a body is not valid UTF-8 JSON, or nests deeper than any request of ours."""

    status_code = 400


class UnsupportedMediaType(HTTPException):
    """Raised when a body is declared as something other than ``application/json``."""

    status_code = 415


class JsonBodies(ASGIMiddleware):
    """Checks the body of every route that takes one, before anything else reads it."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        takes = _takes_body(scope)
        if takes is not None:
            request: Request[Any, Any, Any] = Request(scope, receive)
            # Read once here; Litestar keeps it in the scope for the handler (and the size
            # limit of the route applies to this read: 413 past it).
            body = await request.body()
            if body:
                _check_media_type(request.headers.get("content-type"))
                if takes == "data":
                    check_json(body)
        await next_app(scope, receive, send)


def _takes_body(scope: Scope) -> str | None:
    """``data`` (a JSON body), ``body`` (raw bytes) or None, from the handler's signature."""
    handler = scope.get("route_handler")
    parameters = getattr(getattr(handler, "parsed_fn_signature", None), "parameters", {})
    if "data" in parameters:
        return "data"
    return "body" if "body" in parameters else None


def _check_media_type(content_type: str | None) -> None:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        declared = f"not {media_type}" if media_type else "declared with a Content-Type header"
        raise UnsupportedMediaType(detail=f"request bodies are {JSON_MEDIA_TYPE}, {declared}")


def check_json(body: bytes) -> None:
    """Raises MalformedBody unless ``body`` is one UTF-8 JSON document at most MAX_DEPTH deep."""
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        # msgspec's messages name the problem and a byte offset, never the body's content.
        raise MalformedBody(detail=f"the request body is not valid JSON: {error}") from None
    except (RecursionError, UnicodeDecodeError, ValueError):
        # msgspec raises RecursionError for very deep nesting and UnicodeDecodeError for bytes
        # that are not UTF-8: both are the client's, not ours.
        raise MalformedBody(detail="the request body is not valid UTF-8 JSON") from None
    if _depth(document) > MAX_DEPTH:
        raise MalformedBody(detail=f"the request body nests deeper than {MAX_DEPTH} levels")


def _depth(document: object) -> int:
    """The nesting depth of a decoded document, without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in value)
    return deepest
