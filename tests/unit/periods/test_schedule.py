"""A period's weekly classes: the class days, daylight saving, skipped dates, changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from domain.period import Period, Track, UnknownTrack
from domain.schedule import ClassSlot, InvalidSchedule, Weekday
from tests.support.fakes import ADMIN_CAUSE, new_period

pytestmark = pytest.mark.unit

TUESDAY_SALSA = ClassSlot(Weekday.TUESDAY, time(19), time(20, 30), "Sal A")
THURSDAY_SALSA = ClassSlot(Weekday.THURSDAY, time(18), time(19))


def scheduled(*slots: ClassSlot, skip: tuple[date, ...] = ()) -> Period:
    tracks = (Track("salsa1", "Salsa 1", 150_000, slots), Track("bachata1", "Bachata 1", 1))
    return new_period(tracks=tracks, skip_dates=skip)


def test_a_tracks_class_days_are_its_weekdays_in_the_period_less_the_skipped_ones() -> None:
    period = scheduled(TUESDAY_SALSA, skip=(date(2026, 10, 6),))

    days = [held.day for held in period.classes(period.track("salsa1"))]

    # 1 September 2026 is a Tuesday; 15 December 2026 too: 16 Tuesdays, one skipped.
    assert days[0] == date(2026, 9, 1) and days[-1] == date(2026, 12, 15)
    assert len(days) == 15 and date(2026, 10, 6) not in days
    assert all(day.weekday() == 1 for day in days)
    assert period.classes(period.track("bachata1")) == []


def test_a_class_keeps_its_wall_clock_time_across_daylight_saving() -> None:
    period = scheduled(TUESDAY_SALSA)
    held = {c.day: c for c in period.classes(period.track("salsa1"))}

    # Oslo: UTC+2 until 25 October 2026, UTC+1 after.
    assert held[date(2026, 10, 20)].starts_at == datetime(2026, 10, 20, 17, tzinfo=UTC)
    assert held[date(2026, 10, 27)].starts_at == datetime(2026, 10, 27, 18, tzinfo=UTC)
    assert held[date(2026, 10, 27)].ends_at == datetime(2026, 10, 27, 19, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("slots", "skip", "message"),
    [
        ((ClassSlot(Weekday.MONDAY, time(20), time(19)),), (), "end after it starts"),
        ((ClassSlot(Weekday.MONDAY, time(20), time(20)),), (), "end after it starts"),
        (
            (TUESDAY_SALSA, ClassSlot(Weekday.TUESDAY, time(20), time(21))),
            (),
            "overlap on tuesday",
        ),
        ((TUESDAY_SALSA,), (date(2027, 1, 5),), "outside the period"),
        ((ClassSlot(Weekday.MONDAY, time(18), time(19), " "),), (), "room"),
    ],
)
def test_an_unusable_schedule_is_refused(
    slots: tuple[ClassSlot, ...], skip: tuple[date, ...], message: str
) -> None:
    with pytest.raises(InvalidSchedule, match=message):
        scheduled(*slots, skip=skip)


def test_back_to_back_classes_and_the_same_hour_on_other_days_are_fine() -> None:
    after = ClassSlot(Weekday.TUESDAY, time(20, 30), time(21, 30))
    other_day = ClassSlot(Weekday.WEDNESDAY, time(19), time(20, 30))

    period = scheduled(after, TUESDAY_SALSA, other_day)

    # Kept in the week's order, whatever order they were given in.
    assert period.track("salsa1").schedule == (TUESDAY_SALSA, after, other_day)


def test_changing_the_schedule_is_an_event_that_replays_and_counts_the_changes() -> None:
    period = scheduled(TUESDAY_SALSA)
    period.change_schedule({"bachata1": [THURSDAY_SALSA]}, [date(2026, 12, 1)], ADMIN_CAUSE)

    events = period.collect_events()
    replayed: Period | None = None
    for event in events:
        replayed = event.mutate(replayed)

    for copy in (period, replayed):
        assert copy is not None
        assert copy.track("salsa1").schedule == ()  # not listed: no classes any more
        assert copy.track("bachata1").schedule == (THURSDAY_SALSA,)
        assert copy.skip_dates == (date(2026, 12, 1),)
        assert copy.schedule_sequence == 1
    assert isinstance(events[-1], Period.ScheduleChanged)


def test_a_schedule_change_naming_an_unknown_track_changes_nothing() -> None:
    period = scheduled(TUESDAY_SALSA)

    with pytest.raises(UnknownTrack):
        period.change_schedule({"tango": [THURSDAY_SALSA]}, [], ADMIN_CAUSE)

    assert period.track("salsa1").schedule == (TUESDAY_SALSA,)
    assert period.schedule_sequence == 0


def test_the_next_class_is_the_first_that_has_not_ended() -> None:
    period = scheduled(TUESDAY_SALSA)

    during = period.next_class(["salsa1"], datetime(2026, 9, 1, 17, 30, tzinfo=UTC))
    after = period.next_class(["salsa1"], datetime(2026, 9, 1, 18, 31, tzinfo=UTC))
    at_the_end = period.next_class(["salsa1"], datetime(2026, 12, 31, tzinfo=UTC))

    assert during is not None and during[1].day == date(2026, 9, 1)
    assert after is not None and after[1].day == date(2026, 9, 8)
    assert at_the_end is None
    assert period.next_class(["bachata1"], datetime(2026, 9, 1, tzinfo=UTC)) is None


def test_a_period_without_a_schedule_has_none() -> None:
    period = new_period()

    assert not period.has_schedule
    assert period.skip_dates == ()
    assert all(track.schedule == () for track in period.tracks)
