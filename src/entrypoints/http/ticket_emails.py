"""The ticket email route: ask for the email again (it goes out from the worker)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_202_ACCEPTED

from application.ports import Principal
from domain.shared import Cause
from entrypoints.bootstrap import Services
from entrypoints.http.openapi import (
    BEARER,
    NOT_FOUND,
    RATE_LIMITED,
    STORE_PROBLEMS,
    TICKET_NOT_FOUND,
    UNAUTHENTICATED,
    problems,
)
from entrypoints.http.params import TicketIdPath
from entrypoints.http.rate_limits import rate_limited
from entrypoints.http.schemas import Out

Deps = NamedDependency[Services]
User = NamedDependency[Principal]
Caused = NamedDependency[Cause]


class ResendOut(Out):
    ticket_id: UUID
    status: Literal["queued"]  # the worker sends it with the ticket's current token


class TicketEmailController(Controller):
    path = "/api/tickets"
    tags = ["tickets"]

    @post(
        "/{ticketId:uuid}/resend",
        sync_to_thread=True,
        status_code=HTTP_202_ACCEPTED,
        guards=[rate_limited("ticket-resend")],
        operation_id="resendTicketEmail",
        security=BEARER,
        responses=problems(
            UNAUTHENTICATED, TICKET_NOT_FOUND, NOT_FOUND, RATE_LIMITED, *STORE_PROBLEMS
        ),
        summary="Send the ticket email again",
        description=(
            "For the ticket's person or an admin; anyone else, or a revoked ticket: 404 "
            "`ticket_not_found`. The email goes out asynchronously with the current QR token."
        ),
    )
    def resend(
        self, services: Deps, user: User, cause: Caused, ticket_id: TicketIdPath
    ) -> ResendOut:
        services.email_requests.resend(
            ticket_id, user_id=user.user_id, is_admin=user.is_admin, cause=cause
        )
        return ResendOut(ticket_id=ticket_id, status="queued")
