"""Every connection an HTTP process serves has Nagle's algorithm off, even on the listening
socket that ``--workers N`` hands it (``proto`` 0, where asyncio leaves Nagle on)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from entrypoints.http.transport import NoDelayH11Protocol

pytestmark = pytest.mark.unit


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _listening_as_a_worker_gets_it() -> socket.socket:
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    # What multiprocessing hands a uvicorn worker: the same descriptor, ``proto`` not TCP.
    handed = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, fileno=listening.detach())
    assert handed.proto == 0
    return handed


def _nodelay_of_served_connection(protocol: type[H11Protocol]) -> int:
    async def serve() -> int:
        config = Config(_app, log_config=None)
        state = ServerState()
        loop = asyncio.get_running_loop()
        sock = _listening_as_a_worker_gets_it()
        server = await loop.create_server(
            lambda: protocol(config=config, server_state=state, app_state={}), sock=sock
        )
        reader, writer = await asyncio.open_connection(*sock.getsockname())
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"ok")
        (served,) = state.connections
        nodelay: int = served.transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY
        )
        writer.close()
        server.close()
        return nodelay

    return asyncio.run(serve())


def test_a_workers_connections_have_nagle_off() -> None:
    assert _nodelay_of_served_connection(NoDelayH11Protocol) == 1


def test_without_it_they_would_not() -> None:
    # The reason the protocol exists: should uvicorn or asyncio fix this, it can go.
    assert _nodelay_of_served_connection(H11Protocol) == 0
