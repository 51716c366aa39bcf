"""The auditors' route: an aggregate's recorded events, in order, for admins.

The body stays the bare list API.md gives, so clients written against it keep working; it is
paged by ``?limit=`` (default and most: 200, more than any aggregate of this service records
in practice) and ``?cursor=``, and a page with more after it says where in a ``Link`` header
(RFC 8288, ``rel="next"``).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency

from application.audit.auditing import Audit
from application.errors import AGGREGATE_NOT_FOUND
from application.paging import MAX_PAGE
from entrypoints.http.audit.schemas import AuditEventOut
from entrypoints.http.deps import Admin
from entrypoints.http.openapi import (
    ADMIN_LIST_PROBLEMS,
    BEARER,
    NOT_FOUND,
    problems,
)
from entrypoints.http.params import AggregateIdPath, EventsCursor, EventsLimit


class AuditController(Controller):
    path = "/api/admin/audit"
    tags = ["audit"]
    security = BEARER

    @get(
        "/{aggregateId:uuid}/events",
        sync_to_thread=True,
        operation_id="listAuditEvents",
        summary="An aggregate's recorded events, in order, a page at a time (admin)",
        responses=problems(*ADMIN_LIST_PROBLEMS, AGGREGATE_NOT_FOUND, NOT_FOUND),
        response_headers=[
            ResponseHeader(
                name="Link",
                description='`<...?cursor=...>; rel="next"` when more events follow this page',
                required=False,
                documentation_only=True,
                value='</api/admin/audit/{aggregateId}/events?cursor=200&limit=200>; rel="next"',
            )
        ],
    )
    def events(
        self,
        request: Request[Any, Any, Any],
        audit: NamedDependency[Audit],
        admin: Admin,
        aggregate_id: AggregateIdPath,
        limit: EventsLimit = MAX_PAGE,
        cursor: EventsCursor = None,
    ) -> Response[list[AuditEventOut]]:
        events, next_cursor = audit.history_page(aggregate_id, cursor=cursor, limit=limit)
        headers = {}
        if next_cursor is not None:
            headers["Link"] = f'<{request.url.path}?cursor={next_cursor}&limit={limit}>; rel="next"'
        return Response([AuditEventOut.of(event) for event in events], headers=headers)
