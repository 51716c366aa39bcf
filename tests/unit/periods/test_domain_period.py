"""Period: what makes a period acceptable, when its tickets expire, and its code index."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.period import InvalidPeriod, Period, PeriodCode, Track, UnknownTrack
from domain.person import Person
from tests.support.fakes import ADMIN_CAUSE, TRACKS, new_period

pytestmark = pytest.mark.unit


def test_scheduling_records_one_scheduled_event_with_the_period() -> None:
    period = new_period(currency="nok")

    [event] = period.collect_events()
    assert isinstance(event, Period.Scheduled)
    assert event.originator_id == period.id
    assert (event.code, event.name, event.timezone) == ("2026-fall", "Fall 2026", "Europe/Oslo")
    assert (event.start_date, event.end_date) == (date(2026, 9, 1), date(2026, 12, 15))
    assert event.currency == "NOK"  # normalised before it is recorded
    assert event.tracks == TRACKS
    assert event.cause == ADMIN_CAUSE


def test_two_periods_of_one_code_are_two_aggregates() -> None:
    """Uniqueness of the code is PeriodCode's job, not the period's id."""
    assert new_period().id != new_period().id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "  "}, "code must not be empty"),
        ({"name": ""}, "name must not be empty"),
        ({"end_date": date(2026, 8, 31)}, "endDate must not be before startDate"),
        ({"timezone": "Europe/Atlantis"}, "unknown timezone"),
        ({"timezone": "../../etc/passwd"}, "unknown timezone"),
        ({"currency": "NO"}, "three-letter"),
        ({"currency": "N0K"}, "three-letter"),
        ({"tracks": ()}, "at least one track"),
        ({"tracks": (*TRACKS, Track("salsa1", "Salsa 1 again", 1))}, "unique"),
        ({"tracks": (Track("", "Nameless code", 100),)}, "code and a name"),
        ({"tracks": (Track("salsa1", "Salsa 1", -1),)}, "negative price"),
        ({"end_date": date(9999, 12, 31)}, "between 2000-01-01 and 2100-12-31"),
        ({"start_date": date(1999, 12, 31)}, "between"),
        ({"timezone": "posixrules"}, "unknown timezone"),
        ({"name": "Fall\r\nBcc: x@example.no"}, "control characters"),
        ({"name": "Fall\x002026"}, r"control characters \(U\+0000\)"),
        ({"location": "Oslo\x1b"}, "location must not contain control"),
        ({"code": "fall\n"}, "code must not contain control"),
        ({"tracks": (Track("salsa1", "Salsa\u20281", 1),)}, "control characters"),
    ],
)
def test_an_unacceptable_period_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidPeriod, match=message):
        new_period(**changes)


def test_the_last_acceptable_day_still_has_an_expiry() -> None:
    period = new_period(
        start_date=date(2100, 12, 1), end_date=date(2100, 12, 31), timezone="Etc/GMT+12"
    )
    assert period.ends_at() == datetime(2101, 1, 1, 12, tzinfo=UTC)


def test_a_one_day_period_and_a_free_track_are_acceptable() -> None:
    period = new_period(end_date=date(2026, 9, 1), tracks=(Track("open", "Open floor", 0),))

    assert period.track("open").price_cents == 0


def test_a_currency_of_non_ascii_letters_is_refused() -> None:
    with pytest.raises(InvalidPeriod, match="three-letter"):
        new_period(currency="ÆØÅ")


def test_a_track_is_found_by_its_code_and_an_unknown_one_is_refused() -> None:
    period = new_period()

    assert period.track("bachata1") == TRACKS[1]
    with pytest.raises(UnknownTrack, match="salsa9"):
        period.track("salsa9")


def test_tickets_expire_at_the_end_of_the_last_local_day_in_utc() -> None:
    period = new_period(end_date=date(2026, 12, 15))

    # Midnight after 15 December in Oslo (CET, UTC+1).
    assert period.ends_at() == datetime(2026, 12, 15, 23, 0, tzinfo=UTC)
    assert period.ends_at().utcoffset() is not None


@pytest.mark.parametrize(
    ("end_date", "ends_at"),
    [
        # Summer time (UTC+2) still holds at midnight after 24 October 2026...
        (date(2026, 10, 24), datetime(2026, 10, 24, 22, 0, tzinfo=UTC)),
        # ...and has ended (UTC+1) by midnight after the 25th: that day lasted 25 hours.
        (date(2026, 10, 25), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),
    ],
)
def test_the_end_follows_daylight_saving_time(end_date: date, ends_at: datetime) -> None:
    period = new_period(end_date=end_date)

    assert period.ends_at() == ends_at


def test_the_end_is_in_the_periods_own_timezone() -> None:
    period = new_period(timezone="America/New_York")

    assert period.ends_at() == datetime(2026, 12, 16, 5, 0, tzinfo=UTC)


def test_the_local_date_of_a_moment_is_the_periods_calendar_day() -> None:
    period = new_period()

    assert period.local_date(datetime(2026, 9, 1, 22, 30, tzinfo=UTC)) == date(2026, 9, 2)


def test_a_period_code_claim_has_an_id_derived_from_the_code_alone() -> None:
    period_id = uuid4()

    claim = PeriodCode.claim("2026-fall", period_id, ADMIN_CAUSE)

    assert claim.id == PeriodCode.id_for("2026-fall") == PeriodCode.id_for("2026-fall")
    assert PeriodCode.id_for("2026-spring") != claim.id
    [event] = claim.collect_events()
    assert isinstance(event, PeriodCode.Claimed)
    assert (event.period_id, event.originator_version) == (period_id, 1)
    # Another period claiming the same code creates version 1 of the same id: it conflicts.
    assert PeriodCode.claim("2026-fall", uuid4(), ADMIN_CAUSE).id == claim.id


def test_period_code_ids_are_apart_from_other_derived_ids() -> None:
    """The kind is part of the key: a period code never lands on a user's person id."""
    assert PeriodCode.id_for("2026-fall") != Person.id_for_user("2026-fall")
