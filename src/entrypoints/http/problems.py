"""Every error as RFC 9457 problem details, through one table from errors to statuses."""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import InterfaceError as PersistenceInterfaceError
from eventsourcing.persistence import OperationalError as PersistenceOperationalError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from application.errors import (
    ApplicationError,
    Busy,
    Conflict,
    Forbidden,
    InvalidQuery,
    NotFound,
    StoreUnavailable,
    Unavailable,
    Unprocessable,
)
from application.identity import Unauthenticated
from domain.device import InvalidDevice
from domain.order import InvalidOrder
from domain.period import InvalidPeriod, UnknownTrack
from domain.person import InvalidProfile
from domain.schedule import InvalidSchedule
from domain.shared import DomainError
from entrypoints.http.bodies import MalformedBody

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# One table: what each error of the use cases and the domain means over HTTP.
STATUS_OF: dict[type[Exception], int] = {
    InvalidQuery: 400,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unavailable: 502,
    Busy: 503,
    StoreUnavailable: 503,
    Unprocessable: 422,
    Unauthenticated: 401,
    InvalidPeriod: 422,
    InvalidOrder: 422,
    InvalidProfile: 422,
    InvalidDevice: 422,
    UnknownTrack: 422,
    InvalidSchedule: 422,
}
CODE_OF: dict[type[Exception], str] = {
    Unauthenticated: "unauthenticated",
    InvalidPeriod: "invalid_period",
    InvalidOrder: "invalid_order",
    InvalidProfile: "invalid_profile",
    InvalidDevice: "invalid_device",
    UnknownTrack: "unknown_track",
    InvalidSchedule: "invalid_schedule",
}
TITLE_OF = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}
# What an unlisted domain error and an unlisted HTTP status answer with.
INVALID_CODE = "invalid"
ERROR_CODE = "error"
TIMEOUT_CODE = "request_timeout"  # a request's head or body too slow (entrypoints.http.transport)
CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class HttpProblem(Exception):
    """Raised by a route to answer a problem of its own (not one of the use cases' errors)."""

    def __init__(
        self, status: int, code: str, detail: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = {"Retry-After": str(retry_after)} if retry_after is not None else None


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body = {
        "type": "about:blank",
        "status": status,
        "title": TITLE_OF.get(status, "Error"),
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(kind: type[Exception]) -> int:
    """The HTTP status of an error class, by the table above (its nearest listed base)."""
    for cls in kind.__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 422 if issubclass(kind, DomainError) else 500


def application_error(_: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    status = status_of(type(error))
    code = (
        error.code
        if isinstance(error, ApplicationError)
        else CODE_OF.get(type(error), INVALID_CODE)
    )
    detail = error.detail if isinstance(error, ApplicationError) else str(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": RETRY_AFTER_SECONDS.get(code, "1")}
    return problem(status, code, detail, headers=headers)


# A conflict clears at once; a database outage takes a few seconds at least.
RETRY_AFTER_SECONDS = {StoreUnavailable.code: "5"}


def store_error(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """The event store failed in a way the library retried and gave up on (a lost connection,
    a lock or statement timeout, SQLite's busy file): the database, not the request, is at
    fault, so 503 and the caller tries again (Stripe retries a webhook)."""
    log.warning(
        "event store unavailable",
        extra={"path": request.url.path, "method": request.method, "error": type(error).__name__},
    )
    return application_error(request, StoreUnavailable("the event store does not answer"))


def http_problem(_: Request[Any, Any, Any], error: HttpProblem) -> Response[dict[str, Any]]:
    return problem(error.status, error.code, error.detail, headers=error.headers)


def validation_error(
    _: Request[Any, Any, Any], error: ValidationException
) -> Response[dict[str, Any]]:
    """Malformed bodies are 400; well-formed bodies that break the schema are 422."""
    messages = _field_errors(error.extra)
    if not messages:
        return problem(400, "bad_request", str(error.detail))
    return problem(
        422,
        "validation_failed",
        "; ".join(m["message"] for m in messages),
        errors=messages,
    )


def _field_errors(extra: Any) -> list[dict[str, str]]:
    if not isinstance(extra, list):
        return []
    return [
        {
            "key": "body" if item.get("key") in (None, "", "data") else str(item["key"]),
            "message": str(item.get("message", "")),
        }
        for item in extra
        if isinstance(item, dict)
    ]


def http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[dict[str, Any]]:
    status = error.status_code
    if isinstance(error, MalformedBody):
        return problem(400, "malformed_body", str(error.detail))
    if status == 400 and "malformed" in str(error.detail).lower():
        return problem(400, "malformed_body", "the request body is not valid JSON")
    return problem(
        status, CODE_OF_STATUS.get(status, ERROR_CODE), str(error.detail), headers=error.headers
    )


def generic_codes() -> set[str]:
    """The codes any route may answer beyond those it documents: by status, and fallbacks."""
    kinds = [ApplicationError]  # raised without a catalogue entry, a kind answers its own code
    for kind in kinds:
        kinds.extend(kind.__subclasses__())
    return {
        *CODE_OF_STATUS.values(),
        *CODE_OF.values(),
        *(kind.code for kind in kinds),
        INVALID_CODE,
        ERROR_CODE,
        TIMEOUT_CODE,
    }


def reported(error: BaseException) -> bool:
    """Whether monitoring hears of an error the HTTP layer caught: those answered with a 5xx
    (but 503: come back later) are the service's fault; the others the client's business."""
    if isinstance(error, HttpProblem):
        status = error.status
    elif isinstance(error, HTTPException):
        status = error.status_code
    elif isinstance(error, ApplicationError | DomainError | Unauthenticated):
        status = status_of(type(error))
    elif isinstance(error, ValidationException):
        status = 400
    else:
        status = 500
    return status >= 500 and status != 503


def unexpected_error(request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    # The route and the exception type are enough to find it; the message could hold data.
    log.error(
        "unhandled error",
        exc_info=error,
        extra={
            "route": request.scope.get("path_template"),
            "method": request.method,
            "error": type(error).__name__,
        },
    )
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "an unexpected error occurred; it has been logged",
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ApplicationError: application_error,
    PersistenceOperationalError: store_error,
    PersistenceInterfaceError: store_error,
    DomainError: application_error,
    Unauthenticated: application_error,
    HttpProblem: http_problem,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}

__all__ = ["EXCEPTION_HANDLERS", "HttpProblem", "problem", "reported"]
