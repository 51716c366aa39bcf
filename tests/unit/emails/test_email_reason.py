"""The email reason: a small value, written to the queue and the recorded events as text."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.emails.jobs import EmailJob, jobs_for
from application.emails.ports import EmailKind, EmailReason

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("issued", EmailReason(EmailKind.ISSUED)),
        ("rotated", EmailReason(EmailKind.ROTATED)),
        ("resend-7", EmailReason.resend(7)),
    ],
)
def test_a_reason_is_written_as_the_events_store_it_and_read_back(
    text: str, reason: EmailReason
) -> None:
    assert str(reason) == text
    assert EmailReason.parse(text) == reason


def test_an_unknown_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="'sent'"):
        EmailReason.parse("sent-2")


def test_a_queued_job_keeps_its_reason_and_key() -> None:
    job = EmailJob(uuid4(), None, EmailReason.resend(3), "req-1")

    assert job.data()["reason"] == "resend-3"
    assert EmailJob.of(job.data()) == job
    assert job.key.endswith(":current:resend-3")


def test_no_event_of_another_kind_asks_for_an_email() -> None:
    assert jobs_for(object()) == []
