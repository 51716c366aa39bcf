"""Error monitoring: Sentry when ``SENTRY_DSN`` is set, and what may never leave the service.

Unhandled errors of the API (Litestar integration), and every ERROR log line with its exception
(failed fulfilments, follower failures in the worker: the logging integration) are sent, tagged
with the request id, the route template and the order, ticket and Stripe event ids known then.
Nothing else about the request leaves: no body, no Authorization, no cookies, no query values;
and anything shaped like a QR token or a signed link's key is filtered out of every string.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any, cast

import sentry_sdk
import structlog
from sentry_sdk.types import Event, Hint

from entrypoints.settings import MonitoringSettings
from entrypoints.version import package_version

FILTERED = "[Filtered]"
_SENT = "_sent_to_monitoring"
# The only request headers worth sending; Authorization, Cookie, Stripe-Signature... never.
KEPT_HEADERS = frozenset(
    {"accept", "content-length", "content-type", "host", "user-agent", "x-request-id"}
)
# Ids worth searching errors by, wherever the code at hand bound them (request or worker).
TAGGED = (
    "request_id",
    "route",
    "order_id",
    "ticket_id",
    "stripe_event_id",
    "follower",
    "event_type",
    "aggregate_id",
    "notification_id",
    "reference",
)
# A JWT (QR tokens, bearer tokens), a signed link's or pairing code's value in a URL, or an
# Authorization value quoted in a message: filtered out of every string of an event.
_SECRETS = (
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), FILTERED),
    (
        re.compile(r"((?:^|[?&;\s])(?:key|token|pair|code|credential|secret)=)[^&\s\"']+", re.I),
        rf"\1{FILTERED}",
    ),
    (re.compile(r"\b(Bearer|Device|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I), rf"\1 {FILTERED}"),
)


def start(
    settings: MonitoringSettings,
    component: str,
    reported: Callable[[BaseException], bool] = lambda _: True,
) -> bool:
    """Turns Sentry on for this process (api or worker); False when no DSN is set.

    ``reported`` says which exceptions caught by the HTTP layer are worth an event: a 404 or a
    422 is the client's business, not an operator's.
    """
    if settings.dsn is None:
        return False
    # Only with a DSN: the integration imports Litestar whole, which a CLI command rarely needs.
    from sentry_sdk.integrations.litestar import LitestarIntegration

    sentry_sdk.init(
        dsn=settings.dsn,
        environment=settings.environment,
        release=package_version(),
        integrations=[LitestarIntegration()],  # logging, threading... are on by default
        # No personal data by default (send_default_pii, deprecated, is left unset: off).
        include_local_variables=False,  # a frame's locals may hold a token or a secret
        max_request_body_size="never",
        before_send=_before_send(reported),
        before_breadcrumb=_scrub_breadcrumb,
    )
    sentry_sdk.get_global_scope().set_tag("component", component)
    return True


def _before_send(
    reported: Callable[[BaseException], bool],
) -> Callable[[Event, Hint], Event | None]:
    def before_send(event: Event, hint: Hint) -> Event | None:
        return cast("Event | None", scrub(cast("dict[str, Any]", event), hint, reported))

    return before_send


def stop() -> None:
    """Sends what is queued (within two seconds) and turns Sentry off."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=2)
        # A closed client still claims its integrations: unset it, so that nothing (an app
        # made later in this process, a test) is hooked any more.
        sentry_sdk.get_global_scope().set_client(None)


def scrub(
    event: dict[str, Any],
    hint: dict[str, Any],
    reported: Callable[[BaseException], bool] = lambda _: True,
) -> dict[str, Any] | None:
    """``before_send``: drops expected errors, tags the ids, removes what must not leave."""
    exc_info = hint.get("exc_info")
    error = exc_info[1] if exc_info else None
    from_log = "log_record" in hint  # an ERROR line: always an operator's business
    if error is not None:
        if getattr(error, _SENT, False):
            return None  # sent already (logged in the handler's thread, then caught by the app)
        if not from_log and not reported(error):
            return None
        # An exception without attributes: Sentry's own dedupe is left to judge.
        with contextlib.suppress(AttributeError):
            setattr(error, _SENT, True)
    event["tags"] = {**_context_tags(event), **(event.get("tags") or {})}
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = _scrub_request(request)
    for frames in _frame_lists(event):
        for frame in frames:
            if isinstance(frame, dict):
                frame.pop("vars", None)
    scrubbed: dict[str, Any] = _scrub_strings(event)
    return scrubbed


def _context_tags(event: dict[str, Any]) -> dict[str, str]:
    found: dict[str, Any] = {}
    extra = event.get("extra") or {}
    found |= {key: extra[key] for key in TAGGED if extra.get(key) is not None}
    found |= {
        key: value
        for key, value in structlog.contextvars.get_contextvars().items()
        if key in TAGGED and value is not None
    }
    from entrypoints.http import request_context  # Litestar: imported by the HTTP processes only

    context = request_context.current()
    if context is not None:
        found |= {"request_id": context.request_id, "route": context.route or "unmatched"}
        found |= context.path_ids
        found |= {key: value for key, value in context.ids.items() if key in TAGGED}
    # Sentry caps a tag at 200 characters; ours are ids, far shorter.
    return {key: str(value)[:200] for key, value in found.items()}


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {key: request[key] for key in ("method", "url") if key in request}
    url = kept.get("url")
    if isinstance(url, str):
        kept["url"] = url.split("?", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, dict):
        kept["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    query = request.get("query_string")
    if isinstance(query, str) and query:
        # The names say what was asked; the values may be a signed link's key.
        names = [part.split("=", 1)[0] for part in query.split("&") if part]
        kept["query_string"] = "&".join(f"{name}={FILTERED}" for name in names)
    return kept  # no data (bodies), cookies, env (client addresses)


def _scrub_breadcrumb(crumb: dict[str, Any], _: dict[str, Any]) -> dict[str, Any]:
    scrubbed: dict[str, Any] = _scrub_strings(crumb)
    return scrubbed


def _frame_lists(event: dict[str, Any]) -> list[list[Any]]:
    lists: list[list[Any]] = []
    for section in ("exception", "threads"):
        for value in (event.get(section) or {}).get("values") or []:
            frames = ((value or {}).get("stacktrace") or {}).get("frames")
            if isinstance(frames, list):
                lists.append(frames)
    return lists


def _scrub_strings(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, replacement in _SECRETS:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {key: _scrub_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_strings(item) for item in value]
    return value
