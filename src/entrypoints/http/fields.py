"""Request fields checked beyond their JSON types, so that anything accepted can be stored,
paid, issued, rendered (PDF, HTML) and emailed.

Called from the request bodies' ``__post_init__``: a ``ValueError`` there becomes a 422
``validation_failed``; inside ``refused_as(InvalidProfile)`` it becomes that domain error
instead (422 ``invalid_profile``), the code the same mistake gets further in. The domain keeps
its own rules (names, dates, timezone) as a second line; what needs a library (email syntax, the
ISO 4217 list) is checked here only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pycountry
from email_validator import EmailNotValidError, validate_email

from domain.period import FIRST_DATE, LAST_DATE
from domain.shared import unprintable


@contextmanager
def refused_as(error: type[Exception]) -> Iterator[None]:
    """Turns the ValueErrors of the checks inside into ``error`` (a domain error)."""
    try:
        yield
    except ValueError as refused:
        raise error(str(refused)) from None


def one_line(field: str, value: str | None) -> None:
    """Names, codes, ids: no control characters at all (no tab, no line break)."""
    if value is not None and (char := unprintable(value)) is not None:
        raise ValueError(f"{field} must not contain control characters ({char})")


def lines(field: str, value: str | None) -> None:
    """Free text (a reason): tab and line feed allowed, no other control character."""
    if value is not None and (char := unprintable(value, multiline=True)) is not None:
        raise ValueError(f"{field} must not contain control characters ({char})")


def email_address(field: str, value: str) -> str:
    """Exactly one address, without display name or quoting, in its normal form.

    No DNS look-up: the address must be well formed, not proven to exist. Non-ASCII local parts
    are refused (not every mail provider takes them); domains are kept in their ASCII form.
    """
    one_line(field, value)
    try:
        checked = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(f"{field} is not one email address: {error}") from None
    return checked.ascii_email or checked.normalized


def currency_code(field: str, value: str) -> str:
    code = value.upper()
    if code not in _iso_4217():
        raise ValueError(f"{field} {value!r} is not an ISO 4217 currency code (e.g. NOK, EUR)")
    return code


def period_date(field: str, value: date) -> None:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"{field} must lie between {FIRST_DATE} and {LAST_DATE}")


@functools.cache
def _iso_4217() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)
