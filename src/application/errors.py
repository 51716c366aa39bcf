"""Errors the use cases raise; the HTTP layer maps each to one status and code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar


class ApplicationError(Exception):
    """Base of the use cases' errors; ``code`` is the stable machine-readable word."""

    code = "application_error"

    def __init_subclass__(cls, code: str = "", **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = code or cls.code

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(ApplicationError, code="not_found"):
    """Raised when something asked for does not exist, or is not the caller's to see."""


class Conflict(ApplicationError, code="conflict"):
    """Raised when the request clashes with what is already recorded."""


class Forbidden(ApplicationError, code="forbidden"):
    """Raised when the caller is known but not allowed to do this."""


class Unavailable(ApplicationError, code="unavailable"):
    """Raised when a provider we depend on cannot serve the request now."""


class Busy(ApplicationError, code="busy"):
    """Raised when concurrent writers kept winning: the caller should try again."""


class StoreUnavailable(ApplicationError, code="store_unavailable"):
    """Raised when the event store's database does not answer in time: try again later."""


class Unprocessable(ApplicationError, code="invalid"):
    """Raised when a well-formed request asks for something this service does not offer."""


class InvalidQuery(ApplicationError, code="invalid_query"):
    """Raised when a list's query parameters (limit, cursor, filters) cannot be used."""


Kind = TypeVar("Kind", bound=ApplicationError)


@dataclass(frozen=True)
class ErrorCode(Generic[Kind]):
    """One entry of the catalogue below: a stable code, the kind of error it is (which fixes
    its HTTP status, ``entrypoints.http.problems``), and when it is given (the OpenAPI
    document's words). Raise sites name the entry: ``raise TICKET_NOT_FOUND("...")``."""

    code: str
    kind: type[Kind]
    meaning: str

    def __call__(self, detail: str) -> Kind:
        return self.kind(detail, self.code)


# The catalogue: every code the use cases answer with.
FORBIDDEN = ErrorCode("forbidden", Forbidden, "the caller's roles do not allow this")
WRONG_PERIOD = ErrorCode("wrong_period", Forbidden, "the device is paired for another period")
UNDO_NOT_ALLOWED = ErrorCode(
    "undo_not_allowed",
    Forbidden,
    "only whoever made the check-in may undo it, within 15 minutes; an admin at any time",
)
PROFILE_NOT_FOUND = ErrorCode("profile_not_found", NotFound, "the caller has no profile yet")
PERSON_NOT_FOUND = ErrorCode(
    "person_not_found", NotFound, "no person with this id that the caller may name"
)
PERIOD_NOT_FOUND = ErrorCode("period_not_found", NotFound, "no period with this code")
ORDER_NOT_FOUND = ErrorCode("order_not_found", NotFound, "no such order, or not the caller's")
TICKET_NOT_FOUND = ErrorCode(
    "ticket_not_found", NotFound, "no such active ticket, or not the caller's"
)
PAIRING_NOT_FOUND = ErrorCode(
    "pairing_not_found", NotFound, "no such pairing code, or it was used or has expired"
)
DEVICE_NOT_FOUND = ErrorCode("device_not_found", NotFound, "no device with this id")
AGGREGATE_NOT_FOUND = ErrorCode(
    "aggregate_not_found", NotFound, "nothing is recorded under this id"
)
VERSION_NOT_FOUND = ErrorCode(
    "version_not_found", NotFound, "the aggregate has no version with this number"
)
NOT_YET_RECORDED = ErrorCode(
    "not_yet_recorded", NotFound, "the aggregate was recorded only after this moment"
)
SCHEDULE_NOT_FOUND = ErrorCode(
    "schedule_not_found", NotFound, "the ticket's period has no weekly classes (no calendar)"
)
CHECK_IN_NOT_FOUND = ErrorCode("check_in_not_found", NotFound, "no check-in has this id")
ALERT_NOT_FOUND = ErrorCode("alert_not_found", NotFound, "no alert with this id")
DEVICE_REVOKED = ErrorCode("device_revoked", Conflict, "the device is revoked")
PERIOD_EXISTS = ErrorCode("period_exists", Conflict, "the period code is taken")
PERSON_EXISTS = ErrorCode("person_exists", Conflict, "this user has a profile already")
PROFILE_REQUIRED = ErrorCode(
    "profile_required", Conflict, "the registration is paid: create the profile to get the ticket"
)
SCAN_ID_REUSED = ErrorCode(
    "scan_id_reused", Conflict, "this scanId was sent before with another token"
)
TICKET_REVOKED = ErrorCode("ticket_revoked", Conflict, "the ticket is revoked")
TICKET_WITHOUT_TOKEN = ErrorCode("ticket_without_token", Conflict, "the ticket has no token yet")
UNSUPPORTED_LOCALE = ErrorCode(
    "unsupported_locale", Unprocessable, "`locale` is not one of the languages offered (nb, en)"
)
INVALID_LIMIT = ErrorCode("invalid_limit", InvalidQuery, "`limit` is out of its range")
INVALID_CURSOR = ErrorCode(
    "invalid_cursor", InvalidQuery, "`cursor` is not a `nextCursor` this list gave"
)
INVALID_STATE = ErrorCode("invalid_state", InvalidQuery, "`state` is not one of the states")
CHECKOUT_UNAVAILABLE = ErrorCode(
    "checkout_unavailable",
    Unavailable,
    "the payment provider did not answer; the order stays pending",
)
BUSY = ErrorCode("busy", Busy, "concurrent updates kept conflicting; retry after `Retry-After` s")
STORE_UNAVAILABLE = ErrorCode(
    "store_unavailable",
    StoreUnavailable,
    "the event store does not answer; retry after `Retry-After` s",
)
