"""Every recorded event says who or what caused it, under a topic of its own, without secrets."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import typing

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic

import domain
from application.audit.auditing import AGGREGATES, event_classes, event_topics
from domain.order import Order
from domain.shared import Cause
from domain.ticket import Ticket

pytestmark = pytest.mark.unit

# A field that could hold a token or a secret; a token's hash or version is fine.
SECRET_LIKE = re.compile(r"(^|_)(token|secret|password|jwt|key)($|_)")
HARMLESS = re.compile(r"(hash|version|_id|kid)$")


def test_the_domain_has_the_events_we_know_of() -> None:
    classes = event_classes()

    assert {Order.Placed, Order.PaymentReceived, Ticket.Issued, Ticket.QrTokenIssued} <= set(
        classes
    )
    assert len(classes) >= 20


def test_the_registry_lists_every_aggregate_of_the_domain() -> None:
    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(domain.__path__, f"{domain.__name__}.")
    ]
    defined = {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Aggregate)
        and value.__module__ == module.__name__
    }

    assert set(AGGREGATES) == defined
    assert len(AGGREGATES) == len(defined)


@pytest.mark.parametrize("event_class", event_classes(), ids=lambda cls: cls.__qualname__)
def test_every_event_class_carries_its_cause(event_class: type) -> None:
    fields = {field.name: field for field in dataclasses.fields(event_class)}

    assert "cause" in fields, f"{event_class.__qualname__} records no cause"
    hints = typing.get_type_hints(event_class)
    assert hints["cause"] is Cause
    assert "timestamp" in fields


@pytest.mark.parametrize("event_class", event_classes(), ids=lambda cls: cls.__qualname__)
def test_every_recorded_event_has_a_stable_topic_of_its_own(event_class: type) -> None:
    if "TOPIC" not in vars(event_class):
        # Only the abstract bases (an aggregate's Event, Created) may go without: never recorded.
        assert event_class.__name__ in ("Event", "Created"), event_class.__qualname__
        return
    topic = get_topic(event_class)

    assert topic == vars(event_class)["TOPIC"]
    assert topic == f"tickets:{event_class.__qualname__}"
    assert resolve_topic(topic) is event_class


def test_no_two_event_classes_share_a_topic() -> None:
    topics = [get_topic(cls) for cls in event_classes() if "TOPIC" in vars(cls)]

    assert len(topics) == len(set(topics))
    assert set(topics) == event_topics()


@pytest.mark.parametrize("event_class", event_classes(), ids=lambda cls: cls.__qualname__)
def test_no_event_has_a_field_for_a_token_or_a_secret(event_class: type) -> None:
    names = [field.name for field in dataclasses.fields(event_class)]

    suspicious = [n for n in names if SECRET_LIKE.search(n) and not HARMLESS.search(n)]

    assert suspicious == []


def test_the_secret_check_would_see_a_token_field() -> None:
    assert SECRET_LIKE.search("qr_token") and not HARMLESS.search("qr_token")
    assert SECRET_LIKE.search("token_hash") and HARMLESS.search("token_hash")
    assert SECRET_LIKE.search("signing_secret") and not HARMLESS.search("signing_secret")
