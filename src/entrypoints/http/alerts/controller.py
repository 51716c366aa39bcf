"""The admins' alert list: paged newest first, filtered, and acknowledged one by one."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK

from application.alerts.board import DEFAULT_PAGE, AlertBoard
from application.errors import ALERT_NOT_FOUND
from entrypoints.http.alerts.schemas import AlertOut, AlertPageOut
from entrypoints.http.deps import Admin, Caused
from entrypoints.http.openapi import (
    ADMIN_LIST_PROBLEMS,
    BEARER,
    NOT_FOUND,
    ROLE_PROBLEMS,
    STORE_PROBLEMS,
    problems,
)
from entrypoints.http.params import (
    AlertIdPath,
    AlertKind,
    AlertsCursor,
    AlertsLimit,
    AlertsSince,
    AlertState,
)


class AlertController(Controller):
    path = "/api/admin/alerts"
    tags = ["admin"]
    security = BEARER

    @get(
        sync_to_thread=True,
        operation_id="listAlerts",
        responses=problems(*ADMIN_LIST_PROBLEMS),
        summary="What needs an admin's attention, newest first, a page at a time (admin)",
        description="Read from the alert list the worker keeps: an alert raised a moment ago, "
        "or an acknowledgement, may take a moment to appear.",
    )
    def list_alerts(
        self,
        alert_board: NamedDependency[AlertBoard],
        admin: Admin,
        limit: AlertsLimit = DEFAULT_PAGE,
        cursor: AlertsCursor = None,
        kind: AlertKind = None,
        alert_state: AlertState = None,  # ``state`` is Litestar's own keyword
        since: AlertsSince = None,
    ) -> AlertPageOut:
        page = alert_board.page(
            limit=limit, cursor=cursor, kind=kind, state=alert_state, since=since
        )
        return AlertPageOut([AlertOut.of(alert) for alert in page.items], page.next_cursor)

    @post(
        "/{alertId:uuid}/acknowledge",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="acknowledgeAlert",
        responses=problems(*ROLE_PROBLEMS, ALERT_NOT_FOUND, NOT_FOUND, *STORE_PROBLEMS),
        summary="Mark an alert as taken care of (admin); again: no change",
    )
    def acknowledge(
        self,
        alert_board: NamedDependency[AlertBoard],
        admin: Admin,
        cause: Caused,
        alert_id: AlertIdPath,
    ) -> AlertOut:
        return AlertOut.of(alert_board.acknowledge(alert_id, cause))
