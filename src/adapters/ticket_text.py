"""How a ticket's dates and id read to people: the same on the PDF, the web page and in email."""

from __future__ import annotations

from datetime import date
from typing import Final

from application.tickets.ports import TicketDocument

DASH: Final = " \N{EN DASH} "
# English names from this table, not strftime's %B/%b: those follow the process's locale.
MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: date) -> str:
    """``1 September 2026``: in the email's sentences."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def date_range(start: date, end: date) -> str:
    """``1 Sep - 15 Dec 2026`` (an en dash); the year twice only when the period spans two."""

    def day(d: date, year: bool) -> str:
        return f"{d.day} {MONTHS[d.month - 1][:3]}" + (f" {d.year}" if year else "")

    if start == end:
        return day(start, True)
    return f"{day(start, start.year != end.year)}{DASH}{day(end, True)}"


def short_id(document: TicketDocument) -> str:
    """The ticket id as door staff read it out: the first 8 hex digits, in two groups."""
    hex_id = document.ticket_id.hex[:8].upper()
    return f"{hex_id[:4]}-{hex_id[4:]}"
