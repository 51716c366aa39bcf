"""Logging: one JSON object per line (console lines with ``--dev``), with the structured fields
each step adds and those bound to the context (the request id of the request or event at hand)."""

from __future__ import annotations

import logging
import sys
from typing import IO

import structlog

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def _extra_fields(
    _: object, __: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    record = event_dict.get("_record")
    if record is not None:
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                event_dict.setdefault(key, value)
    return event_dict


def configure(level: str = "INFO", *, json: bool = True, stream: IO[str] | None = None) -> None:
    """JSON lines for machines; ``json=False`` (``--dev``) for people reading a terminal.

    Lines go to ``stream`` (standard error by default).
    """
    stream = stream or sys.stderr
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())  # no escapes in a file
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            # What entrypoints.http.request_context and the worker bound: the request id...
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _extra_fields,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every URL it calls at INFO: an alert webhook's URL may hold a token.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Ours is `tickets.access` (route template, no query string); uvicorn's logs the raw path,
    # a signed link's key included. Off here, not only through uvicorn's access_log=False,
    # which an HTTP process of `serve --workers N` applies before this runs.
    logging.getLogger("uvicorn.access").disabled = True
