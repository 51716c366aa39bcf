"""The admins' alert list: paged from its read model, acknowledged on the aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from application.alerts.alerts import notice_of
from application.alerts.ports import AlertListing, AlertNotice, AlertQuery
from application.errors import ALERT_NOT_FOUND, INVALID_STATE
from application.paging import check_limit, parse_cursor
from application.store import TicketStore, retry_on_conflict
from domain.alert import Alert, AlertState
from domain.shared import Cause

DEFAULT_PAGE = 50
STATES = tuple(state.value for state in AlertState)


@dataclass(frozen=True)
class AlertPage:
    items: tuple[AlertNotice, ...]
    next_cursor: str | None  # None on the last page


class AlertBoard:
    def __init__(self, store: TicketStore, listing: AlertListing) -> None:
        self._store = store
        self._listing = listing

    def page(
        self,
        *,
        limit: int = DEFAULT_PAGE,
        cursor: str | None = None,
        kind: str | None = None,
        state: str | None = None,
        since: datetime | None = None,
    ) -> AlertPage:
        """Newest first; ``cursor`` is the previous page's ``next_cursor``."""
        check_limit(limit)
        if state is not None and state not in STATES:
            raise INVALID_STATE(f"state must be one of {', '.join(STATES)}")
        if since is not None:
            since = _in_utc(since)
        rows = self._listing.page(
            AlertQuery(limit + 1, kind or None, state, since, before=parse_cursor(cursor))
        )
        shown = rows[:limit]
        more = len(rows) > limit
        return AlertPage(
            tuple(row.alert for row in shown), str(shown[-1].position) if more else None
        )

    def acknowledge(self, alert_id: UUID, cause: Cause) -> AlertNotice:
        """Records who acknowledged it; acknowledging it again changes nothing."""

        def command() -> AlertNotice:
            alert = self._store.find(Alert, alert_id)
            if alert is None:
                raise ALERT_NOT_FOUND(f"no alert {alert_id}")
            if alert.state is AlertState.OPEN:
                alert.acknowledge(by=cause.actor, cause=cause)
                self._store.save(alert)
            return notice_of(alert)

        return retry_on_conflict(command)


def _in_utc(moment: datetime) -> datetime:
    """A time in UTC, every recorded time's zone; no zone means UTC. Clamped at the calendar's
    ends: ``0001-01-01T00:00:00+01:00`` lies before the first UTC moment Python can hold."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == datetime.min.year else datetime.max).replace(
            tzinfo=UTC
        )
