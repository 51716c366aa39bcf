"""How events are stored: the msgspec JSON of each event's dataclass, decoded into real types."""

from __future__ import annotations

import functools
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic


class MsgspecMapper(Mapper[UUID]):
    """Stores each event as the msgspec JSON of its dataclass, and decodes it into real types.

    Faster than the library's JSON transcoder (bench/RESULTS.md), and dates, enums and nested
    values come back as themselves, not as strings.
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=_encoder().encode(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event: DomainEventProtocol[UUID] = _decoder(resolve_topic(stored_event.topic)).decode(
            stored_event.state
        )
        return event


@functools.cache
def _encoder() -> msgspec.json.Encoder:
    return msgspec.json.Encoder()


@functools.cache
def _decoder(event_class: type[Any]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(event_class)
