"""The store's reads and save inside ``one_connection`` share one pooled connection."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.persistence.eventstore import migrate, open_store
from adapters.persistence.pg_connections import DeadlinePool
from adapters.persistence.store_config import StoreConfig
from application.store import TicketStore
from domain.payment import DeliveryOutcome, StripeDelivery
from domain.shared import Cause

pytestmark = pytest.mark.integration


def delivery(event_id: str) -> StripeDelivery:
    return StripeDelivery.record(
        stripe_event_id=event_id,
        event_type="checkout.session.completed",
        order_id=uuid.uuid4(),
        outcome=DeliveryOutcome.FULFILLED,
        cause=Cause(actor="stripe", reference=event_id),
    )


def checkouts(store: TicketStore) -> int:
    pool = store.factory.datastore.pool  # type: ignore[attr-defined]
    assert isinstance(pool, DeadlinePool)
    requests: int = pool.get_stats().get("requests_num", 0)
    return requests


@pytest.fixture
def store(database_url: str) -> Iterator[TicketStore]:
    config = StoreConfig(database_url)
    migrate(config)
    opened = open_store(config)
    yield opened
    opened.close()


def test_reads_and_save_in_the_block_are_saved_and_read_back(store: TicketStore) -> None:
    with store.one_connection():
        assert store.find(StripeDelivery, StripeDelivery.id_for("evt_a")) is None
        store.save(delivery("evt_a"))
        with store.one_connection():  # re-entrant
            found = store.find(StripeDelivery, StripeDelivery.id_for("evt_a"))
    assert found is not None
    assert store.find(StripeDelivery, StripeDelivery.id_for("evt_a")) is not None


def test_a_conflict_in_the_block_leaves_the_connection_usable(store: TicketStore) -> None:
    store.save(delivery("evt_b"))
    with pytest.raises(IntegrityError), store.one_connection():
        store.save(delivery("evt_b"))  # version 1 is recorded already
    with store.one_connection():
        assert store.find(StripeDelivery, StripeDelivery.id_for("evt_b")) is not None
        store.save(delivery("evt_c"))
    assert store.find(StripeDelivery, StripeDelivery.id_for("evt_c")) is not None


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_on_postgres_the_block_checks_out_one_connection(store: TicketStore) -> None:
    store.save(delivery("evt_warm"))
    before = checkouts(store)
    for name in ("evt_1", "evt_2", "evt_3"):
        store.find(StripeDelivery, StripeDelivery.id_for(name))
    assert checkouts(store) - before == 3  # outside: a checkout (and check) per read

    before = checkouts(store)
    with store.one_connection():
        for name in ("evt_1", "evt_2", "evt_3"):
            store.find(StripeDelivery, StripeDelivery.id_for(name))
        store.save(delivery("evt_1"))
    assert checkouts(store) - before == 1
