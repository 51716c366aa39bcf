"""The rules the whole event log must satisfy, each named, checked while the log is replayed.

One module: the rules are judged together, on one pass over the log, from the aggregates it
rebuilds (application.audit.rebuilt keeps them within a memory bound).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from application.audit.rebuilt import Rebuilt
from application.emails.delivery import TicketEmails
from application.tickets.tokens import TokenIssuer
from application.worker.ports import FollowerStore
from domain.alert import Alert, AlertKind
from domain.order import Order, OrderStatus, RegistrationStatus
from domain.payment import StripeDelivery
from domain.ticket import PendingTickets, Ticket, TicketStatus

A = TypeVar("A", bound=Aggregate)

MAX_PENDING = 1_000_000


class Invariant(StrEnum):
    HISTORIES_APPLY = "histories_apply"
    PAID_ORDERS_ACTIVE = "paid_orders_active"
    PAID_PERSONS_TICKETED = "paid_persons_ticketed"
    ONE_TICKET_PER_PERSON = "one_ticket_per_period_and_person"
    TOKEN_HASHES_MATCH = "token_hashes_match"  # noqa: S105 (a name, not a secret)
    REFUNDED_ORDERS_CANCELLED = "refunded_orders_cancelled"
    REFUNDS_OF_OWN_PAYMENTS = "refunds_of_own_payments"
    EXTRA_PAYMENTS_ALERTED = "extra_payments_alerted"
    STRIPE_EVENTS_ONCE = "stripe_events_applied_once"
    TICKETS_EMAILED = "tickets_emailed"

    @property
    def rule(self) -> str:
        return RULES[self]


RULES = {
    Invariant.HISTORIES_APPLY: (
        "every event can be read, and every order's and ticket's events apply to it in order"
    ),
    Invariant.PAID_ORDERS_ACTIVE: "every PAID order has all its registrations ACTIVE",
    Invariant.PAID_PERSONS_TICKETED: (
        "each person of a PAID order is covered by exactly one ticket of its period "
        "(or the ticket waits for their profile)"
    ),
    Invariant.ONE_TICKET_PER_PERSON: "no two tickets for one (period, person)",
    Invariant.TOKEN_HASHES_MATCH: (
        "every ACTIVE ticket's recorded hash is that of the token derived from its recorded fields"
    ),
    Invariant.REFUNDED_ORDERS_CANCELLED: "every REFUNDED order's registrations are CANCELLED",
    Invariant.REFUNDS_OF_OWN_PAYMENTS: (
        "every REFUNDED order's refunds are of payments recorded on it, and sum to what was paid"
    ),
    Invariant.EXTRA_PAYMENTS_ALERTED: (
        "every payment recorded on an order beyond the first has a duplicate_payment alert"
    ),
    Invariant.STRIPE_EVENTS_ONCE: "every Stripe event is applied at most once",
    Invariant.TICKETS_EMAILED: "every ACTIVE ticket was emailed, or its email is pending",
}

# Events that apply one Stripe event: each topic may carry a Stripe event id once only.
ONCE_PER_STRIPE_EVENT = frozenset(
    {
        StripeDelivery.Recorded.TOPIC,
        Order.PaymentReceived.TOPIC,
        Order.ExtraPaymentReceived.TOPIC,
        Order.PaymentRefunded.TOPIC,
        Order.Refunded.TOPIC,
    }
)


@dataclass(frozen=True)
class Violation:
    invariant: Invariant
    subject: str  # the aggregate (or Stripe event) it is about
    detail: str


class EmailBacklog(Protocol):
    """What the email worker has still to send: an unsent ticket email may just be pending."""

    def position(self) -> int:
        """The last notification the email worker has read (it queues emails from there)."""
        ...

    def pending_tickets(self) -> frozenset[UUID]:
        """Tickets with an email queued and not sent yet."""
        ...


class QueuedTicketEmails:
    """The email backlog as the ticket email follower keeps it: its position and its jobs."""

    def __init__(self, follower_store: FollowerStore, follower: str = TicketEmails.name) -> None:
        self._follower_store = follower_store
        self._follower = follower

    def position(self) -> int:
        return self._follower_store.position(self._follower)

    def pending_tickets(self) -> frozenset[UUID]:
        # Every job not done, whenever it is due: a backlog is small, or it is a finding.
        queued = self._follower_store.due(
            self._follower, datetime.max.replace(tzinfo=UTC), MAX_PENDING
        )
        return frozenset(UUID(job.data["ticket_id"]) for job in queued)


class InvariantChecker:
    """Rebuilds orders, tickets and pending tickets from the log, then judges them.

    The aggregates are rebuilt with the domain's own ``apply`` methods, so what is judged is
    exactly what the service would load. Memory is bounded: the aggregates not used lately
    and the Stripe event ids are spilled to a scratch database (``Rebuilt``).
    """

    def __init__(self, tokens: TokenIssuer, emails: EmailBacklog | None = None) -> None:
        """Make it right before reading the log: what the email worker has still to send is
        taken now, so that an email sent while the log is read counts as pending, not missing.
        Without ``emails`` (no email worker), only a recorded ``Emailed`` counts."""
        self._tokens = tokens
        self._emails_read = emails.position() if emails is not None else None
        self._emails_pending = emails.pending_tickets() if emails is not None else frozenset()
        self._rebuilt = Rebuilt()  # orders, tickets and pending tickets
        # Tickets whose id is not the one derived from (period, person): the only way to two.
        self._strays: dict[tuple[UUID, UUID], list[UUID]] = {}
        # Tickets whose latest token the email worker had not read yet: their email may wait.
        self._tokens_unread: set[UUID] = set()
        self._broken: set[UUID] = set()
        self._found: list[Violation] = []
        self._duplicate_payment_alerts: set[UUID] = set()

    def observe(self, notification: Notification, event: Any) -> None:
        if isinstance(event, Order.Event | PendingTickets.Event):
            self._apply(event)
        elif isinstance(event, Ticket.Event):
            self._apply(event)
            if isinstance(event, Ticket.Issued):
                self._issued(event)
            elif isinstance(event, Ticket.QrTokenIssued) and self._unread(notification):
                self._tokens_unread.add(event.originator_id)
        elif isinstance(event, Alert.Raised) and event.kind is AlertKind.DUPLICATE_PAYMENT:
            self._duplicate_payment_alerts.add(event.originator_id)
        if notification.topic in ONCE_PER_STRIPE_EVENT:
            stripe_event_id: str = event.stripe_event_id
            if not self._rebuilt.first_time(notification.topic, stripe_event_id):
                self._violate(
                    Invariant.STRIPE_EVENTS_ONCE,
                    stripe_event_id,
                    f"{notification.topic.removeprefix('tickets:')} of Stripe event "
                    f"{stripe_event_id} recorded again, on {event.originator_id}",
                )

    def unreadable(self, notification: Notification, error: Exception) -> None:
        """Notes an event that cannot be decoded: its aggregate is judged without it."""
        self._broken.add(UUID(str(notification.originator_id)))
        self._violate(
            Invariant.HISTORIES_APPLY,
            str(notification.originator_id),
            f"event {notification.id} ({notification.topic.removeprefix('tickets:')}, version "
            f"{notification.originator_version}) cannot be read: {type(error).__name__}",
        )

    def finish(self) -> list[Violation]:
        """Every violation in the log read: call once, after the last event.

        The rebuilt orders and tickets are let go then: what comes next (comparing read
        models) needs the memory more.
        """
        found = [
            *self._found,
            *self._duplicate_tickets(),
            *self._orders_paid_or_refunded(),
            *self._active_tickets(),
        ]
        self._rebuilt.close()
        self._strays.clear()
        self._tokens_unread.clear()
        self._duplicate_payment_alerts.clear()
        return found

    def _apply(self, event: Any) -> None:
        key: UUID = event.originator_id
        if key in self._broken:
            return
        try:
            self._rebuilt.put(key, event.mutate(self._rebuilt.get(key)))
        except Exception as error:  # any failure is the finding
            # Judged from here on as far as its history applied; later events are not applied.
            self._broken.add(key)
            self._violate(
                Invariant.HISTORIES_APPLY,
                str(key),
                f"{type(event).__qualname__} (version {event.originator_version}) does not "
                f"apply: {type(error).__name__} {error}",
            )

    def _unread(self, notification: Notification) -> bool:
        return self._emails_read is not None and notification.id > self._emails_read

    def _issued(self, event: Ticket.Issued) -> None:
        derived = Ticket.id_for(event.period_id, event.person_id)
        if event.originator_id != derived:
            self._strays.setdefault((event.period_id, event.person_id), []).append(
                event.originator_id
            )

    def _tickets_for(self, period_id: UUID, person_id: UUID) -> list[Ticket]:
        ids = [Ticket.id_for(period_id, person_id), *self._strays.get((period_id, person_id), [])]
        found = (self._rebuilt.find(i, Ticket) for i in ids)
        return [ticket for ticket in found if ticket is not None]

    def _duplicate_tickets(self) -> Iterator[Violation]:
        for (period_id, person_id), _ in self._strays.items():
            tickets = self._tickets_for(period_id, person_id)
            if len(tickets) > 1:
                yield Violation(
                    Invariant.ONE_TICKET_PER_PERSON,
                    str(person_id),
                    f"person {person_id} has {len(tickets)} tickets for period {period_id}: "
                    + ", ".join(str(t.id) for t in tickets),
                )

    def _orders_paid_or_refunded(self) -> Iterator[Violation]:
        for order in self._rebuilt.every(Order):
            if order.status is OrderStatus.PAID:
                inactive = _not_in(order, RegistrationStatus.ACTIVE)
                if inactive:
                    yield Violation(
                        Invariant.PAID_ORDERS_ACTIVE,
                        str(order.id),
                        f"order {order.id} is PAID, but registrations {', '.join(inactive)} "
                        "are not ACTIVE",
                    )
                yield from self._persons_ticketed(order)
            elif order.status is OrderStatus.REFUNDED:
                kept = _not_in(order, RegistrationStatus.CANCELLED)
                if kept:
                    yield Violation(
                        Invariant.REFUNDED_ORDERS_CANCELLED,
                        str(order.id),
                        f"order {order.id} is REFUNDED, but registrations {', '.join(kept)} "
                        "are not CANCELLED",
                    )
                yield from self._refunded_by_own_payments(order)
            yield from self._extra_payments_alerted(order)

    def _refunded_by_own_payments(self, order: Order) -> Iterator[Violation]:
        strangers = [i for i in order.refunded if order.payment_of(i) is None]
        if strangers:
            yield Violation(
                Invariant.REFUNDS_OF_OWN_PAYMENTS,
                str(order.id),
                f"order {order.id} is REFUNDED by refunds of payment intents it never recorded: "
                + ", ".join(str(i) for i in strangers),
            )
            return
        given_back = [
            p for p in order.payments[: order.payments_at_refund] if p.currency == order.currency
        ]
        paid = sum(p.amount_cents for p in given_back)
        refunded = sum(order.refunded.get(p.payment_intent_id, 0) for p in given_back)
        if refunded < paid:
            yield Violation(
                Invariant.REFUNDS_OF_OWN_PAYMENTS,
                str(order.id),
                f"order {order.id} is REFUNDED, but only {refunded} of the {paid} "
                f"{order.currency} paid for it were refunded",
            )

    def _extra_payments_alerted(self, order: Order) -> Iterator[Violation]:
        for payment in order.payments[1:]:
            alert_id = Alert.id_for(AlertKind.DUPLICATE_PAYMENT, payment.stripe_event_id)
            if alert_id not in self._duplicate_payment_alerts:
                yield Violation(
                    Invariant.EXTRA_PAYMENTS_ALERTED,
                    str(order.id),
                    f"order {order.id}: payment {payment.payment_intent_id or 'without intent'} "
                    f"of Stripe event {payment.stripe_event_id} ({payment.amount_cents} "
                    f"{payment.currency}) is beyond the first, and no duplicate_payment alert "
                    "was raised for it",
                )

    def _persons_ticketed(self, order: Order) -> Iterator[Violation]:
        for person_id in order.persons():
            active = {
                r.registration_id
                for r in order.registrations_of(person_id)
                if order.registration_status[r.registration_id] is RegistrationStatus.ACTIVE
            }
            covering = [
                t
                for t in self._tickets_for(order.period_id, person_id)
                if active & {c.registration_id for c in t.registrations}
            ]
            if len(covering) == 1:
                uncovered = active - {c.registration_id for c in covering[0].registrations}
                if uncovered:
                    yield Violation(
                        Invariant.PAID_PERSONS_TICKETED,
                        str(order.id),
                        f"order {order.id} is PAID, but ticket {covering[0].id} of person "
                        f"{person_id} does not cover registrations "
                        + ", ".join(map(str, sorted(uncovered))),
                    )
            elif len(covering) > 1:
                yield Violation(
                    Invariant.PAID_PERSONS_TICKETED,
                    str(order.id),
                    f"order {order.id} is PAID, and person {person_id} is covered by "
                    f"{len(covering)} tickets: " + ", ".join(str(t.id) for t in covering),
                )
            elif active and not self._waits_for_profile(person_id, order):
                yield Violation(
                    Invariant.PAID_PERSONS_TICKETED,
                    str(order.id),
                    f"order {order.id} is PAID, but person {person_id} has no ticket of period "
                    f"{order.period_id} covering it, and none waits for their profile",
                )

    def _waits_for_profile(self, person_id: UUID, order: Order) -> bool:
        pending = self._rebuilt.find(PendingTickets.id_for(person_id), PendingTickets)
        return pending is not None and (order.period_id, order.id) in pending.pending

    def _active_tickets(self) -> Iterator[Violation]:
        for ticket in self._rebuilt.every(Ticket):
            if ticket.status is not TicketStatus.ACTIVE:
                continue
            if ticket.token is None:
                yield Violation(
                    Invariant.TOKEN_HASHES_MATCH,
                    str(ticket.id),
                    f"ticket {ticket.id} is ACTIVE but has no token recorded",
                )
                continue
            if self._tokens.current(ticket) is None:
                yield Violation(
                    Invariant.TOKEN_HASHES_MATCH,
                    str(ticket.id),
                    f"ticket {ticket.id}: the recorded hash of token version "
                    f"{ticket.token.version} is not the hash of the token derived from its "
                    "recorded fields",
                )
            if not (ticket.emails or self._email_pending(ticket.id)):
                yield Violation(
                    Invariant.TICKETS_EMAILED,
                    str(ticket.id),
                    f"ticket {ticket.id} was never emailed, and no email of it is pending",
                )

    def _email_pending(self, ticket_id: UUID) -> bool:
        return ticket_id in self._tokens_unread or ticket_id in self._emails_pending

    def _violate(self, invariant: Invariant, subject: str, detail: str) -> None:
        self._found.append(Violation(invariant, subject, detail))


def _not_in(order: Order, status: RegistrationStatus) -> list[str]:
    """The order's registrations (as text) whose status is not ``status``."""
    return [str(r) for r, s in order.registration_status.items() if s is not status]
