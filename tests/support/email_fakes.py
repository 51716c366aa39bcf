"""Fakes and a scenario for the email worker's unit tests: a mailer, content, documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from adapters.persistence.follower_store import MemoryFollowerStore
from application.alerts.ports import AlertNotice
from application.emails.delivery import TicketEmails
from application.emails.jobs import EmailPolicy
from application.emails.ports import (
    Attachment,
    EmailMessage,
    EmailReason,
    PermanentEmailError,
    TemporaryEmailError,
    TicketEmail,
)
from application.orders.ordering import Wish
from application.tickets.ports import TicketDocument
from application.tickets.tokens import TokenIssuer
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import Ticket
from tests.support.fakes import Wired, paid, schedule, wire


@dataclass
class FakeMailer:
    """Mailer: keeps what it sent; fails ``temporary_failures`` times first, or always
    permanently when ``permanent`` is set."""

    temporary_failures: int = 0
    permanent: bool = False
    sent: list[EmailMessage] = field(default_factory=list)
    attempts: int = 0

    def send(self, message: EmailMessage) -> str:
        self.attempts += 1
        if self.permanent:
            raise PermanentEmailError("550 no such mailbox")
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            raise TemporaryEmailError("451 try again later")
        self.sent.append(message)
        return f"msg-{len(self.sent)}"

    def tokens_sent_to(self, to: str) -> list[str]:
        return [m.text.split("token=")[1].split()[0] for m in self.sent if m.to == to]


@dataclass
class FakeContent:
    """EmailContent: a plain message that shows the token and the reason it was sent for, with
    the PDF it is given attached, or one it renders (counted in ``rendered_pdfs``)."""

    rendered_pdfs: list[TicketDocument] = field(default_factory=list)

    def ticket_email(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> TicketEmail:
        if pdf is None:
            self.rendered_pdfs.append(document)
            pdf = b"%PDF-fake " + document.token.encode()
        message = EmailMessage(
            to=to,
            subject=f"{reason}: {document.period_name}",
            text=f"token={document.token} version={document.token_version}",
            html=f"<p>{document.person_name}</p>",
            attachments=(Attachment(f"ticket-{document.period_code}.pdf", pdf),),
        )
        return TicketEmail(message, pdf)

    def ticket_email_soon(
        self, document: TicketDocument, to: str, reason: EmailReason, *, pdf: bytes | None
    ) -> Callable[[], TicketEmail]:
        email = self.ticket_email(document, to, reason, pdf=pdf)
        return lambda: email

    def alert_email(self, alert: AlertNotice, to: str) -> EmailMessage:
        return EmailMessage(to=to, subject=alert.kind, text=alert.message, html="")


USER = "dancer-1"
EMAIL = "dancer@example.no"


@dataclass
class Scenario:
    wired: Wired
    period: Period
    mailer: FakeMailer
    jobs: MemoryFollowerStore
    content: FakeContent
    emails: TicketEmails

    @property
    def ticket_id(self) -> UUID:
        return Ticket.id_for(self.period.id, Person.id_for_user(USER))

    def ticket(self) -> Ticket:
        return self.wired.store.get(Ticket, self.ticket_id)

    def pay(self, user: str = USER, email: str = EMAIL) -> None:
        services = self.wired.services
        services.people.put_profile(
            user_id=user, name="Åse Øvergård", email=email, phone=None, cause=Cause(user)
        )
        order = services.orders.place(
            user_id=user,
            user_email=email,
            period_code=self.period.code,
            wishes=(Wish("salsa1", None, "leader"),),
            cause=Cause(user),
        )
        services.stripe_events.handle(paid(order))

    def follow(self) -> None:
        """What the worker does for this follower: the log after its position, then due jobs."""
        store = self.wired.store
        start = self.emails.position() + 1
        for notification in store.recorder.select_notifications(
            start=start, limit=1000, topics=self.emails.topics
        ):
            self.emails.handle(notification, store.decode(notification))
        while self.emails.run_due():
            pass

    def rotate(self) -> None:
        ticket = self.ticket()
        TokenIssuer(self.wired.signer, self.wired.clock).issue(
            ticket, self.period, Cause("admin-1")
        )
        self.wired.store.save(ticket)


def scenario(policy: EmailPolicy | None = None, mailer: FakeMailer | None = None) -> Scenario:
    wired = wire()
    period = schedule(wired)
    jobs = MemoryFollowerStore()
    mailer = mailer or FakeMailer()
    content = FakeContent()
    emails = TicketEmails(
        wired.store,
        jobs,
        mailer,
        content,
        wired.services.documents,
        wired.services.alerts,
        wired.clock,
        policy or EmailPolicy(max_attempts=3, first_retry_seconds=10),
    )
    return Scenario(wired, period, mailer, jobs, content, emails)
