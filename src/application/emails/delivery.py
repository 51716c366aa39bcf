"""Ticket emails: queued from the log, sent through the Mailer, recorded on the ticket once.

One module: the follower's steps (queue, prepare ahead, send, record, retry or alert) share
the job's state and the guarantees of one email per ticket and reason.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from eventsourcing.persistence import IntegrityError, Notification

from application.alerts.alerts import Alerts, new_alert
from application.clock import Clock
from application.emails.jobs import EmailJob, EmailPolicy, jobs_for
from application.emails.ports import (
    EmailContent,
    EmailKind,
    EmailMeter,
    Mailer,
    PermanentEmailError,
    RevocationNotice,
    TemporaryEmailError,
    TicketEmail,
)
from application.payments.refund_handling import REVOKED_BY_REFUND
from application.store import TicketStore, retry_on_conflict
from application.tickets.documents import TicketDocuments
from application.tickets.ports import TicketDocument
from application.worker.ports import FollowerStore, Job
from domain.alert import AlertKind, Severity
from domain.period import Period
from domain.person import Person
from domain.shared import SYSTEM, Cause
from domain.ticket import Ticket, TicketStatus

log = logging.getLogger(__name__)


class TicketEmails:
    """The follower that sends ticket emails: at least once, and once per key in practice.

    Reading the log only queues jobs (with the position, in one transaction); jobs are sent
    apart, so an outage delays emails without holding the log back, and a crash between
    sending and recording can repeat one email at most.

    The attached PDF is the download's: the documents use case gives it when it was rendered
    before; else the content renders it with the email (in a render process, where there are
    some) and this keeps it through the documents use case before the email goes out.
    """

    name = "ticket-emails"
    topics: tuple[str, ...] = (
        Ticket.QrTokenIssued.TOPIC,
        Ticket.EmailResendRequested.TOPIC,
        Ticket.Revoked.TOPIC,
    )

    def __init__(
        self,
        store: TicketStore,
        follower_store: FollowerStore,
        mailer: Mailer,
        content: EmailContent,
        documents: TicketDocuments,
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
        it renders (in other processes, where the content has them) while this one is sent.

        The reads of the next few emails share one connection, and their jobs are finished
        together (one statement) once sent and recorded.
        """
        due = self._follower_store.due(self.name, self._clock.now(), self._policy.batch_size)
        upcoming, ahead = deque(due), deque[_DueEmail]()
        finished: list[str] = []  # keys of the jobs handled, their done still to be written
        try:
            while upcoming or ahead:
                if len(ahead) < RENDERED_AHEAD and upcoming:
                    ahead.extend(self._prepare_some(upcoming, 2 * RENDERED_AHEAD - len(ahead)))
                if stopping():
                    return False  # asked to stop: the one at hand is done, the rest wait
                due_email = ahead.popleft()
                with self._about(due_email.email):
                    self._run_job(due_email, finished)
                if len(finished) >= FINISHED_TOGETHER:
                    self._finish(finished)
        finally:
            self._finish(finished)
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

    def _prepare_some(self, upcoming: deque[Job], count: int) -> list[_DueEmail]:
        """The next emails' reads, on one connection, and their content asked for."""
        with self._store.one_connection():
            return [self._prepare_job(upcoming.popleft()) for _ in range(min(count, len(upcoming)))]

    def _prepare_job(self, job: Job) -> _DueEmail:
        email = EmailJob.of(job.data)
        with self._about(email):
            try:
                return _DueEmail(job, email, self._prepare(email))
            except Exception as error:  # it is the send's failure: handled when its turn comes
                return _DueEmail(job, email, error)

    def _run_job(self, due_email: _DueEmail, finished: list[str]) -> None:
        job, email = due_email.job, due_email.email
        try:
            sent = self._send(due_email)
        except TemporaryEmailError as error:
            self._meter.failed("provider_unavailable")
            self._later(job, email, f"the email provider is unavailable: {error}")
            return
        except PermanentEmailError as error:
            self._meter.failed("rejected")
            self._alert(email, f"the email provider rejected it: {error}", Severity.CRITICAL)
            finished.append(job.key)
            return
        except Exception as error:  # a bug or an outage of ours: keep it queued, keep going
            self._meter.failed("error")
            log.exception("ticket email failed", extra={"job": job.key})
            self._later(job, email, f"it could not be prepared ({type(error).__name__})")
            return
        if sent is not None:
            # Sent: a failure to record it now is the worker's to retry (the follower backs
            # off); the job stays due, so one duplicate at most goes out once it recovers.
            self._meter.sent(email.reason.kind.value)
            self._record(sent)
            log.info(
                "ticket emailed",
                extra={
                    "step": "emailed",
                    "ticket_id": str(email.ticket_id),
                    "token_version": sent.token_version,
                    "reason": str(email.reason),
                    "message_id": sent.message_id,
                },
            )
        finished.append(job.key)

    def _send(self, due_email: _DueEmail) -> _Sent | None:
        """Sends the email unless it is not (or no longer) wanted; a PDF rendered with it is
        kept first, so that the downloads serve the bytes that were emailed."""
        prepared = due_email.prepared
        if isinstance(prepared, Exception):
            raise prepared
        if prepared is None:
            return None
        rendered = prepared.rendered()
        if prepared.document is not None and not prepared.pdf_given:
            self._documents.keep_pdf(prepared.document, rendered.pdf)
        message_id = self._mailer.send(rendered.message)
        assert prepared.ticket.token is not None  # an emailed ticket was issued a token
        return _Sent(due_email.email, prepared.ticket, prepared.ticket.token.version, message_id)

    def _prepare(self, email: EmailJob) -> _Prepared | None:
        """The ticket as read, its document and the email (being rendered), unless it is not
        wanted. The PDF goes to the content when it was rendered before; else it is rendered
        with the email, off this process where there are render processes."""
        if email.reason.kind is EmailKind.REVOKED:
            return self._prepare_revocation(email)
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
        document = self._documents.for_ticket(ticket, person)
        cached = self._documents.cached_pdf(document)
        pdf = cached.data if cached is not None else None
        rendered = self._content.ticket_email_soon(document, person.email, email.reason, pdf=pdf)
        return _Prepared(ticket, document, rendered, pdf_given=pdf is not None)

    def _prepare_revocation(self, email: EmailJob) -> _Prepared | None:
        """The holder told that the ticket no longer works, once per revocation; not when it
        works again by the time the email would go out."""
        ticket = self._store.find(Ticket, email.ticket_id)
        if ticket is None or ticket.status is not TicketStatus.REVOKED or ticket.token is None:
            return None
        if ticket.was_emailed(str(email.reason)):
            return None
        person = self._store.find(Person, ticket.person_id)
        if person is None or not person.email:
            self._meter.failed("no_address")
            self._alert(email, "the person has no email address", Severity.WARNING)
            return None
        refunded = ticket.revoked_reason == REVOKED_BY_REFUND
        notice = RevocationNotice(
            ticket_id=ticket.id,
            person_name=person.name,
            period_name=self._store.get(Period, ticket.period_id).name,
            locale=self._documents.locale_of(person),
            refunded=refunded,
            reason=None if refunded else ticket.revoked_reason,
        )
        message = self._content.revocation_email(notice, person.email)
        return _Prepared(ticket, None, lambda: TicketEmail(message, b""), pdf_given=True)

    def _finish(self, finished: list[str]) -> None:
        """Finishes the jobs handled since the last time, in one statement. A crash before
        that repeats none of their emails: each was recorded on its ticket once sent, and a
        recorded email is not sent again (``was_emailed``)."""
        if finished:
            self._follower_store.done(self.name, *finished)
            finished.clear()

    def _record(self, sent: _Sent) -> None:
        """On the ticket as read before sending (no read more); if it changed since, the
        save conflicts and the email is recorded on a fresh read."""
        try:
            self._store.save(self._emailed(sent, sent.ticket))
        except IntegrityError:
            retry_on_conflict(
                lambda: self._store.save(
                    self._emailed(sent, self._store.get(Ticket, sent.email.ticket_id))
                )
            )

    def _emailed(self, item: _Sent, ticket: Ticket) -> Ticket:
        ticket.record_emailed(
            token_version=item.token_version,
            reason=str(item.email.reason),
            message_id=item.message_id,
            cause=Cause(actor=SYSTEM.actor, request_id=item.email.request_id),
        )
        return ticket

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
# Jobs finished in one statement: their emails are recorded already, one save each.
FINISHED_TOGETHER = 8


@dataclass(frozen=True)
class _Prepared:
    """An email that is wanted: the ticket as read, its document, the email being rendered."""

    ticket: Ticket
    document: TicketDocument | None  # None: a revocation (no ticket shown, no PDF)
    rendered: Callable[[], TicketEmail]  # waits for it
    pdf_given: bool  # the PDF was rendered before; else it comes with the email, to be kept


@dataclass(frozen=True)
class _DueEmail:
    """A due email, its content asked for: what to send, None (not wanted) or why it failed."""

    job: Job
    email: EmailJob
    prepared: _Prepared | Exception | None


@dataclass(frozen=True)
class _Sent:
    email: EmailJob
    ticket: Ticket  # as read before sending
    token_version: int
    message_id: str


class _Uncounted:
    """No metrics (tests, tools): the emails are the same."""

    def sent(self, kind: str) -> None:
        pass

    def failed(self, reason: str) -> None:
        pass
