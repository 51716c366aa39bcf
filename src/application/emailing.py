"""Ticket emails: queued from the log, sent through the Mailer, recorded on the ticket once."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import Notification

from application.alerts.alerts import Alerts, new_alert
from application.errors import NotFound
from application.ports import (
    Clock,
    EmailContent,
    EmailKind,
    EmailMessage,
    EmailMeter,
    EmailReason,
    FollowerStore,
    Job,
    Mailer,
    PermanentEmailError,
    TemporaryEmailError,
    TicketDocument,
)
from application.store import TicketStore, retry_on_conflict
from domain.alert import AlertKind, Severity
from domain.person import Person
from domain.shared import SYSTEM, Cause
from domain.ticket import NotEmailable, Ticket, TicketStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailPolicy:
    """How hard the worker tries before it tells an admin (the email stays queued after)."""

    max_attempts: int = 5
    first_retry_seconds: float = 30.0
    max_retry_seconds: float = 900.0
    batch_size: int = 20

    def retry_delay(self, failures: int) -> timedelta:
        seconds = self.first_retry_seconds * 2 ** max(0, failures - 1)
        return timedelta(seconds=min(self.max_retry_seconds, seconds))


@dataclass(frozen=True)
class EmailJob:
    """One email to send: its idempotency key is (ticket, token version, reason).

    A resend names the request (see EmailReason) and carries no token version: it goes out
    with whatever token is current when it is sent. Queued as strings (``data``/``of``).
    """

    ticket_id: UUID
    token_version: int | None
    reason: EmailReason
    request_id: str | None = None  # the request behind it, for the log; not part of the key

    @property
    def key(self) -> str:
        return f"{self.ticket_id}:{self.token_version or 'current'}:{self.reason}"

    def data(self) -> dict[str, str]:
        data = {"ticket_id": str(self.ticket_id), "reason": str(self.reason)}
        if self.token_version is not None:
            data["token_version"] = str(self.token_version)
        if self.request_id:
            data["request_id"] = self.request_id
        return data

    @classmethod
    def of(cls, data: dict[str, str]) -> EmailJob:
        version = data.get("token_version")
        return cls(
            UUID(data["ticket_id"]),
            int(version) if version else None,
            EmailReason.parse(data["reason"]),
            data.get("request_id"),
        )

    def log_context(self) -> dict[str, str]:
        context = {"ticket_id": str(self.ticket_id)}
        if self.request_id:
            context["request_id"] = self.request_id
        return context


def jobs_for(event: Any) -> list[EmailJob]:
    """The emails an event asks for: a new token (issued or rotated), or a resend request."""
    request_id = getattr(getattr(event, "cause", None), "request_id", None)
    if isinstance(event, Ticket.QrTokenIssued):
        kind = EmailKind.ISSUED if event.version == 1 else EmailKind.ROTATED
        return [EmailJob(event.originator_id, event.version, EmailReason(kind), request_id)]
    if isinstance(event, Ticket.EmailResendRequested):
        reason = EmailReason.resend(event.originator_version)
        return [EmailJob(event.originator_id, None, reason, request_id)]
    return []


class TicketEmails:
    """The follower that sends ticket emails: at least once, and once per key in practice.

    Reading the log only queues jobs (with the position, in one transaction); jobs are sent
    apart, so an outage delays emails without holding the log back, and a crash between
    sending and recording can repeat one email at most.
    """

    name = "ticket-emails"
    topics: tuple[str, ...] = (Ticket.QrTokenIssued.TOPIC, Ticket.EmailResendRequested.TOPIC)

    def __init__(
        self,
        store: TicketStore,
        follower_store: FollowerStore,
        mailer: Mailer,
        content: EmailContent,
        documents: Callable[[Ticket, Person], TicketDocument],
        alerts: Alerts,
        clock: Clock,
        policy: EmailPolicy | None = None,
        meter: EmailMeter | None = None,
    ) -> None:
        self._store = store
        self._follower_store = follower_store
        self._mailer = mailer
        self._content = content
        self._documents = documents
        self._alerts = alerts
        self._clock = clock
        self._policy = policy or EmailPolicy()
        self._meter = meter or _Uncounted()

    def position(self) -> int:
        return self._follower_store.position(self.name)

    def handle(self, notification: Notification, event: Any) -> None:
        jobs = jobs_for(event)
        self._follower_store.advance(
            self.name, notification.id, [(job.key, job.data()) for job in jobs]
        )
        for job in jobs:
            log.info(
                "ticket email queued",
                extra={
                    "step": "queued",
                    "ticket_id": str(job.ticket_id),
                    "reason": str(job.reason),
                },
            )

    def recover(self) -> None:
        """Nothing to undo: a job interrupted mid-send is simply pending, and is sent again."""

    def run_due(self, stopping: Callable[[], bool] = lambda: False) -> bool:
        """Sends the due emails in order; the next ones' content is asked for ahead, so that
        it renders (in other processes, where the content has them) while this one is sent."""
        due = self._follower_store.due(self.name, self._clock.now(), self._policy.batch_size)
        upcoming, ahead = deque(due), deque[_Begun]()
        while upcoming or ahead:
            while upcoming and len(ahead) < RENDERED_AHEAD:
                ahead.append(self._begin(upcoming.popleft()))
            if stopping():
                return False  # asked to stop: the one at hand is done, the rest wait
            begun = ahead.popleft()
            with self._about(begun.email):
                self._run_job(begun)
        return len(due) == self._policy.batch_size

    @contextmanager
    def _about(self, email: EmailJob) -> Iterator[None]:
        # The request that caused the email is on every line about it, long after that request;
        # a step's reads and save share one pool checkout.
        with (
            structlog.contextvars.bound_contextvars(**email.log_context()),
            self._store.one_connection(),
        ):
            yield

    def _begin(self, job: Job) -> _Begun:
        email = EmailJob.of(job.data)
        with self._about(email):
            try:
                return _Begun(job, email, self._prepare(email))
            except Exception as error:  # it is the send's failure: handled when its turn comes
                return _Begun(job, email, error)

    def _run_job(self, begun: _Begun) -> None:
        job, email = begun.job, begun.email
        try:
            sent = self._send(begun)
        except TemporaryEmailError as error:
            self._meter.failed("provider_unavailable")
            self._later(job, email, f"the email provider is unavailable: {error}")
            return
        except PermanentEmailError as error:
            self._meter.failed("rejected")
            self._alert(email, f"the email provider rejected it: {error}", Severity.CRITICAL)
            self._follower_store.done(self.name, job.key)
            return
        except Exception as error:  # a bug or an outage of ours: keep it queued, keep going
            self._meter.failed("error")
            log.exception("ticket email failed", extra={"job": job.key})
            self._later(job, email, f"it could not be prepared ({type(error).__name__})")
            return
        if sent is not None:
            # Sent: a failure to record it now is the worker's to retry (the follower backs
            # off); the job stays due, so one duplicate at most goes out once it recovers.
            token_version, message_id = sent
            self._meter.sent(email.reason.kind.value)
            retry_on_conflict(lambda: self._record(email, token_version, message_id))
            log.info(
                "ticket emailed",
                extra={
                    "step": "emailed",
                    "ticket_id": str(email.ticket_id),
                    "token_version": token_version,
                    "reason": str(email.reason),
                    "message_id": message_id,
                },
            )
        self._follower_store.done(self.name, job.key)

    def _send(self, begun: _Begun) -> tuple[int, str] | None:
        """Sends the email unless it is not (or no longer) wanted; (token version, message id)."""
        if isinstance(begun.prepared, Exception):
            raise begun.prepared
        if begun.prepared is None:
            return None
        version, message = begun.prepared
        return version, self._mailer.send(message())

    def _prepare(self, email: EmailJob) -> tuple[int, Callable[[], EmailMessage]] | None:
        """The email's token version and content (being rendered), unless it is not wanted."""
        ticket = self._store.find(Ticket, email.ticket_id)
        if ticket is None or ticket.status is not TicketStatus.ACTIVE or ticket.token is None:
            log.info("ticket email dropped: not active", extra={"ticket_id": str(email.ticket_id)})
            return None
        if email.token_version is not None and email.token_version < ticket.token.version:
            return None  # superseded: the rotation's own email carries the new token
        if ticket.was_emailed(str(email.reason), email.token_version):
            return None  # sent and recorded before (a replayed event, a second worker)
        person = self._store.find(Person, ticket.person_id)
        if person is None or not person.email:
            self._meter.failed("no_address")
            self._alert(email, "the person has no email address", Severity.WARNING)
            return None
        document = self._documents(ticket, person)
        return document.token_version, self._content.ticket_email_soon(
            document, person.email, email.reason
        )

    def _record(self, email: EmailJob, token_version: int, message_id: str) -> None:
        ticket = self._store.get(Ticket, email.ticket_id)
        cause = Cause(actor=SYSTEM.actor, request_id=email.request_id)
        ticket.record_emailed(
            token_version=token_version,
            reason=str(email.reason),
            message_id=message_id,
            cause=cause,
        )
        self._store.save(ticket)

    def _later(self, job: Job, email: EmailJob, why: str) -> None:
        failures = job.attempts + 1
        self._follower_store.retry_at(
            self.name, job.key, self._clock.now() + self._policy.retry_delay(failures)
        )
        log.warning(
            "ticket email not sent; will retry",
            extra={
                "ticket_id": str(email.ticket_id),
                "reason": str(email.reason),
                "failures": failures,
            },
        )
        if failures >= self._policy.max_attempts:
            self._alert(
                email, f"{why}; {failures} attempts so far, still retrying", Severity.WARNING
            )

    def _alert(self, email: EmailJob, why: str, severity: Severity) -> None:
        # Keyed by the email: however often it fails, admins hear of it once.
        self._alerts.raise_now(
            new_alert(
                AlertKind.EMAIL_FAILED,
                f"ticket {email.ticket_id}: the {email.reason} email was not sent: {why}",
                subject=str(email.ticket_id),
                key=f"email:{email.key}",
                cause=SYSTEM,
                severity=severity,
            )
        )


# Emails whose content is asked for before their turn: enough to keep every render process busy.
RENDERED_AHEAD = 4


@dataclass(frozen=True)
class _Begun:
    """A due email, its content asked for: what to send, None (not wanted) or why it failed."""

    job: Job
    email: EmailJob
    prepared: tuple[int, Callable[[], EmailMessage]] | Exception | None


class _Uncounted:
    """No metrics (tests, tools): the emails are the same."""

    def sent(self, kind: str) -> None:
        pass

    def failed(self, reason: str) -> None:
        pass


class EmailRequests:
    """Asking for a ticket email again (the participant lost it)."""

    def __init__(self, store: TicketStore) -> None:
        self._store = store

    def resend(self, ticket_id: UUID, *, user_id: str, is_admin: bool, cause: Cause) -> None:
        """Records the request; the worker sends the email with the token current by then."""

        def command() -> None:
            ticket = self._store.find(Ticket, ticket_id)
            mine = ticket is not None and ticket.person_id == Person.id_for_user(user_id)
            if ticket is None or not (mine or is_admin):
                raise NotFound(f"no ticket {ticket_id}", "ticket_not_found")
            try:
                ticket.request_email_resend(cause)
            except NotEmailable:
                raise NotFound(f"ticket {ticket_id} is not active", "ticket_not_found") from None
            self._store.save(ticket)

        retry_on_conflict(command)
