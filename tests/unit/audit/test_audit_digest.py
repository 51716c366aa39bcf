"""Tamper evidence: the SHA-256 chain over the log, its head, and its verification."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from uuid import uuid4

import pytest
from eventsourcing.persistence import Notification

from application.audit.digest import GENESIS, link
from tests.support.fakes import Wired, paid, place, put_profile, schedule, wire

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> Iterator[Wired]:
    wired = wire()
    schedule(wired)
    put_profile(wired, "ase")
    wired.services.stripe_events.handle(paid(place(wired, "ase", "salsa1")))
    yield wired
    wired.services.close()


def test_the_digest_is_the_chain_of_links_over_the_whole_log(world: Wired) -> None:
    head = GENESIS
    for notification in world.store.notifications():
        head = link(head, notification)

    digest = world.services.audit.digest()

    assert digest.head == head.hex()
    assert digest.upto == digest.events == world.notification_count()
    assert world.services.audit.digest() == digest  # the same log, the same head


def test_an_empty_log_has_the_genesis_head() -> None:
    wired = wire()

    digest = wired.services.audit.digest()

    assert (digest.head, digest.upto, digest.events) == (GENESIS.hex(), 0, 0)
    assert hashlib.sha256(b"salsanor-tickets audit chain v1").digest() == GENESIS


def test_a_recorded_digest_still_verifies_after_more_events(world: Wired) -> None:
    audit = world.services.audit
    recorded = audit.digest()
    put_profile(world, "bo")

    verdict = audit.verify(recorded.head, recorded.upto)

    assert verdict.ok, verdict.detail
    assert verdict.computed == recorded
    assert audit.digest().upto > recorded.upto
    assert audit.digest(upto=recorded.upto) == recorded


def test_another_head_does_not_verify(world: Wired) -> None:
    audit = world.services.audit
    recorded = audit.digest()

    verdict = audit.verify("ab" * 32, recorded.upto)

    assert not verdict.ok
    assert "do not give the recorded digest" in verdict.detail


def test_a_digest_beyond_the_end_of_the_log_does_not_verify(world: Wired) -> None:
    audit = world.services.audit
    recorded = audit.digest()

    verdict = audit.verify(recorded.head, recorded.upto + 1)

    assert not verdict.ok
    assert f"no event {recorded.upto + 1}" in verdict.detail


def test_the_head_may_be_given_in_capitals_and_with_spaces(world: Wired) -> None:
    recorded = world.services.audit.digest()

    assert world.services.audit.verify(f" {recorded.head.upper()}\n", recorded.upto).ok


def test_every_stored_field_of_an_event_changes_its_link(world: Wired) -> None:
    notification = next(iter(world.store.notifications()))
    base = link(GENESIS, notification)
    changed: list[Notification] = [
        replace(notification, id=notification.id + 1),
        replace(notification, topic=notification.topic + "x"),
        replace(notification, originator_id=uuid4()),
        replace(notification, originator_version=notification.originator_version + 1),
        replace(notification, state=notification.state.replace(b"2026", b"2027", 1)),
        replace(notification, state=notification.state + b" "),
    ]

    links = {link(GENESIS, n) for n in changed}

    assert base not in links and len(links) == len(changed)
    assert link(hashlib.sha256(b"another previous").digest(), notification) != base
