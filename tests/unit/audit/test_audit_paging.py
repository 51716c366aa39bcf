"""An aggregate's events a page at a time: in order, a cursor that survives new events."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.alerts.alerts import new_alert
from application.errors import InvalidQuery, NotFound
from domain.alert import Alert, AlertKind
from domain.shared import SYSTEM
from tests.support.fakes import ADMIN_CAUSE, Wired, wire

pytestmark = pytest.mark.unit


def alert_with_events(wired: Wired) -> Alert:
    """An alert raised and acknowledged: two events (version 1 and 2)."""
    alert = new_alert(AlertKind.UNKNOWN_ORDER, "look", subject="x", cause=SYSTEM)
    wired.services.alerts.raise_now(alert)
    wired.services.alert_board.acknowledge(alert.id, ADMIN_CAUSE)
    return alert


def test_pages_follow_each_other_in_order_and_the_last_has_no_cursor() -> None:
    wired = wire()
    alert = alert_with_events(wired)
    audit = wired.services.audit

    first, cursor = audit.history_page(alert.id, limit=1)
    second, last = audit.history_page(alert.id, cursor=cursor, limit=1)

    assert [e.version for e in first] == [1] and cursor == "1"
    assert [e.type for e in second] == ["Alert.Acknowledged"] and last is None
    everything, none = audit.history_page(alert.id)
    assert [e.version for e in everything] == [1, 2] and none is None
    assert audit.history_page(alert.id, limit=2)[1] is None  # exactly full: the last page


def test_a_cursor_past_the_end_is_an_empty_page_not_a_404() -> None:
    wired = wire()
    alert = alert_with_events(wired)

    assert wired.services.audit.history_page(alert.id, cursor="2") == ([], None)


def test_unknown_aggregates_and_unusable_queries() -> None:
    audit = wire().services.audit

    with pytest.raises(NotFound) as missing:
        audit.history_page(uuid4())
    assert missing.value.code == "aggregate_not_found"
    with pytest.raises(NotFound):
        audit.history_page(uuid4(), cursor="3")
    for query, code in (({"limit": 0}, "invalid_limit"), ({"cursor": "v2"}, "invalid_cursor")):
        with pytest.raises(InvalidQuery) as refused:
            audit.history_page(uuid4(), **query)  # type: ignore[arg-type]
        assert refused.value.code == code
