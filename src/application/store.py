"""The event-sourced application: one event store for every aggregate, saved atomically."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol, TypeVar, TypeVarTuple, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    Recording,
)

from application.errors import Busy, StoreUnavailable

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
Ts = TypeVarTuple("Ts")

CONFLICT_RETRIES = 8


@runtime_checkable
class HoldsConnection(Protocol):
    """A persistence factory that can keep one connection for a thread's block of work."""

    def holding(self) -> AbstractContextManager[None]: ...


class TicketStore(Application[UUID]):
    """Every state change of the service is an event recorded here, and only here."""

    name = "tickets"  # names the tables: pinned forever

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self._saved_listeners: list[Callable[[Sequence[Any]], None]] = []
        # Known once: a runtime Protocol isinstance check walks its members every time
        # (a visible share of a ticket request in profiles: bench/RESULTS.md).
        self._holder = self.factory if isinstance(self.factory, HoldsConnection) else None

    def on_saved(self, listener: Callable[[Sequence[Any]], None]) -> None:
        """Calls ``listener`` with the events of every save once they are recorded (metrics)."""
        self._saved_listeners.append(listener)

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        if self._saved_listeners:
            events = [recording.domain_event for recording in recordings]
            for listener in self._saved_listeners:
                try:
                    listener(events)
                except Exception:  # counting must never undo or fail a recorded save
                    log.exception("a listener of saved events failed")
        return recordings

    def one_connection(self) -> AbstractContextManager[None]:
        """The block's reads and save share one database connection (where there is a pool).

        A use case's loads and its save are several round trips each needing a connection;
        one checkout for all of them saves a pool check per load. Nothing else changes.
        """
        return self._holder.holding() if self._holder is not None else nullcontext()

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, projector_func=_project)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        """An aggregate that must exist: its absence is a broken invariant, not a user error."""
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            raise LookupError(f"{cls.__name__} {aggregate_id} is not recorded")
        return aggregate

    def notifications(
        self, start: int = 1, page_size: int = 500, topics: tuple[str, ...] = ()
    ) -> Iterator[Notification]:
        """The whole log from ``start`` in order, read a page at a time."""
        while True:
            page = self.recorder.select_notifications(start=start, limit=page_size, topics=topics)
            yield from page
            if len(page) < page_size:
                return
            start = page[-1].id + 1

    def decode(self, notification: Notification) -> Any:
        return self.mapper.to_domain_event(notification)


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector without its per-event Protocol ``isinstance`` assertion, a
    visible share of a ticket request in profiles: every recorded event is an
    ``Aggregate.Event`` already."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def retry_on_conflict(
    command: Callable[[*Ts], R], *args: *Ts, attempts: int = CONFLICT_RETRIES
) -> R:
    """Runs ``command(*args)``, which loads, decides and saves, again from a fresh load on a
    conflict.

    A conflict means another writer recorded first (a duplicate delivery, a racing order); the
    library has already discarded our pending events, so the whole command must run again.
    """
    for _ in range(attempts - 1):
        try:
            return command(*args)
        except IntegrityError:
            continue
    try:
        return command(*args)
    except IntegrityError:
        raise Busy("concurrent updates kept conflicting; try again") from None


def is_outage(error: BaseException) -> bool:
    """The database did not answer (or not in time): nothing is wrong with the work itself."""
    return isinstance(error, StoreUnavailable | OperationalError | InterfaceError)
