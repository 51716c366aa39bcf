"""Path and query parameters under their contract names: camelCase in the URL, snake_case in
handlers.

A route writes ``@get("/{ticketId:uuid}")`` and takes ``ticket_id: TicketIdPath``: the
OpenAPI document (and every client generated from it) then reads ``ticketId`` as API.md does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from litestar.openapi.spec import Example
from litestar.params import KwargDefinition, PathParameter, QueryParameter

from application.paging import MAX_PAGE

PeriodCodePath = Annotated[
    str,
    PathParameter(
        name="periodCode",
        description="The period's code, as scheduled by an admin.",
        examples=[Example(id="periodCode", value="2026-fall")],
    ),
]
TicketIdPath = Annotated[UUID, PathParameter(name="ticketId", description="The ticket's id.")]
OrderIdPath = Annotated[UUID, PathParameter(name="orderId", description="The order's id.")]
AggregateIdPath = Annotated[
    UUID,
    PathParameter(
        name="aggregateId", description="Any recorded aggregate: an order, a ticket, a person..."
    ),
]
AlertIdPath = Annotated[UUID, PathParameter(name="alertId", description="The alert's id.")]
DeviceIdPath = Annotated[UUID, PathParameter(name="deviceId", description="The device's id.")]
# Checked where it is used (application.door.undo): anything not a check-in id is unknown, 404.
CheckInIdPath = Annotated[
    str,
    PathParameter(
        name="checkInId",
        max_length=64,
        description="An ok answer's `checkInId`.",
        examples=[Example(id="checkInId", value="0b8f4c1e-5a52-5b6f-9b0e-2f1c3d4e5f60.7")],
    ),
]


def _page_limit(items: str) -> KwargDefinition:
    return QueryParameter(ge=1, le=MAX_PAGE, description=f"{items} per page (at most {MAX_PAGE}).")


def _page_cursor(description: str) -> KwargDefinition:
    return QueryParameter(max_length=32, description=description)


# The paged lists: the alerts (``nextCursor`` in the body) and an aggregate's events (``Link``).
AlertsLimit = Annotated[int, _page_limit("Alerts")]
AlertsCursor = Annotated[
    str | None, _page_cursor("The previous page's `nextCursor`; omit for the first page.")
]
EventsLimit = Annotated[int, _page_limit("Events")]
EventsCursor = Annotated[
    str | None, _page_cursor('From the `Link: <...>; rel="next"` header of the previous page.')
]

# A word: a NUL reached PostgreSQL's query as text, and failed there (500).
AlertKind = Annotated[
    str | None,
    QueryParameter(max_length=64, pattern=r"^[a-z_]+$", description="Only alerts of this kind."),
]
AlertState = Annotated[
    Literal["open", "acknowledged"] | None,
    QueryParameter(name="state", description="Only open or acknowledged."),
]
AlertsSince = Annotated[
    datetime | None, QueryParameter(description="Only alerts raised at or after this time.")
]

SinceQuery = Annotated[
    int,
    QueryParameter(
        name="since",
        ge=0,
        description="The `nextSince` of the previous answer; 0 (the default) for everything.",
    ),
]
SearchText = Annotated[
    str, QueryParameter(max_length=100, description="Words of the participant's name.")
]
PeriodCodeQuery = Annotated[
    str | None,
    QueryParameter(
        name="periodCode",
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="The period; a device's own period when omitted.",
    ),
]

DateQuery = Annotated[
    date | None,
    QueryParameter(name="date", description="The class day; today in the period's timezone."),
]

ViewKey = Annotated[
    str | None,
    QueryParameter(
        name="key",
        required=False,
        description="The signed key of the ticket's emailed link (`viewUrl`, `pdfUrl`).",
    ),
]

PageLanguage = Annotated[
    str | None,
    QueryParameter(
        name="lang",
        required=False,
        # No length limit: it is only looked up among the languages offered, never kept.
        description=(
            "The page's language (`nb`, `en`); by default, or when not one offered, the "
            "ticket holder's."
        ),
    ),
]
