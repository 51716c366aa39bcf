"""Alert delivery: every channel once per alert, retried on failure, never twice after a crash."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from adapters.alert_channels import WebhookAlertChannel, WebhookConfig
from adapters.persistence.follower_store import MemoryFollowerStore
from application.alerts.alerts import new_alert
from application.alerts.channels import AlertChannels
from application.alerts.ports import AlertDeliveryError, AlertNotice
from application.store import TicketStore
from domain.alert import Alert, AlertKind
from domain.shared import SYSTEM
from tests.support.fakes import FrozenClock, wire

pytestmark = pytest.mark.unit


@dataclass
class Channel:
    name: str
    failures: int = 0
    delivered: list[AlertNotice] = field(default_factory=list)

    def deliver(self, alert: AlertNotice) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise AlertDeliveryError("503 from the chat service")
        self.delivered.append(alert)


@dataclass
class Setup:
    delivery: AlertChannels
    store: TicketStore
    jobs: MemoryFollowerStore
    clock: FrozenClock

    def follow(self) -> None:
        """A worker's pass: the log after the follower's position, then its due jobs."""
        self.queue()
        while self.delivery.run_due():
            pass

    def queue(self) -> None:
        start = self.delivery.position() + 1
        for n in self.store.recorder.select_notifications(
            start=start, limit=100, topics=self.delivery.topics
        ):
            self.delivery.handle(n, self.store.decode(n))

    def alert(self, message: str = "x") -> Alert:
        alert = new_alert(AlertKind.EMAIL_FAILED, message, cause=SYSTEM)
        self.store.save(alert)
        return alert


def setup(*channels: Channel) -> Setup:
    wired = wire()
    jobs = MemoryFollowerStore()
    delivery = AlertChannels(
        wired.store, jobs, channels, wired.clock, max_attempts=3, first_retry_seconds=10
    )
    return Setup(delivery, wired.store, jobs, wired.clock)


def test_each_alert_reaches_each_channel_once() -> None:
    inbox, chat = Channel("email"), Channel("webhook")
    s = setup(inbox, chat)
    alert = s.alert("an order nobody placed")

    s.follow()
    s.follow()

    assert [a.alert_id for a in inbox.delivered] == [alert.id]
    assert [a.message for a in chat.delivered] == ["an order nobody placed"]


def test_a_failing_channel_is_retried_later_without_holding_the_other_back() -> None:
    inbox, chat = Channel("email"), Channel("webhook", failures=1)
    s = setup(inbox, chat)
    s.alert()

    s.follow()
    assert len(inbox.delivered) == 1 and chat.delivered == []
    s.clock.advance(seconds=10)
    s.follow()
    assert len(chat.delivered) == 1


def test_a_channel_that_keeps_failing_is_given_up_after_max_attempts() -> None:
    chat = Channel("webhook", failures=10)
    s = setup(chat)
    s.alert()

    for _ in range(5):
        s.follow()
        s.clock.advance(hours=1)

    assert chat.failures == 7  # 3 attempts, then no more
    assert s.jobs.pending_count("alert-delivery") == 0


def test_a_delivery_interrupted_by_a_crash_is_not_repeated() -> None:
    chat = Channel("webhook")
    s = setup(chat)
    s.alert()
    s.queue()
    [job] = s.jobs.due("alert-delivery", s.clock.now(), 10)
    assert s.jobs.claim("alert-delivery", job.key)  # claimed, then the process died

    s.delivery.recover()  # the next worker to take the follower over
    s.follow()

    assert chat.delivered == []  # at most once: dropped (and logged), not sent twice


def test_the_chat_webhook_shows_markup_in_an_alert_literally() -> None:
    """A payment intent like ``<https://evil.example|Refund here>`` was a link in Slack."""
    received: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    alert = AlertNotice(
        alert_id=uuid4(),
        kind="unknown_payment_refund",
        severity="warning",
        message="refund of <https://evil.example|Refund here> & <!channel>",
        subject=None,
        created_at=datetime(2026, 10, 1, tzinfo=UTC),
    )

    WebhookAlertChannel(WebhookConfig(f"http://127.0.0.1:{server.server_port}/")).deliver(alert)
    server.server_close()

    text = json.loads(received[0])["text"]
    assert text.endswith(
        "refund of &lt;https://evil.example|Refund here&gt; &amp; &lt;!channel&gt;"
    )
    assert "<" not in text and ">" not in text
    assert json.loads(received[0])["alert"]["message"] == alert.message  # the data, as it was
