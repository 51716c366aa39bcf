"""The scan use case on fakes: every result word, the index's part and the event store's part."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.door.checkin import CheckIns, DoorCall, ManualRequest, ScanAnswer, ScanRequest
from application.door.ports import ScanEntry
from application.errors import Conflict
from application.tickets.admin import TicketAdmin
from application.tickets.ports import ExpiredToken, TokenClaims
from application.tickets.tokens import TokenIssuer
from domain.period import Period, local_date
from domain.scan import Scan, ScanResult
from domain.shared import Cause
from domain.ticket import Ticket
from tests.support.fakes import ADMIN_CAUSE, NOW, Wired, paid, place, put_profile, schedule, wire

pytestmark = pytest.mark.unit

STAFF = Cause(actor="door-1", reference="req-door")


@dataclass
class FakeScanIndex:
    """ScanIndex: the entries a test puts there, as a lagging or a current read model would."""

    entries: dict[UUID, ScanEntry] = field(default_factory=dict)
    lookups: int = 0

    def lookup(self, ticket_id: UUID) -> ScanEntry | None:
        self.lookups += 1
        return self.entries.get(ticket_id)

    def period_entries(self, period_code: str) -> list[ScanEntry]:
        return [e for e in self.entries.values() if e.period_code == period_code]


@dataclass
class CountingMeter:
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, result: str) -> None:
        self.counts[result] = self.counts.get(result, 0) + 1


@dataclass
class Door:
    wired: Wired
    index: FakeScanIndex
    meter: CountingMeter
    checkins: CheckIns
    admin: TicketAdmin
    ticket_id: UUID
    token: str

    def scan(self, token: str | None = None, scan_id: str | None = None) -> ScanAnswer:
        request = ScanRequest(
            self.token if token is None else token, DoorCall("door-a", scan_id, "door-1")
        )
        return self.checkins.scan(request, STAFF)

    def ticket(self) -> Ticket:
        return self.wired.store.get(Ticket, self.ticket_id)

    def check_ins(self) -> list[Ticket.CheckedIn]:
        events = self.wired.store.events.get(self.ticket_id)
        return [e for e in events if isinstance(e, Ticket.CheckedIn)]

    def index_as_store_says(self, **changes: Any) -> ScanEntry:
        """An index entry equal to the store's ticket, then changed (a lag, a test's lie)."""
        ticket = self.ticket()
        assert ticket.token is not None
        entry = ScanEntry(
            ticket_id=ticket.id,
            person_id=ticket.person_id,
            active=True,
            token_version=ticket.token.version,
            token_hash=ticket.token.token_hash,
            period_code="2026-fall",
            timezone="Europe/Oslo",
            person_name="Åse Øvergård",
            tracks=(("salsa1", "Salsa 1"),),
            last_check_in_date=None,
            last_check_in_at=None,
        )
        entry = replace(entry, **changes)
        self.index.entries[ticket.id] = entry
        return entry


@pytest.fixture
def door() -> Iterator[Door]:
    wired = wire()
    schedule(wired)
    put_profile(wired, "dancer-1")
    order = place(wired, "dancer-1", "salsa1")
    wired.services.stripe_events.handle(paid(order))
    served = wired.services.tickets.for_user("dancer-1", "2026-fall")
    index, meter = FakeScanIndex(), CountingMeter()
    checkins = CheckIns(wired.store, wired.signer, index, wired.clock, meter)
    admin = TicketAdmin(wired.store, TokenIssuer(wired.signer, wired.clock))
    yield Door(wired, index, meter, checkins, admin, served.ticket.id, served.token)
    wired.services.close()


def test_a_fresh_token_checks_in_and_says_whose_ticket_it_is(door: Door) -> None:
    answer = door.scan()

    assert answer.result is ScanResult.OK
    assert answer.ticket is not None
    assert (answer.ticket.ticket_id, answer.ticket.person_name, answer.ticket.period_code) == (
        door.ticket_id,
        "Åse Øvergård",
        "2026-fall",
    )
    assert answer.ticket.tracks == (("salsa1", "Salsa 1"),)
    assert answer.ticket.checked_in_at == NOW.replace(microsecond=0)
    [event] = door.check_ins()
    assert (event.device_id, event.staff_user_id, event.checked_in_at) == (
        "door-a",
        "door-1",
        NOW.replace(microsecond=0),
    )
    assert event.cause == STAFF
    assert door.meter.counts == {"ok": 1}


def test_the_same_day_again_says_when_it_was_first_checked_in(door: Door) -> None:
    first = door.scan()
    door.wired.clock.advance(hours=2)

    again = door.scan()

    assert again.result is ScanResult.ALREADY_CHECKED_IN
    assert again.ticket is not None and first.ticket is not None
    assert again.ticket.checked_in_at == first.ticket.checked_in_at
    assert len(door.check_ins()) == 1


def test_the_day_is_the_periods_calendar_day_not_utcs(door: Door) -> None:
    # Oslo is UTC+2 in August: 21:59Z is 23:59 there, 22:01Z is already the next day.
    door.wired.clock.set(datetime(2026, 8, 20, 21, 59, tzinfo=UTC))
    assert door.scan().result is ScanResult.OK
    door.wired.clock.set(datetime(2026, 8, 20, 22, 1, tzinfo=UTC))

    assert door.scan().result is ScanResult.OK
    assert [e.local_date.isoformat() for e in door.check_ins()] == ["2026-08-20", "2026-08-21"]


def test_a_token_that_is_not_ours_is_invalid_and_nothing_is_recorded(door: Door) -> None:
    before = door.wired.notification_count()

    assert door.scan("fake.eyJ9.00").result is ScanResult.INVALID
    flipped = door.token[:-1] + ("1" if door.token.endswith("0") else "0")
    assert door.scan(flipped).result is ScanResult.INVALID
    assert door.scan("").result is ScanResult.INVALID

    assert door.wired.notification_count() == before
    assert door.meter.counts == {"invalid": 3}


def test_any_string_is_a_result_word_even_an_oversized_or_binary_one(door: Door) -> None:
    before = door.wired.notification_count()

    for token in ("x" * 100_000, door.token + "." + "A" * 10_000, "\x00\x01\x7f", "🎟" * 9000):
        assert door.scan(token, scan_id=None).result is ScanResult.INVALID

    assert door.wired.notification_count() == before


def test_a_well_signed_token_of_an_unknown_ticket_is_invalid(door: Door) -> None:
    ticket = door.ticket()
    assert ticket.token is not None
    forged = door.wired.signer.sign(
        TokenClaims(uuid4(), ticket.period_id, ticket.person_id, 1, NOW, ticket.token.expires_at)
    )

    answer = door.scan(forged)

    assert answer == ScanAnswer(ScanResult.INVALID, None, "no such ticket")


def test_an_expired_token_says_expired_and_nothing_is_recorded(door: Door) -> None:
    door.wired.clock.set(datetime(2026, 12, 16, 12, 0, tzinfo=UTC))

    assert door.scan().result is ScanResult.EXPIRED
    assert door.check_ins() == []
    assert door.meter.counts == {"expired": 1}


@dataclass
class ExpiringSigner:
    """TokenSigner whose every token has expired, the claims known (the signature held)."""

    claims: TokenClaims

    def sign(self, claims: TokenClaims) -> str:
        raise NotImplementedError

    def verify(self, token: str) -> TokenClaims:
        raise ExpiredToken("token has expired", self.claims)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": []}


def test_an_expired_token_says_whose_ticket_it_was(door: Door) -> None:
    ticket = door.ticket()
    assert ticket.token is not None
    claims = TokenClaims(
        ticket.id, ticket.period_id, ticket.person_id, 1, NOW, ticket.token.expires_at
    )
    checkins = CheckIns(
        door.wired.store, ExpiringSigner(claims), door.index, door.wired.clock, door.meter
    )

    answer = checkins.scan(ScanRequest(door.token, DoorCall(None, None, "door-1")), STAFF)

    assert answer.result is ScanResult.EXPIRED
    assert answer.ticket is not None and answer.ticket.ticket_id == door.ticket_id
    assert answer.ticket.person_name == "Åse Øvergård"


def test_after_a_rotation_the_old_token_is_superseded_and_the_new_one_checks_in(
    door: Door,
) -> None:
    door.admin.rotate(door.ticket_id, reason="lost phone", cause=ADMIN_CAUSE)
    new = door.wired.services.tickets.for_user("dancer-1", "2026-fall").token

    assert door.scan().result is ScanResult.SUPERSEDED
    assert door.scan(new).result is ScanResult.OK
    assert [e.token_version for e in door.check_ins()] == [2]


def test_a_revoked_ticket_answers_revoked(door: Door) -> None:
    door.admin.revoke(door.ticket_id, reason="fraud", cause=ADMIN_CAUSE)

    answer = door.scan()

    assert answer.result is ScanResult.REVOKED
    assert answer.ticket is not None and answer.ticket.ticket_id == door.ticket_id
    assert door.check_ins() == []


# --- The index answers what can only stay true; the store decides ok -------------------------


def test_a_check_in_the_index_knows_of_is_confirmed_on_the_store(door: Door) -> None:
    # The index says checked in today; the store has no check-in (it was undone, and the
    # index has not followed the undo yet): the store decides, ok.
    first = datetime(2026, 8, 20, 10, 0, tzinfo=UTC)
    door.index_as_store_says(last_check_in_date=NOW.date(), last_check_in_at=first)

    answer = door.scan()

    assert answer.result is ScanResult.OK
    assert len(door.check_ins()) == 1


def test_the_index_answers_revoked_and_superseded(door: Door) -> None:
    entry = door.index_as_store_says(active=False)
    assert door.scan().result is ScanResult.REVOKED

    door.index.entries[door.ticket_id] = replace(
        entry, active=True, token_version=2, token_hash="x"
    )
    assert door.scan().result is ScanResult.SUPERSEDED
    assert door.check_ins() == []


def test_a_ticket_the_index_thinks_active_but_just_revoked_is_revoked(door: Door) -> None:
    door.index_as_store_says()  # followed before the revocation
    door.admin.revoke(door.ticket_id, reason="fraud", cause=ADMIN_CAUSE)

    assert door.scan().result is ScanResult.REVOKED
    assert door.check_ins() == []


def test_an_index_behind_a_rotation_hands_the_new_token_to_the_store(door: Door) -> None:
    door.index_as_store_says()  # knows version 1 only
    door.admin.rotate(door.ticket_id, reason=None, cause=ADMIN_CAUSE)
    new = door.wired.services.tickets.for_user("dancer-1", "2026-fall").token

    assert door.scan(new).result is ScanResult.OK
    assert door.scan().result is ScanResult.SUPERSEDED


def test_an_index_that_does_not_know_the_ticket_yet_falls_back_to_the_store(door: Door) -> None:
    assert door.index.entries == {}

    assert door.scan().result is ScanResult.OK
    assert door.scan().result is ScanResult.ALREADY_CHECKED_IN
    assert door.index.lookups >= 2


# --- Scan ids and races ------------------------------------------------------------------------


def test_a_repeated_scan_id_gets_the_first_answer_and_records_nothing(door: Door) -> None:
    first = door.scan(scan_id="door-a:0001")
    door.wired.clock.advance(minutes=5)
    before = door.wired.notification_count()

    again = door.scan(scan_id="door-a:0001")

    assert first.result is again.result is ScanResult.OK
    assert again.ticket is not None and first.ticket is not None
    assert again.ticket.checked_in_at == first.ticket.checked_in_at
    assert door.wired.notification_count() == before
    assert len(door.check_ins()) == 1
    assert (
        door.wired.store.get(Scan, Scan.id_for("door-1", "door-a:0001")).ticket_id == door.ticket_id
    )
    # A new scan id on the same day is a new scan: already checked in.
    assert door.scan(scan_id="door-a:0002").result is ScanResult.ALREADY_CHECKED_IN


@pytest.mark.parametrize("then", ["revoked", "rotated", "expired", "index_knows"])
def test_a_repeated_scan_id_keeps_its_first_answer_whatever_happened_since(
    door: Door, then: str
) -> None:
    """A door that lost the answer sends the scan again: it gets ``ok`` and when, even if the
    ticket was revoked or rotated meanwhile, the token expired, or the index has caught up."""
    first = door.scan(scan_id="door-a:0001")
    if then == "revoked":
        door.admin.revoke(door.ticket_id, reason="fraud", cause=ADMIN_CAUSE)
    elif then == "rotated":
        door.admin.rotate(door.ticket_id, reason="lost phone", cause=ADMIN_CAUSE)
    elif then == "expired":
        door.wired.clock.set(datetime(2026, 12, 16, 12, 0, tzinfo=UTC))
    else:
        checked_in = first.ticket.checked_in_at if first.ticket else None
        door.index_as_store_says(
            last_check_in_date=local_date(NOW, "Europe/Oslo"), last_check_in_at=checked_in
        )

    again = door.scan(scan_id="door-a:0001")

    assert first.result is again.result is ScanResult.OK
    assert again.ticket is not None and first.ticket is not None
    assert again.ticket.checked_in_at == first.ticket.checked_in_at
    assert len(door.check_ins()) == 1


def test_a_scan_id_is_looked_up_only_when_the_answer_is_not_ok(
    door: Door, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The door app sends a scan id with every scan: an ``ok`` reads no record of it, a
    repeat reads it once (it was twice: before deciding, and after ``already_checked_in``)."""
    store, looked_up = door.wired.store, []
    find = store.find

    def counting_find(kind: Any, aggregate_id: UUID) -> Any:
        if kind is Scan:
            looked_up.append(aggregate_id)
        return find(kind, aggregate_id)

    monkeypatch.setattr(store, "find", counting_find)

    assert door.scan(scan_id="door-a:0001").result is ScanResult.OK
    assert looked_up == []
    assert door.scan(scan_id="door-a:0002").result is ScanResult.ALREADY_CHECKED_IN
    assert looked_up == [Scan.id_for("door-1", "door-a:0002")]


def test_a_scan_id_reused_for_another_token_is_refused(door: Door) -> None:
    door.scan(scan_id="door-a:0001")
    put_profile(door.wired, "dancer-2")
    door.wired.services.stripe_events.handle(paid(place(door.wired, "dancer-2", "salsa1")))
    other = door.wired.services.tickets.for_user("dancer-2", "2026-fall").token

    with pytest.raises(Conflict) as refused:
        door.scan(other, scan_id="door-a:0001")
    assert refused.value.code == "scan_id_reused"


@pytest.mark.parametrize("other", ["unknown_ticket", "bad_signature", "manual_unknown"])
def test_a_scan_id_reused_for_a_token_that_would_be_refused_is_refused_as_reused(
    door: Door, other: str
) -> None:
    """Whatever the other token would have answered, a scan id already answered for another
    token is the client's mistake, and is said so."""
    door.scan(scan_id="door-a:0001")
    ticket = door.ticket()
    assert ticket.token is not None

    unknown = TokenClaims(
        uuid4(), ticket.period_id, ticket.person_id, 1, NOW, ticket.token.expires_at
    )
    attempts = {
        "unknown_ticket": lambda: door.scan(door.wired.signer.sign(unknown), "door-a:0001"),
        "bad_signature": lambda: door.scan(door.token[:-4] + "AAAA", "door-a:0001"),
        "manual_unknown": lambda: manual(door, scan_id="door-a:0001", ticket_id=uuid4()),
    }

    with pytest.raises(Conflict) as refused:
        attempts[other]()
    assert refused.value.code == "scan_id_reused"


def test_the_loser_of_a_race_runs_again_and_finds_the_winners_check_in(
    door: Door, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = door.wired.store
    save = store.save
    raced = []

    def save_after_a_rival(*aggregates: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            # Another door checks the same ticket in between our load and our save.
            rival = CheckIns(
                store, door.wired.signer, FakeScanIndex(), door.wired.clock, door.meter
            )
            monkeypatch.setattr(store, "save", save)
            assert (
                rival.scan(
                    ScanRequest(door.token, DoorCall("door-b", None, "door-2")), STAFF
                ).result
                is ScanResult.OK
            )
            monkeypatch.setattr(store, "save", save_after_a_rival)
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(store, "save", save_after_a_rival)

    answer = door.scan()

    assert answer.result is ScanResult.ALREADY_CHECKED_IN
    [event] = door.check_ins()
    assert event.device_id == "door-b"


def test_failed_scans_are_logged_and_counted_without_the_token(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    tampered = door.token[:-4] + ("1111" if door.token.endswith("0000") else "0000")
    caplog.set_level(logging.INFO, logger="application.door.checkin")
    door.admin.revoke(door.ticket_id, reason="fraud", cause=ADMIN_CAUSE)

    door.scan(tampered)
    door.scan()

    failed = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.__dict__["result"] for r in failed] == ["invalid", "revoked"]
    assert failed[1].__dict__["ticket_id"] == str(door.ticket_id)
    assert failed[0].__dict__["device_id"] == "door-a"
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert door.token not in text and tampered not in text
        assert door.token.split(".")[1] not in text  # not even its payload
    assert door.meter.counts == {"invalid": 1, "revoked": 1}


def test_the_event_store_decides_with_the_periods_timezone_when_the_index_is_empty(
    door: Door,
) -> None:
    period = door.wired.store.get(Period, door.ticket().period_id)
    assert period.timezone == "Europe/Oslo"
    door.wired.clock.set(datetime(2026, 8, 20, 22, 30, tzinfo=UTC))  # 00:30 on the 21st in Oslo

    door.scan()

    [event] = door.check_ins()
    assert event.local_date.isoformat() == "2026-08-21"
    assert event.checked_in_at == datetime(2026, 8, 20, 22, 30, tzinfo=UTC)
    assert NOW + timedelta(days=1) > event.checked_in_at


# --- By name: search, manual check-in; today's list -----------------------------------------


def manual(door: Door, scan_id: str | None = None, ticket_id: UUID | None = None) -> ScanAnswer:
    request = ManualRequest(
        door.ticket_id if ticket_id is None else ticket_id, DoorCall("door-a", scan_id, "door-1")
    )
    return door.checkins.manual(request, STAFF)


def test_a_manual_check_in_is_recorded_as_manual_with_the_same_words(door: Door) -> None:
    first = manual(door, scan_id="m-1")
    repeated = manual(door, scan_id="m-1")
    door.wired.clock.advance(minutes=5)
    again = manual(door)

    assert first.result is ScanResult.OK
    assert (repeated.result, repeated.ticket) == (first.result, first.ticket)
    assert again.result is ScanResult.ALREADY_CHECKED_IN
    [event] = door.check_ins()
    assert (event.manual, event.scan_id, event.device_id) == (True, "m-1", "door-a")
    assert door.meter.counts == {"ok": 2, "already_checked_in": 1}


def test_a_manual_check_in_of_an_unknown_or_revoked_ticket(door: Door) -> None:
    assert manual(door, ticket_id=uuid4()).result is ScanResult.INVALID
    door.admin.revoke(door.ticket_id, reason="refunded", cause=STAFF)

    assert manual(door).result is ScanResult.REVOKED
    assert door.check_ins() == []


def test_a_scan_id_of_a_scan_is_not_reused_for_a_manual_check_in(door: Door) -> None:
    door.scan(scan_id="s-1")
    with pytest.raises(Conflict):
        manual(door, scan_id="s-1")


def test_search_ignores_case_and_accents_and_needs_every_word(door: Door) -> None:
    entry = door.index_as_store_says()
    other = replace(entry, ticket_id=uuid4(), person_name="Ola Nordmann")
    gone = replace(entry, ticket_id=uuid4(), person_name="Åse Revoked", active=False)
    elsewhere = replace(entry, ticket_id=uuid4(), period_code="2027-spring")
    for e in (other, gone, elsewhere):
        door.index.entries[e.ticket_id] = e

    assert [t.person_name for t in door.checkins.search("2026-fall", "ASE overgard")] == [
        "Åse Øvergård"
    ]
    assert [t.person_name for t in door.checkins.search("2026-fall", "o")] == [
        "Åse Øvergård",
        "Ola Nordmann",
    ]
    assert door.checkins.search("2026-fall", "åse nordmann") == []
    assert door.checkins.search("2026-fall", "   ") == []


def test_today_lists_the_periods_check_ins_of_today_in_its_timezone(door: Door) -> None:
    today = NOW.date()
    entry = door.index_as_store_says(last_check_in_date=today, last_check_in_at=NOW)
    yesterday = replace(entry, ticket_id=uuid4(), last_check_in_date=today - timedelta(days=1))
    door.index.entries[yesterday.ticket_id] = yesterday

    day = door.checkins.today("2026-fall")

    assert day.date == today
    assert [e.ticket_id for e in day.check_ins] == [door.ticket_id]
    assert door.checkins.today("1999-spring").check_ins == ()
