"""The admin alert list: a read model paged newest first, filtered, acknowledged."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from eventsourcing.persistence import Notification

from adapters.persistence.alert_list import MemoryAlertList
from application.alerts.alerts import new_alert
from application.alerts.board import AlertBoard
from application.alerts.ports import AlertQuery
from application.errors import InvalidQuery, NotFound
from domain.alert import Alert, AlertKind, AlertState, AlreadyAcknowledged
from domain.shared import SYSTEM
from tests.support.fakes import ADMIN_CAUSE, Wired, wire

pytestmark = pytest.mark.unit


# --- The aggregate ---------------------------------------------------------------------------


def raised(kind: AlertKind = AlertKind.UNKNOWN_ORDER) -> Alert:
    return new_alert(kind, "something to look at", subject="order-1", cause=SYSTEM)


def test_acknowledging_records_who_did_it() -> None:
    alert = raised()

    alert.acknowledge(by="admin-1", cause=ADMIN_CAUSE)

    events = alert.collect_events()
    assert [type(e) for e in events] == [Alert.Raised, Alert.Acknowledged]
    acknowledged = events[-1]
    assert isinstance(acknowledged, Alert.Acknowledged)
    assert acknowledged.by == "admin-1" and acknowledged.cause == ADMIN_CAUSE
    assert alert.state is AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by == "admin-1"
    assert alert.acknowledged_at == acknowledged.timestamp


def test_an_acknowledged_alert_is_not_acknowledged_twice() -> None:
    alert = raised()
    alert.acknowledge(by="admin-1", cause=ADMIN_CAUSE)

    with pytest.raises(AlreadyAcknowledged):
        alert.acknowledge(by="admin-2", cause=ADMIN_CAUSE)
    assert alert.acknowledged_by == "admin-1"


# --- The use cases on the in-memory store and list -------------------------------------------


def follow(wired: Wired) -> None:
    """What the worker does for the read models: the log after each one's position."""
    store = wired.store
    for model in wired.services.read_models:
        for notification in store.notifications(start=model.position() + 1, topics=model.topics):
            model.handle(notification, store.decode(notification))


def raise_alerts(wired: Wired, *kinds: AlertKind) -> list[Alert]:
    alerts = []
    for kind in kinds:
        alert = raised(kind)
        wired.services.alerts.raise_now(alert)
        wired.clock.advance(seconds=60)
        alerts.append(alert)
    return alerts


@pytest.fixture
def wired() -> Wired:
    return wire()


def board(wired: Wired) -> AlertBoard:
    return wired.services.alert_board


def test_pages_run_newest_first_and_the_last_one_has_no_cursor(wired: Wired) -> None:
    alerts = raise_alerts(wired, *[AlertKind.UNKNOWN_ORDER] * 5)
    follow(wired)
    newest_first = [a.id for a in reversed(alerts)]

    first = board(wired).page(limit=2)
    second = board(wired).page(limit=2, cursor=first.next_cursor)
    last = board(wired).page(limit=2, cursor=second.next_cursor)

    assert [a.alert_id for a in first.items] == newest_first[:2]
    assert [a.alert_id for a in second.items] == newest_first[2:4]
    assert [a.alert_id for a in last.items] == newest_first[4:]
    assert last.next_cursor is None
    assert board(wired).page(limit=5).next_cursor is None  # exactly full: still the last
    assert board(wired).page().items[0].state == "open"


def test_a_cursor_stays_valid_while_new_alerts_arrive(wired: Wired) -> None:
    alerts = raise_alerts(wired, *[AlertKind.UNKNOWN_ORDER] * 3)
    follow(wired)
    first = board(wired).page(limit=2)
    raise_alerts(wired, AlertKind.PAYMENT_MISMATCH)
    follow(wired)

    rest = board(wired).page(limit=2, cursor=first.next_cursor)

    assert [a.alert_id for a in rest.items] == [alerts[0].id]


def test_filters_by_kind_state_and_time(wired: Wired) -> None:
    (mismatch,) = raise_alerts(wired, AlertKind.PAYMENT_MISMATCH)
    time.sleep(0.002)
    between = datetime.now(UTC)  # events are stamped by the store's clock: the real one
    unknown, failed = raise_alerts(wired, AlertKind.UNKNOWN_ORDER, AlertKind.EMAIL_FAILED)
    board(wired).acknowledge(unknown.id, ADMIN_CAUSE)
    follow(wired)

    def ids(**filters: object) -> list[object]:
        return [a.alert_id for a in board(wired).page(**filters).items]  # type: ignore[arg-type]

    assert ids(kind="payment_mismatch") == [mismatch.id]
    assert ids(state="acknowledged") == [unknown.id]
    assert ids(state="open") == [failed.id, mismatch.id]
    assert ids(since=between) == [failed.id, unknown.id]
    assert ids(since=between.replace(tzinfo=None)) == [failed.id, unknown.id]  # naive: UTC
    assert ids(since=between.astimezone(timezone(timedelta(hours=2)))) == [failed.id, unknown.id]
    assert ids(kind="payment_mismatch", state="acknowledged") == []
    assert ids(kind="no_such_kind") == []


def test_acknowledging_answers_the_alert_and_records_one_event(wired: Wired) -> None:
    (alert,) = raise_alerts(wired, AlertKind.PARTIAL_REFUND)

    answered = board(wired).acknowledge(alert.id, ADMIN_CAUSE)
    again = board(wired).acknowledge(alert.id, ADMIN_CAUSE)

    assert answered.state == again.state == "acknowledged"
    assert answered.alert_id == alert.id and answered.kind == "partial_refund"
    events = list(wired.store.events.get(alert.id))
    assert [type(e).__name__ for e in events] == ["Raised", "Acknowledged"]
    follow(wired)
    assert board(wired).page().items[0].state == "acknowledged"


def test_an_unknown_alert_is_not_found(wired: Wired) -> None:
    with pytest.raises(NotFound) as error:
        board(wired).acknowledge(uuid4(), ADMIN_CAUSE)
    assert error.value.code == "alert_not_found"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": 0}, "invalid_limit"),
        ({"limit": 201}, "invalid_limit"),
        ({"cursor": "abc"}, "invalid_cursor"),
        ({"cursor": "-1"}, "invalid_cursor"),
        ({"cursor": "9" * 40}, "invalid_cursor"),
        ({"state": "closed"}, "invalid_state"),
    ],
)
def test_unusable_queries_are_refused(wired: Wired, query: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidQuery) as error:
        board(wired).page(**query)  # type: ignore[arg-type]
    assert error.value.code == code


# --- The projection --------------------------------------------------------------------------


def test_the_list_follows_raised_and_acknowledged_events_once(wired: Wired) -> None:
    (alert,) = raise_alerts(wired, AlertKind.UNKNOWN_ORDER)
    board(wired).acknowledge(alert.id, ADMIN_CAUSE)
    listing = MemoryAlertList()
    store = wired.store
    notifications: list[Notification] = list(store.notifications(topics=listing.topics))

    for notification in notifications * 2:  # at least once: a second delivery changes nothing
        listing.handle(notification, store.decode(notification))

    rows = listing.state()
    assert list(rows) == [str(alert.id)]
    row = rows[str(alert.id)]
    assert row["state"] == "acknowledged" and row["acknowledged_by"] == "admin-1"
    assert row["position"] == notifications[0].id
    assert listing.position() == notifications[-1].id
    assert listing.page(AlertQuery(limit=10))[0].alert.subject == "order-1"


def test_times_at_the_ends_of_the_calendar_are_answered(wired: Wired) -> None:
    raise_alerts(wired, AlertKind.UNKNOWN_ORDER)
    follow(wired)
    plus_one = timezone(timedelta(hours=1))
    minus_one = timezone(timedelta(hours=-1))

    assert len(board(wired).page(since=datetime(1, 1, 1, tzinfo=plus_one)).items) == 1
    assert len(board(wired).page(since=datetime(999, 1, 1, tzinfo=UTC)).items) == 1
    assert board(wired).page(since=datetime(9999, 12, 31, 23, 59, tzinfo=minus_one)).items == ()
