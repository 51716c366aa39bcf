"""The before_send scrubber: what may never reach the monitoring service, and the tags it adds."""

from __future__ import annotations

import json
from typing import Any

import pytest
import structlog

from entrypoints.monitoring import FILTERED, scrub
from entrypoints.settings import MonitoringSettings

pytestmark = pytest.mark.unit

QR_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aWNrZXQifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


def an_event() -> dict[str, Any]:
    return {
        "request": {
            "method": "GET",
            "url": "http://tickets.example/tickets/7b1e?key=view-key-123",
            "query_string": "key=view-key-123&lang=nb",
            "headers": {
                "Authorization": "Bearer " + QR_TOKEN,
                "Cookie": "session=abc",
                "Stripe-Signature": "t=1,v1=ff",
                "User-Agent": "curl/8",
                "X-Request-ID": "req-1",
            },
            "cookies": {"session": "abc"},
            "data": {"token": QR_TOKEN, "name": "Åse"},
            "env": {"REMOTE_ADDR": "10.0.0.7"},
        },
        "exception": {
            "values": [
                {
                    "type": "InvalidToken",
                    "value": f"could not verify {QR_TOKEN} for /tickets/x?key=abc&pair=9911",
                    "stacktrace": {"frames": [{"function": "scan", "vars": {"token": QR_TOKEN}}]},
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": "Authorization: Device s3cr3t-credential"}]},
        "extra": {"follower": "ticket-emails", "note": f"token={QR_TOKEN}"},
    }


def test_nothing_secret_or_personal_is_left() -> None:
    scrubbed = scrub(an_event(), {})

    assert scrubbed is not None
    sent = json.dumps(scrubbed)
    for secret in (QR_TOKEN, "view-key-123", "abc&", "9911", "session=abc", "s3cr3t", "Åse"):
        assert secret not in sent, secret
    request = scrubbed["request"]
    assert set(request) == {"method", "url", "headers", "query_string"}  # no body, cookies, env
    assert request["url"] == "http://tickets.example/tickets/7b1e"
    assert request["headers"] == {"User-Agent": "curl/8", "X-Request-ID": "req-1"}
    assert request["query_string"] == f"key={FILTERED}&lang={FILTERED}"
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame == {"function": "scan"}  # the frame's variables are gone
    assert scrubbed["exception"]["values"][0]["value"] == (
        f"could not verify {FILTERED} for /tickets/x?key={FILTERED}&pair={FILTERED}"
    )


def test_the_ids_bound_to_the_log_context_become_tags() -> None:
    with structlog.contextvars.bound_contextvars(
        request_id="req-9", stripe_event_id="evt_1", order_id="o-1", name="not a tag"
    ):
        scrubbed = scrub(an_event(), {})
    assert scrubbed is not None
    assert scrubbed["tags"] == {
        "request_id": "req-9",
        "stripe_event_id": "evt_1",
        "order_id": "o-1",
        "follower": "ticket-emails",  # from the log line's fields
    }


def test_errors_answered_as_the_clients_business_are_not_sent_but_error_lines_are() -> None:
    class NotFoundError(Exception):
        pass

    error = NotFoundError("no ticket")
    exc_info = (NotFoundError, error, None)

    def reported(e: BaseException) -> bool:
        return not isinstance(e, NotFoundError)

    assert scrub(an_event(), {"exc_info": exc_info}, reported) is None
    assert scrub(an_event(), {"exc_info": exc_info, "log_record": object()}, reported) is not None
    assert scrub(an_event(), {"exc_info": (RuntimeError, RuntimeError(), None)}, reported)


def test_the_dsn_and_environment_come_from_the_environment() -> None:
    assert MonitoringSettings.from_env({}) == MonitoringSettings(None, "production")
    settings = MonitoringSettings.from_env(
        {"SENTRY_DSN": "https://k@o1.ingest.example/42", "SENTRY_ENVIRONMENT": "staging"}
    )
    assert settings.dsn == "https://k@o1.ingest.example/42" and settings.environment == "staging"
    assert "k@o1" not in repr(settings)
    with pytest.raises(ValueError, match="SENTRY_DSN"):
        MonitoringSettings.from_env({"SENTRY_DSN": "not a dsn"})
