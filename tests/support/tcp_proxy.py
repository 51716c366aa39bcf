"""A TCP proxy a test switches between passing, refusing and dropping: a database outage on call.

- ``pass``: bytes flow both ways.
- ``refuse``: nothing listens on the port any more (connect: ECONNREFUSED) and every open
  connection is cut (a database that went down, or restarted).
- ``drop``: connections are accepted and their bytes acknowledged by the kernel, but nothing is
  forwarded either way (a hung server, a partition behind a proxy: the case no TCP timeout
  sees). Held bytes flow again when the proxy passes again, as after a healed partition.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._passing = threading.Event()
        self._passing.set()
        self._mode = "pass"
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._closed = False

    @property
    def mode(self) -> str:
        return self._mode

    def start(self) -> TcpProxy:
        self._listen()
        return self

    def set(self, mode: str) -> None:
        assert mode in ("pass", "refuse", "drop"), mode
        with self._lock:
            previous, self._mode = self._mode, mode
        if mode == "pass":
            if previous == "refuse":
                self._listen()
            self._passing.set()
            return
        self._passing.clear()
        if mode == "refuse":
            self._stop_listening()
            self._cut_all()

    def close(self) -> None:
        self._closed = True
        self._stop_listening()
        self._cut_all()
        self._passing.set()  # releases the pumps, which find their sockets closed

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _stop_listening(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _cut_all(self) -> None:
        with self._lock:
            sockets, self._sockets = set(self._sockets), set()
        for sock in sockets:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped listening
            with self._lock:
                self._sockets.add(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._passing.wait()  # dropping: the client's start-up bytes wait, unanswered
        if self._closed or self._mode == "refuse":
            client.close()
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
            server.settimeout(None)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.add(server)
        for source, target in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._passing.wait()  # dropping: hold it; nothing more is read meanwhile
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def running_proxy(upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> Iterator[TcpProxy]:
    proxy = TcpProxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.close()
