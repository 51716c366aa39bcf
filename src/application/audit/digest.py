"""Tamper evidence: a running SHA-256 chain over the event log, and its verification."""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification

from application.store import TicketStore

# Called with (the last notification id read, the last id there is to read).
Progress = Callable[[int, int], None]

# The chain's first "previous digest": a fixed label, so that chains of other logs differ.
GENESIS = hashlib.sha256(b"salsanor-tickets audit chain v1").digest()
PAGE_SIZE = 2000


@dataclass(frozen=True)
class Digest:
    """The chain's head after the event at notification ``upto`` (0 and GENESIS: none)."""

    head: str
    upto: int
    events: int


@dataclass(frozen=True)
class Verification:
    ok: bool
    detail: str
    computed: Digest


def link(previous: bytes, notification: Notification) -> bytes:
    """The next digest: over the previous one and every stored field of the event.

    Each variable-length field is length-prefixed, so that no two different events can
    serialize to the same bytes.
    """
    originator = notification.originator_id
    originator_bytes = (
        originator.bytes if isinstance(originator, UUID) else str(originator).encode()
    )
    topic = notification.topic.encode()
    state = bytes(notification.state)
    digest = hashlib.sha256(previous)
    digest.update(struct.pack(">QI", notification.id, len(topic)))
    digest.update(topic)
    digest.update(struct.pack(">I", len(originator_bytes)))
    digest.update(originator_bytes)
    digest.update(struct.pack(">QQ", notification.originator_version, len(state)))
    digest.update(state)
    return digest.digest()


def chain(
    store: TicketStore, *, upto: int | None = None, progress: Progress | None = None
) -> Digest:
    """The chain over the log, in order, up to notification ``upto`` (else: the whole log)."""
    last = store.recorder.max_notification_id() or 0
    upto = last if upto is None else min(upto, last)
    head, covered, events = GENESIS, 0, 0
    for notification in store.notifications(page_size=PAGE_SIZE):
        if notification.id > upto:
            break
        head = link(head, notification)
        covered, events = notification.id, events + 1
        if progress is not None and events % PAGE_SIZE == 0:
            progress(covered, upto)
    if progress is not None:
        progress(upto, upto)
    return Digest(head.hex(), covered, events)


def verify(
    store: TicketStore, head: str, upto: int, *, progress: Progress | None = None
) -> Verification:
    computed = chain(store, upto=upto, progress=progress)
    if computed.upto != upto:
        return Verification(
            False,
            f"the log has no event {upto} any more (it ends at {computed.upto}): "
            "recorded events were removed",
            computed,
        )
    if not hmac.compare_digest(computed.head.encode(), head.strip().lower().encode()):
        return Verification(
            False,
            f"the {computed.events} events up to {upto} do not give the recorded digest: "
            "an event was changed, removed or inserted",
            computed,
        )
    return Verification(
        True, f"the {computed.events} events up to {upto} are as they were recorded", computed
    )
