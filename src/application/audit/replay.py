"""The auditors' replay: the whole log read in pages, read models rebuilt apart and compared."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from application.audit.digest import Progress
from application.audit.invariants import Invariant, InvariantChecker, Violation
from application.store import TicketStore
from application.worker.following import PageFollower, ReadModel

SHOWN_DIFFERENCES = 5  # per read model: enough to see what is wrong, short enough to read


@dataclass(frozen=True)
class ReadModelCheck:
    name: str
    equal: bool
    detail: str
    rebuilt: bool = False  # the live view was replaced with the rebuilt one


@dataclass(frozen=True)
class ReplayReport:
    events: int
    upto: int  # the last notification id read
    read_seconds: float  # reading, decoding, applying and rebuilding
    check_seconds: float  # judging the rebuilt state, comparing the read models
    violations: tuple[Violation, ...]
    read_models: tuple[ReadModelCheck, ...]

    @property
    def ok(self) -> bool:
        """Every invariant holds, and every live read model equals the log's (or now does)."""
        return not self.violations and all(m.equal or m.rebuilt for m in self.read_models)

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.check_seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def broken(self) -> tuple[Invariant, ...]:
        """The invariants violated, each once, in the order of the rules."""
        names = {v.invariant for v in self.violations}
        return tuple(i for i in Invariant if i in names)


def replay(
    store: TicketStore,
    checker: InvariantChecker,
    read_models: Sequence[ReadModel],
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    page_size: int = 2000,
) -> ReplayReport:
    """Reads the log from the start up to its last event now, never all of it in memory."""
    started = time.perf_counter()
    upto = store.recorder.max_notification_id() or 0
    scratches = [(live, live.scratch()) for live in read_models]
    try:
        feeds = [_Feed(scratch, page_size) for _, scratch in scratches]
        events = 0
        for notification in store.notifications(page_size=page_size):
            if notification.id > upto:
                break
            events += 1
            if progress is not None and events % page_size == 0:
                progress(notification.id, upto)
            try:
                event = store.decode(notification)
            except Exception as error:  # a payload that no longer decodes is a finding
                checker.unreadable(notification, error)
                continue
            checker.observe(notification, event)
            for feed in feeds:
                feed.take(notification, event)
        for feed in feeds:
            feed.flush()
        if progress is not None:
            progress(upto, upto)
        read = time.perf_counter()
        violations = tuple(checker.finish())
        checks = []
        for live, scratch in scratches:
            check = _compare(store, live, scratch, upto)
            if rebuild:
                live.replace_with(scratch)
                check = ReadModelCheck(check.name, check.equal, check.detail, rebuilt=True)
            checks.append(check)
    finally:
        for _, scratch in scratches:
            scratch.close()  # a scratch on disk deletes its file
    return ReplayReport(
        events=events,
        upto=upto,
        read_seconds=read - started,
        check_seconds=time.perf_counter() - read,
        violations=violations,
        read_models=tuple(checks),
    )


class _Feed:
    """Hands a scratch read model the events of its topics: a page at a time where it takes
    pages (one transaction each, for a scratch on disk), else one by one."""

    def __init__(self, model: ReadModel, page_size: int) -> None:
        self._model = model
        self._topics = frozenset(model.topics)  # empty: every topic
        self._pages = model if isinstance(model, PageFollower) else None
        self._page: list[tuple[Notification, Any]] = []
        self._size = page_size

    def take(self, notification: Notification, event: Any) -> None:
        if self._topics and notification.topic not in self._topics:
            return
        if self._pages is None:
            self._model.handle(notification, event)
            return
        self._page.append((notification, event))
        if len(self._page) >= self._size:
            self.flush()

    def flush(self) -> None:
        if self._pages is not None and self._page:
            self._pages.handle_page(self._page)
            self._page = []


def _compare(store: TicketStore, live: ReadModel, scratch: ReadModel, upto: int) -> ReadModelCheck:
    live_position = live.position()
    if live_position > upto:
        # The worker moved on while we read: bring the copy to the same place first.
        for notification in store.notifications(start=upto + 1, topics=scratch.topics):
            if notification.id > live_position:
                break
            scratch.handle(notification, store.decode(notification))
    elif live_position < scratch.position():
        return ReadModelCheck(
            live.name,
            False,
            f"behind the log: it has read up to {live_position}, the log has "
            f"{scratch.position()} for it (is the worker running?)",
        )
    shown: list[str] = []
    count = 0
    for difference in _differences(live.entries(), scratch.entries()):
        count += 1
        if len(shown) < SHOWN_DIFFERENCES:
            shown.append(difference)
    if not count:
        return ReadModelCheck(live.name, True, "equal to the one rebuilt from the log")
    more = count - len(shown)
    return ReadModelCheck(
        live.name,
        False,
        f"{count} entries differ from the log's: {'; '.join(shown)}"
        + (f"; and {more} more" if more > 0 else ""),
    )


def _differences(
    live: Iterator[tuple[str, Any]], rebuilt: Iterator[tuple[str, Any]]
) -> Iterator[str]:
    """The entries that differ, walking both views side by side in key order: memory stays
    that of one entry of each, however big the views are."""
    left, right = next(live, None), next(rebuilt, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left[0] < right[0]):
            assert left is not None
            yield _difference(left[0], left[1], _MISSING)
            left = next(live, None)
        elif left is None or right[0] < left[0]:
            yield _difference(right[0], _MISSING, right[1])
            right = next(rebuilt, None)
        else:
            if left[1] != right[1]:
                yield _difference(left[0], left[1], right[1])
            left, right = next(live, None), next(rebuilt, None)


def _difference(key: str, live: Any, rebuilt: Any) -> str:
    if live is _MISSING:
        return f"{key} is missing from the live one"
    if rebuilt is _MISSING:
        return f"{key} is in the live one only"
    return f"{key} is {live!r} live, {rebuilt!r} rebuilt"


_MISSING: Any = object()
