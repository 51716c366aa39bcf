"""Errors the use cases raise; the HTTP layer maps each to one status and code."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base of the use cases' errors; ``code`` is the stable machine-readable word."""

    code = "application_error"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class NotFound(ApplicationError):
    """Raised when something asked for does not exist, or is not the caller's to see."""

    code = "not_found"


class Conflict(ApplicationError):
    """Raised when the request clashes with what is already recorded."""

    code = "conflict"


class Forbidden(ApplicationError):
    """Raised when the caller is known but not allowed to do this."""

    code = "forbidden"


class Unavailable(ApplicationError):
    """Raised when a provider we depend on cannot serve the request now."""

    code = "unavailable"


class Busy(ApplicationError):
    """Raised when concurrent writers kept winning: the caller should try again."""

    code = "busy"


class StoreUnavailable(ApplicationError):
    """Raised when the event store's database does not answer in time: try again later."""

    code = "store_unavailable"


class InvalidQuery(ApplicationError):
    """Raised when a list's query parameters (limit, cursor, filters) cannot be used."""

    code = "invalid_query"
