"""A holder's ticket: as JSON with its QR token, as a PDF, as a web page, by email again."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from adapters.pages import JinjaPages
from application.emails.requests import EmailRequests
from application.errors import (
    PERIOD_NOT_FOUND,
    PROFILE_REQUIRED,
    TICKET_NOT_FOUND,
    TICKET_REVOKED,
    TICKET_WITHOUT_TOKEN,
)
from application.identity import IdentityVerifier
from application.tickets.admin import TicketAdmin
from application.tickets.desk import TicketDesk
from application.tickets.documents import TicketDocuments
from application.tickets.ports import TicketDocument
from entrypoints.http.auth import verified_user
from entrypoints.http.deps import Admin, Caused, Port, User
from entrypoints.http.openapi import (
    BEARER,
    BEARER_OR_SIGNED_LINK,
    NOT_FOUND,
    RATE_LIMITED,
    ROLE_PROBLEMS,
    SIGNED_LINK,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    WRITE_PROBLEMS,
    problems,
)
from entrypoints.http.params import PageLanguage, PeriodCodePath, TicketIdPath, ViewKey
from entrypoints.http.rate_limits import rate_limited
from entrypoints.http.tickets.schemas import (
    AdminTicketOut,
    ResendOut,
    RevokeIn,
    RotateIn,
    TicketOut,
)


class TicketController(Controller):
    path = "/api/tickets"
    tags = ["tickets"]

    @get(
        "/{periodCode:str}",
        sync_to_thread=True,
        opt=rate_limited("ticket"),
        operation_id="getMyTicket",
        security=BEARER,
        summary="The caller's ticket for a period, with its QR token",
        responses=problems(
            UNAUTHENTICATED,
            PERIOD_NOT_FOUND,
            TICKET_NOT_FOUND,
            PROFILE_REQUIRED,
            RATE_LIMITED,
            *STORE_PROBLEMS,
        ),
    )
    def my_ticket(
        self, tickets: NamedDependency[TicketDesk], user: User, period_code: PeriodCodePath
    ) -> TicketOut:
        return TicketOut.of(tickets.for_user(user.user_id, period_code))


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")


class TicketDownloadController(Controller):
    path = "/api/tickets/download"
    tags = ["tickets"]

    @get(
        "/{ticketId:uuid}",
        sync_to_thread=True,
        opt=rate_limited("ticket-pdf"),
        media_type="application/pdf",
        operation_id="downloadTicketPdf",
        security=BEARER_OR_SIGNED_LINK,
        responses={
            304: ResponseSpec(None, description="`If-None-Match` named the current `ETag`"),
            **problems(UNAUTHENTICATED, TICKET_NOT_FOUND, NOT_FOUND, RATE_LIMITED, *STORE_PROBLEMS),
        },
        response_description="The ticket as an A6 PDF (`Content-Disposition: attachment`)",
        summary="The printable PDF ticket",
        description=(
            "For the ticket's person or an admin (bearer token), or for the holder of the signed "
            "link in the ticket's `pdfUrl` (`key`, no bearer token needed). Anyone else: 404."
        ),
    )
    def download(
        self,
        request: Request[Any, Any, Any],
        documents: NamedDependency[TicketDocuments],
        identity: Port[IdentityVerifier],
        ticket_id: TicketIdPath,
        key: ViewKey = None,
    ) -> Response[bytes]:
        if key is not None:
            document = documents.for_view_key(ticket_id, key)
        else:
            # Not the `user` dependency: with a key, no bearer token is needed.
            user = verified_user(request, identity)
            document = documents.for_holder(ticket_id, user_id=user.user_id, is_admin=user.is_admin)
        pdf = documents.rendered_pdf(document)
        etag = f'"{pdf.digest}"'
        headers = {
            # Private: it holds the holder's token. Revalidated, so a rotation shows at once.
            "Cache-Control": "private, no-cache",
            "ETag": etag,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        }
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(b"", status_code=304, headers=headers)
        headers["Content-Disposition"] = f'attachment; filename="{pdf_filename(document)}"'
        return Response(pdf.data, media_type="application/pdf", headers=headers)


def _etags(if_none_match: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}


class TicketPageController(Controller):
    path = "/tickets"
    tags = ["tickets"]

    @get(
        "/{ticketId:uuid}",
        sync_to_thread=True,
        opt=rate_limited("ticket-page"),
        media_type="text/html",
        operation_id="viewTicketPage",
        security=SIGNED_LINK,
        responses=problems(TICKET_NOT_FOUND, NOT_FOUND, RATE_LIMITED, *STORE_PROBLEMS),
        response_description="The ticket as a web page: QR code, name, period, tracks",
        summary="The web ticket view (the emailed link)",
        description=(
            "Needs the `key` of the ticket's `viewUrl`; a wrong or outdated key: 404. In the "
            "holder's language, or in `lang`; it links to the page in the other languages."
        ),
    )
    def page(
        self,
        documents: NamedDependency[TicketDocuments],
        pages: NamedDependency[JinjaPages],
        ticket_id: TicketIdPath,
        key: ViewKey = None,
        lang: PageLanguage = None,
    ) -> Response[str]:
        page = pages.ticket(documents.for_view_key(ticket_id, key or ""), lang)
        return Response(page.html, media_type="text/html", headers=page.headers)


def pdf_filename(document: TicketDocument) -> str:
    return f"ticket-{_UNSAFE_IN_FILENAME.sub('_', document.period_code)}.pdf"


class TicketEmailController(Controller):
    path = "/api/tickets"
    tags = ["tickets"]

    @post(
        "/{ticketId:uuid}/resend",
        sync_to_thread=True,
        status_code=HTTP_202_ACCEPTED,
        opt=rate_limited("ticket-resend"),
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
        self,
        email_requests: NamedDependency[EmailRequests],
        user: User,
        cause: Caused,
        ticket_id: TicketIdPath,
    ) -> ResendOut:
        email_requests.resend(ticket_id, user_id=user.user_id, is_admin=user.is_admin, cause=cause)
        return ResendOut(ticket_id=ticket_id, status="queued")


class TicketAdminController(Controller):
    path = "/api/admin/tickets"
    tags = ["admin"]

    @post(
        "/{ticketId:uuid}/rotate",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="rotateTicketToken",
        security=BEARER,
        summary="Issue a new QR token version (admin)",
        responses=problems(
            *ROLE_PROBLEMS,
            TICKET_NOT_FOUND,
            NOT_FOUND,
            TICKET_REVOKED,
            TICKET_WITHOUT_TOKEN,
            *WRITE_PROBLEMS,
        ),
    )
    def rotate(
        self,
        ticket_admin: NamedDependency[TicketAdmin],
        admin: Admin,
        cause: Caused,
        ticket_id: TicketIdPath,
        data: JSONBody[RotateIn | None] = None,
    ) -> AdminTicketOut:
        """A new token version (emailed to the holder); every older token answers superseded."""
        reason = data.reason.strip() if data is not None and data.reason else None
        return AdminTicketOut.of(ticket_admin.rotate(ticket_id, reason=reason, cause=cause))

    @post(
        "/{ticketId:uuid}/revoke",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="revokeTicket",
        security=BEARER,
        summary="Revoke a ticket (admin)",
        responses=problems(*ROLE_PROBLEMS, TICKET_NOT_FOUND, NOT_FOUND, *WRITE_PROBLEMS),
    )
    def revoke(
        self,
        ticket_admin: NamedDependency[TicketAdmin],
        admin: Admin,
        cause: Caused,
        ticket_id: TicketIdPath,
        data: JSONBody[RevokeIn],
    ) -> AdminTicketOut:
        """Scans answer revoked from now on; revoking again changes nothing."""
        return AdminTicketOut.of(ticket_admin.revoke(ticket_id, reason=data.reason, cause=cause))
