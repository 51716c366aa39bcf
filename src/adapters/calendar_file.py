"""A ticket's classes as an iCalendar file: one weekly event a class slot, for the phone.

Written with the icalendar library: an RRULE a slot until the period's last day, an EXDATE a
skipped date, local times with the period's TZID and its VTIMEZONE (so 19:00 stays 19:00 across
a daylight-saving change), a UID that stays the same for the ticket, track and slot (a changed
class time updates the event instead of adding one) and a SEQUENCE that grows with each change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from application.tickets.calendars import CalendarWriter
from application.tickets.ports import TicketDocument, TrackClasses
from domain.schedule import ClassSlot

PRODUCT_ID = "-//SalsaNor//salsanor-tickets//EN"


class IcalendarWriter(CalendarWriter):
    def __init__(self, school_name: str) -> None:
        self._school_name = school_name

    def calendar(self, document: TicketDocument) -> bytes:
        return ticket_calendar(document, self._school_name)


def ticket_calendar(document: TicketDocument, school_name: str) -> bytes:
    """The calendar of the ticket's tracks' classes."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{school_name}: {document.period_name}")
    stamp = datetime.now(UTC).replace(microsecond=0)
    for track in document.schedule:
        for number, slot in enumerate(track.slots):
            if _first_on(slot, document.start_date) > document.end_date:
                continue  # a weekday the period never reaches: no class to show
            uid = f"{document.ticket_id}-{track.code}-{number}@salsanor-tickets"
            calendar.add_component(_weekly(document, track, slot, uid, stamp))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _weekly(
    document: TicketDocument, track: TrackClasses, slot: ClassSlot, uid: str, stamp: datetime
) -> Event:
    zone = ZoneInfo(document.timezone)
    first = _first_on(slot, document.start_date)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", document.schedule_sequence)
    event.add("dtstamp", stamp)
    event.add("summary", track.name)
    event.add("dtstart", datetime.combine(first, slot.start_time, zone))
    event.add("dtend", datetime.combine(first, slot.end_time, zone))
    # UNTIL in UTC (RFC 5545 with a zoned DTSTART): the end of the period's last day.
    last_day_over = datetime.combine(document.end_date + timedelta(days=1), time(), zone)
    until = last_day_over.astimezone(UTC) - timedelta(seconds=1)
    event.add("rrule", {"freq": "weekly", "until": until})
    skipped = _skipped_on(slot, document.skip_dates)
    if skipped:
        event.add("exdate", [datetime.combine(day, slot.start_time, zone) for day in skipped])
    where = ", ".join(part for part in (document.location, slot.room) if part)
    if where:
        event.add("location", where)
    return event


def _first_on(slot: ClassSlot, start: date) -> date:
    return start + timedelta(days=(slot.weekday.number - start.weekday()) % 7)


def _skipped_on(slot: ClassSlot, days: Iterable[date]) -> list[date]:
    return [day for day in days if day.weekday() == slot.weekday.number]
