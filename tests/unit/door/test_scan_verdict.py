"""The verdict on a scan, as a pure function: the scan index and the event store ask it alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.period import local_date, named_tracks
from domain.scan import RecordedTicket, ScanResult, verdict

pytestmark = pytest.mark.unit

EVENING = datetime(2026, 10, 1, 17, 0, tzinfo=UTC)
CURRENT = RecordedTicket(token_hash="hash-2", token_version=2, active=True, checked_in_today=None)


def test_the_recorded_token_of_an_active_ticket_not_yet_in_today_is_ok() -> None:
    assert verdict(CURRENT, "hash-2", 2).result is ScanResult.OK


def test_an_older_token_version_is_superseded() -> None:
    judged = verdict(CURRENT, "hash-1", 1)
    assert judged.result is ScanResult.SUPERSEDED
    assert judged.reason == "an older token version"


@pytest.mark.parametrize("version", [2, 3])
def test_another_token_of_the_current_or_a_newer_version_is_invalid(version: int) -> None:
    judged = verdict(CURRENT, "forged", version)
    assert judged.result is ScanResult.INVALID
    assert judged.reason == "token is not the recorded one"


def test_a_revoked_ticket_is_revoked_even_when_checked_in_today() -> None:
    revoked = RecordedTicket("hash-2", 2, active=False, checked_in_today=EVENING)
    assert verdict(revoked, "hash-2", 2).result is ScanResult.REVOKED


def test_a_superseded_token_of_a_revoked_ticket_says_superseded() -> None:
    revoked = RecordedTicket("hash-2", 2, active=False, checked_in_today=None)
    assert verdict(revoked, "hash-1", 1).result is ScanResult.SUPERSEDED


def test_a_second_check_in_on_the_day_is_already_checked_in() -> None:
    inside = RecordedTicket("hash-2", 2, active=True, checked_in_today=EVENING)
    judged = verdict(inside, "hash-2", 2)
    assert judged.result is ScanResult.ALREADY_CHECKED_IN
    assert judged.reason == "checked in today already"


def test_a_manual_check_in_has_no_token_to_compare() -> None:
    assert verdict(CURRENT, "manual:some-ticket", None).result is ScanResult.OK
    revoked = RecordedTicket("hash-2", 2, active=False, checked_in_today=None)
    assert verdict(revoked, "manual:some-ticket", None).result is ScanResult.REVOKED
    inside = RecordedTicket("hash-2", 2, active=True, checked_in_today=EVENING)
    assert verdict(inside, "manual:x", None).result is ScanResult.ALREADY_CHECKED_IN


def test_the_door_day_is_the_date_in_the_periods_timezone() -> None:
    late = datetime(2026, 10, 1, 22, 30, tzinfo=UTC)
    assert local_date(late, "Europe/Oslo") == date(2026, 10, 2)
    assert local_date(late, "America/New_York") == date(2026, 10, 1)


def test_track_names_keep_the_tickets_order_and_show_an_unnamed_code_as_itself() -> None:
    names = [("salsa1", "Salsa 1"), ("bachata1", "Bachata 1")]
    assert named_tracks(names, ["bachata1", "salsa1", "kizomba"]) == (
        ("bachata1", "Bachata 1"),
        ("salsa1", "Salsa 1"),
        ("kizomba", "kizomba"),
    )
