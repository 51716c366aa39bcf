"""How a ticket's id reads to people: the same on the PDF and the web page.

Dates, weekdays and times are not here: they come from CLDR in the holder's language
(``adapters.languages``), never from a hand-written table of month names.
"""

from __future__ import annotations

from application.tickets.ports import TicketDocument


def short_id(document: TicketDocument) -> str:
    """The ticket id as door staff read it out: the first 8 hex digits, in two groups."""
    hex_id = document.ticket_id.hex[:8].upper()
    return f"{hex_id[:4]}-{hex_id[4:]}"
