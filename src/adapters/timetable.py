"""A ticket's timetable as people read it: the same lines on the PDF, the web page and in email."""

from __future__ import annotations

from adapters.languages import Language
from application.tickets.ports import TicketDocument

DASH = "\N{EN DASH}"


def class_lines(document: TicketDocument, language: Language) -> list[str]:
    """``Salsa 1 · tirsdag 19:00-20:30 · Sal A`` (an en dash): one a weekly class; a track
    without classes shows its name. Empty when the period has no timetable."""
    if not document.has_schedule:
        return []
    lines = []
    for track in document.schedule:
        if not track.slots:
            lines.append(track.name)
        for slot in track.slots:
            when = language.weekday(slot.weekday.number) + " "
            when += language.time(slot.start_time) + DASH + language.time(slot.end_time)
            lines.append(" · ".join(part for part in (track.name, when, slot.room) if part))
    return lines


def no_classes_line(document: TicketDocument, language: Language) -> str | None:
    """``Ingen kurstimer: 6. okt., 13. okt.``: the period's days without classes, if any."""
    if not document.has_schedule or not document.skip_dates:
        return None
    days = ", ".join(language.short_date(day) for day in document.skip_dates)
    return language.gettext("No classes: %(dates)s", dates=days)
