"""The admins' alert list: paged newest first, filtered, and acknowledged one by one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from application.alerts.board import DEFAULT_PAGE
from application.paging import MAX_PAGE
from application.ports import Principal
from domain.shared import Cause
from entrypoints.bootstrap import Services
from entrypoints.http.openapi import (
    ALERT_NOT_FOUND,
    BEARER,
    FORBIDDEN,
    INVALID_CURSOR,
    NOT_FOUND,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    VALIDATION_FAILED,
    problems,
)
from entrypoints.http.params import AlertIdPath
from entrypoints.http.schemas import AlertOut, AlertPageOut

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Alerts per page (at most {MAX_PAGE}).")
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=32, description="The previous page's `nextCursor`; omit for the first page."
    ),
]
# A word: a NUL reached PostgreSQL's query as text, and failed there (500).
Kind = Annotated[
    str | None,
    QueryParameter(max_length=64, pattern=r"^[a-z_]+$", description="Only alerts of this kind."),
]
State = Annotated[
    Literal["open", "acknowledged"] | None,
    QueryParameter(name="state", description="Only open or acknowledged."),
]
Since = Annotated[
    datetime | None, QueryParameter(description="Only alerts raised at or after this time.")
]


class AlertController(Controller):
    path = "/api/admin/alerts"
    tags = ["admin"]

    @get(
        sync_to_thread=True,
        operation_id="listAlerts",
        security=BEARER,
        responses=problems(
            INVALID_CURSOR, UNAUTHENTICATED, FORBIDDEN, VALIDATION_FAILED, *STORE_PROBLEMS
        ),
        summary="What needs an admin's attention, newest first, a page at a time (admin)",
        description="Read from the alert list the worker keeps: an alert raised a moment ago, "
        "or an acknowledgement, may take a moment to appear.",
    )
    def list_alerts(
        self,
        services: NamedDependency[Services],
        admin: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
        kind: Kind = None,
        alert_state: State = None,  # ``state`` is Litestar's own keyword
        since: Since = None,
    ) -> AlertPageOut:
        page = services.alert_board.page(
            limit=limit, cursor=cursor, kind=kind, state=alert_state, since=since
        )
        return AlertPageOut([AlertOut.of(alert) for alert in page.items], page.next_cursor)

    @post(
        "/{alertId:uuid}/acknowledge",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="acknowledgeAlert",
        security=BEARER,
        responses=problems(UNAUTHENTICATED, FORBIDDEN, ALERT_NOT_FOUND, NOT_FOUND, *STORE_PROBLEMS),
        summary="Mark an alert as taken care of (admin); again: no change",
    )
    def acknowledge(
        self,
        services: NamedDependency[Services],
        admin: NamedDependency[Principal],
        cause: NamedDependency[Cause],
        alert_id: AlertIdPath,
    ) -> AlertOut:
        return AlertOut.of(services.alert_board.acknowledge(alert_id, cause))
