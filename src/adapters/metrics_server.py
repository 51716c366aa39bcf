"""/metrics on a port of its own (``METRICS_PORT``, ``WORKER_METRICS_PORT``): Prometheus
scrapes it on a private network while the public port serves only the API."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)


def serve_metrics(host: str, port: int, scrape: Callable[[], bytes]) -> ThreadingHTTPServer:
    """Answers ``GET /metrics`` with ``scrape()`` from a daemon thread; stop with shutdown()."""

    class MetricsHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self._answer(404, b"only /metrics here\n", "text/plain; charset=utf-8")
                return
            try:
                body = scrape()
            except Exception as error:  # a failed scrape must not end the thread
                log.error("metrics scrape failed", extra={"error": type(error).__name__})
                self._answer(500, b"scrape failed\n", "text/plain; charset=utf-8")
                return
            self._answer(200, body, CONTENT_TYPE_LATEST)

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a line per scrape would drown the service's own log

    server = ThreadingHTTPServer((host, port), MetricsHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
