"""Every connection an HTTP process serves has Nagle's algorithm off, even on the listening
socket that ``--workers N`` hands it (``proto`` 0, where asyncio's own loop leaves Nagle on):
uvloop, the loop `tickets serve` runs, turns it off on every connection it accepts."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from entrypoints.http import transport

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


def _nodelay_of_served_connection(loop_setting: str) -> int:
    """TCP_NODELAY of a connection served by uvicorn's protocol and event loop as configured."""
    config = Config(_app, log_config=None, http=transport.protocol(10, 30), loop=loop_setting)
    config.load()
    protocol: Any = config.http_protocol_class
    assert issubclass(protocol.func, HttpToolsProtocol)  # what `serve` gives uvicorn

    async def serve() -> int:
        state = ServerState()
        sock = _listening_as_a_worker_gets_it()
        server = await asyncio.get_running_loop().create_server(
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

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        return runner.run(serve())


def test_a_workers_connections_have_nagle_off_on_the_served_loop() -> None:
    assert _nodelay_of_served_connection(transport.LOOP) == 1


def test_on_asyncios_own_loop_they_would_not() -> None:
    # Why the loop matters: should it ever go back to asyncio's, Nagle must be turned off by hand.
    assert _nodelay_of_served_connection("asyncio") == 0
