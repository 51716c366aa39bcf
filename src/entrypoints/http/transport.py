"""uvicorn's HTTP protocol, with Nagle's algorithm off on every connection it serves.

asyncio turns it off only on sockets whose ``proto`` is TCP; the listening socket that
``--workers N`` hands each HTTP process arrives with ``proto`` 0, so its connections kept it
on. A response is written in two sends (head, then body): the body waited for the client's
delayed ACK, 40 ms, on every request of a kept-alive connection after the first.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
