"""How `tickets serve` speaks HTTP: uvicorn with httptools' parser on uvloop's event loop, and
how long it waits for a request to arrive.

Chosen by measurement (`make bench`, bench/RESULTS.md) against uvicorn's pure-Python h11 on
asyncio's loop, which answered every route more slowly; granian measured about the same.

uvloop also turns Nagle's algorithm off on every connection it accepts, including those of the
listening socket that ``--workers N`` hands each HTTP process (``proto`` 0, where asyncio's own
loop leaves it on). With Nagle on, a response's body, sent after its head, waited for the
client's delayed ACK on every request of a kept-alive connection after the first.

uvicorn bounds only the idle time between two requests (``timeout_keep_alive``), and any byte
received resets it: a client that sent its headers a byte at a time, or a Content-Length it
never completed, held a connection (and, for the body, a task) for ever. Two deadlines here:
the request's head must arrive within ``header_timeout`` of the connection or of its first
byte (``DeadlineProtocol``, as no ASGI code runs before the head is parsed), and its body
within ``body_timeout`` of the head: the app answers 408 when it waits for the body past it
(``BodyDeadline``), and the connection is closed if the body still trickles in after that.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from typing import Any, Final

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from entrypoints.http.problems import PROBLEM_JSON, TIMEOUT_CODE, TITLE_OF, HttpProblem

log = logging.getLogger(__name__)

LOOP: Final = "uvloop"
BODY_GRACE_SECONDS = 1.0  # the app answers 408 first; the connection goes after it


def protocol(header_timeout: float, body_timeout: float) -> Any:
    """What uvicorn's ``http=`` takes: it calls it for each connection (and pickles it for
    the HTTP processes of ``--workers N``, so a partial of a class, not a closure)."""
    return functools.partial(
        DeadlineProtocol, header_timeout=header_timeout, body_timeout=body_timeout
    )


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's head and body."""

    def __init__(
        self,
        *args: Any,
        header_timeout: float,
        body_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._body_timeout = body_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = False  # some of a request's head came, not all of it

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._header_timeout)  # a connection that never sends a byte goes too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._arm(self._header_timeout)  # from its first byte: an idle connection is not slow

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self._body_timeout + BODY_GRACE_SECONDS)  # disarmed when the body is in
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._in_head and (self.cycle is None or self.cycle.response_complete):
            log.info("request head not received in time", extra={"seconds": self._header_timeout})
            self.transport.write(_timeout_response(f"within {self._header_timeout:g} s"))
        self.transport.close()  # the app, if it still waits for a body, sees a disconnect


def _timeout_response(within: str) -> bytes:
    """A 408 of our problem shape, written where no app runs (before the head is parsed)."""
    body = msgspec.json.encode(
        {
            "type": "about:blank",
            "status": 408,
            "title": TITLE_OF[408],
            "detail": f"the request did not arrive {within}",
            "code": TIMEOUT_CODE,
        }
    )
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        f"content-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {uuid.uuid4().hex}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class BodyTimeout(HttpProblem):
    """Raised to the app when a request's body has not all arrived within the deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, TIMEOUT_CODE, f"the request body did not arrive within {seconds:g} s")
        self.headers = {"Connection": "close"}  # the rest of that body is not to be awaited


class BodyDeadline:
    """ASGI middleware: the body's reads end at ``seconds`` after the request began.

    Past it the app's read raises ``BodyTimeout``, which the app answers with a 408 problem
    (with its request id and access line); the reads after the whole body (a streamed
    response listening for a disconnect) have no deadline.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        complete = False

        async def receive_in_time() -> ReceiveMessage:
            nonlocal complete
            if complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(self.seconds) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, receive_in_time, send)
