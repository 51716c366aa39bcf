"""Path parameters under their contract names: camelCase in the URL, snake_case in handlers.

A route writes ``@get("/{ticketId:uuid}")`` and takes ``ticket_id: TicketIdPath``: the
OpenAPI document (and every client generated from it) then reads ``ticketId`` as API.md does.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar.openapi.spec import Example
from litestar.params import PathParameter

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
