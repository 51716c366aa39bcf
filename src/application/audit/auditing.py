"""Auditors' use cases: an aggregate's history and past states, replay, export, digests."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

from application.audit.digest import Digest, Progress, Verification, chain, verify
from application.audit.invariants import InvariantChecker, QueuedTicketEmails
from application.audit.replay import ReplayReport, replay
from application.errors import (
    AGGREGATE_NOT_FOUND,
    NOT_YET_RECORDED,
    VERSION_NOT_FOUND,
    ApplicationError,
)
from application.paging import MAX_PAGE, check_limit, parse_cursor
from application.store import TicketStore
from application.tickets.tokens import TokenIssuer
from application.worker.following import ReadModel
from application.worker.ports import FollowerStore
from domain.alert import Alert
from domain.device import Device, DeviceRegistry, Pairing
from domain.order import Order
from domain.payment import OrderPaymentIntent, StripeDelivery
from domain.period import Period, PeriodCode
from domain.person import Person
from domain.scan import Scan
from domain.ticket import PendingTickets, Ticket

TOPIC_PREFIX = "tickets:"
# Every aggregate the service records; its event classes are the ones it declares inside it.
# A new aggregate is listed here (tests/unit/test_audit_events.py fails if one is missing).
AGGREGATES: tuple[type[Aggregate], ...] = (
    Period,
    PeriodCode,
    Person,
    Order,
    OrderPaymentIntent,
    StripeDelivery,
    Ticket,
    PendingTickets,
    Scan,
    Alert,
    Device,
    Pairing,
    DeviceRegistry,
)
# Shown beside an event's data, not in it: where it belongs, when, and its cause.
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "cause"})


class UnknownEventType(ApplicationError):
    """Raised when an export asks for an event type the domain does not have."""

    code = "unknown_event_type"


@dataclass(frozen=True)
class AuditEvent:
    """One recorded event as an auditor reads it; ``data`` holds domain values, not JSON."""

    aggregate_id: UUID
    version: int
    topic: str
    timestamp: datetime
    actor: str
    reference: str | None
    data: dict[str, Any]
    position: int | None = None  # its notification id, when read from the log
    request_id: str | None = None  # the HTTP request that caused it, where known

    @property
    def type(self) -> str:
        return self.topic.removeprefix(TOPIC_PREFIX)

    @classmethod
    def of(cls, event: Any, position: int | None = None) -> AuditEvent:
        cause = getattr(event, "cause", None)
        return cls(
            aggregate_id=event.originator_id,
            version=event.originator_version,
            topic=get_topic(type(event)),
            timestamp=event.timestamp,
            actor=cause.actor if cause is not None else "unknown",
            reference=cause.reference if cause is not None else None,
            request_id=getattr(cause, "request_id", None),
            data={
                f.name: getattr(event, f.name)
                for f in dataclasses.fields(event)
                if f.name not in ENVELOPE
            },
            position=position,
        )


@dataclass(frozen=True)
class PastState:
    """An aggregate as it was at one version: its attributes, as the domain keeps them."""

    aggregate_id: UUID
    aggregate_type: str
    version: int
    latest_version: int
    created_on: datetime
    modified_on: datetime
    state: dict[str, Any]


class Audit:
    def __init__(self, store: TicketStore, tokens: TokenIssuer) -> None:
        self._store = store
        self._tokens = tokens

    def history(self, aggregate_id: UUID) -> list[AuditEvent]:
        """Every event of one aggregate, in order."""
        events = [AuditEvent.of(event) for event in self._store.events.get(aggregate_id)]
        if not events:
            raise AGGREGATE_NOT_FOUND(f"nothing is recorded for {aggregate_id}")
        return events

    def history_page(
        self, aggregate_id: UUID, *, cursor: str | None = None, limit: int = MAX_PAGE
    ) -> tuple[list[AuditEvent], str | None]:
        """A page of one aggregate's events in order, and the cursor of the next (None: last).

        The cursor is the last version shown, so it stays valid while the aggregate grows.
        """
        check_limit(limit)
        after = parse_cursor(cursor)
        events = [
            AuditEvent.of(event)
            for event in self._store.events.get(aggregate_id, gt=after, limit=limit + 1)
        ]
        if not events and (after is None or not list(self._store.events.get(aggregate_id))):
            raise AGGREGATE_NOT_FOUND(f"nothing is recorded for {aggregate_id}")
        shown = events[:limit]
        return shown, str(shown[-1].version) if len(events) > limit else None

    def state_at(
        self, aggregate_id: UUID, *, version: int | None = None, at: datetime | None = None
    ) -> PastState:
        """The aggregate at ``version``, or as it was at the moment ``at`` (else: now)."""
        history = self.history(aggregate_id)
        latest = history[-1].version
        moment = _aware(at)
        if moment is not None:
            earlier = [e.version for e in history if e.timestamp <= moment]
            if not earlier:
                raise NOT_YET_RECORDED(
                    f"{aggregate_id} was first recorded at {history[0].timestamp.isoformat()}, "
                    f"after {moment.isoformat()}"
                )
            version = earlier[-1]
        version = latest if version is None else version
        if not 1 <= version <= latest:
            raise VERSION_NOT_FOUND(f"{aggregate_id} has versions 1 to {latest}, not {version}")
        try:
            aggregate: Aggregate = self._store.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:  # removed from the store while we looked
            raise AGGREGATE_NOT_FOUND(f"nothing is recorded for {aggregate_id}") from None
        return PastState(
            aggregate_id=aggregate_id,
            aggregate_type=type(aggregate).__name__,
            version=aggregate.version,
            latest_version=latest,
            created_on=aggregate.created_on,
            modified_on=aggregate.modified_on,
            state={k: v for k, v in vars(aggregate).items() if not k.startswith("_")},
        )

    def export(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        types: Sequence[str] = (),
        page_size: int = 1000,
    ) -> Iterator[AuditEvent]:
        """The log's events in order, a page at a time; ``since`` inclusive, ``until`` not."""
        topics = tuple(dict.fromkeys(topic_of(name) for name in types))
        since, until = _aware(since), _aware(until)
        for notification in self._store.notifications(page_size=page_size, topics=topics):
            event = self._store.decode(notification)
            if since is not None and event.timestamp < since:
                continue
            if until is not None and event.timestamp >= until:
                continue
            yield AuditEvent.of(event, notification.id)

    def replay(
        self,
        read_models: Sequence[ReadModel] = (),
        *,
        follower_store: FollowerStore | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
        page_size: int = 2000,
    ) -> ReplayReport:
        """Reads the whole log: rebuilds every read model apart and checks the invariants.

        ``follower_store`` holds the email worker's backlog: a ticket whose email is queued
        there (or not read yet) was not forgotten. Without it only a recorded ``Emailed`` counts.
        """
        emails = QueuedTicketEmails(follower_store) if follower_store is not None else None
        return replay(
            self._store,
            InvariantChecker(self._tokens, emails),
            read_models,
            rebuild=rebuild,
            progress=progress,
            page_size=page_size,
        )

    def digest(self, *, upto: int | None = None, progress: Progress | None = None) -> Digest:
        """The head of the SHA-256 chain over the log up to ``upto`` (else: all of it)."""
        return chain(self._store, upto=upto, progress=progress)

    def verify(self, head: str, upto: int, *, progress: Progress | None = None) -> Verification:
        """Whether the log up to ``upto`` still gives the head an auditor recorded."""
        return verify(self._store, head, upto, progress=progress)


def _aware(moment: datetime | None) -> datetime | None:
    """A moment without a timezone is taken as UTC, the timezone of every recorded time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def topic_of(name: str) -> str:
    """The topic of an event type given as a topic or as a name (``Order.PaymentReceived``)."""
    topic = name if ":" in name else TOPIC_PREFIX + name
    if topic not in event_topics():
        known = sorted(t.removeprefix(TOPIC_PREFIX) for t in event_topics())
        raise UnknownEventType(f"no event type {name!r}; known: {', '.join(known)}")
    return topic


def event_classes() -> tuple[type[Any], ...]:
    """Every event class of the domain: those declared inside each aggregate, in order."""
    return tuple(
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate)
    )


@functools.cache
def event_topics() -> frozenset[str]:
    """The topics events are recorded under (classes with a ``TOPIC`` of their own)."""
    return frozenset(get_topic(cls) for cls in event_classes() if "TOPIC" in vars(cls))
