"""The ticket desk: serves the QR token whose hash was recorded, and rotates one that no longer
matches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from application.errors import NotFound
from application.tickets.ports import ExpiredToken, InvalidToken, TokenClaims, TokenSigner
from application.tickets.token_repair import TokenRepair
from application.tickets.tokens import TokenIssuer
from domain.alert import Alert, AlertKind, Severity
from domain.person import Person
from domain.shared import Cause
from domain.ticket import Ticket
from tests.support.fakes import (
    FakeSigner,
    FrozenClock,
    Wired,
    paid,
    place,
    put_profile,
    schedule,
    sha256_hex,
    wire,
)

pytestmark = pytest.mark.unit

DAY = timedelta(days=1)


@pytest.fixture
def world() -> Iterator[Wired]:
    """Åse has paid for her order of the fall period: her ticket is issued."""
    wired = wire()
    schedule(wired)
    put_profile(wired, "ase")
    wired.services.stripe_events.handle(paid(place(wired, "ase", "salsa1")))
    yield wired
    wired.services.close()


def stored_ticket(world: Wired) -> Ticket:
    period = world.services.periods.by_code("2026-fall")
    return world.store.get(Ticket, Ticket.id_for(period.id, Person.id_for_user("ase")))


def test_the_served_token_is_the_one_whose_hash_was_recorded(world: Wired) -> None:
    ticket = stored_ticket(world)

    served = world.services.tickets.for_user("ase", "2026-fall")

    assert ticket.token is not None
    assert sha256_hex(served.token) == ticket.token.token_hash
    claims = world.signer.verify(served.token)
    assert (claims.ticket_id, claims.person_id, claims.version) == (ticket.id, ticket.person_id, 1)
    assert (served.ticket.id, served.person.name, served.period.code) == (
        ticket.id,
        "Åse Øvergård",
        "2026-fall",
    )


def test_the_same_token_is_served_every_time_and_serving_records_nothing(world: Wired) -> None:
    recorded = world.notification_count()

    tokens = {world.services.tickets.for_user("ase", "2026-fall").token for _ in range(3)}

    assert len(tokens) == 1
    assert world.notification_count() == recorded
    assert world.sink.notices == []


def test_a_token_that_no_longer_matches_its_hash_is_rotated_and_alerted(world: Wired) -> None:
    old_token = world.services.tickets.for_user("ase", "2026-fall").token
    # The signing key changed (a new secret was deployed): the same claims sign differently.
    desk = wire(store=world.store, clock=world.clock, signer=FakeSigner(b"the new key"))

    served = desk.services.tickets.for_user("ase", "2026-fall")

    ticket = stored_ticket(world)
    assert ticket.token is not None and ticket.token.version == 2
    assert served.token != old_token
    assert sha256_hex(served.token) == ticket.token.token_hash
    assert desk.signer.verify(served.token).version == 2
    assert served.ticket.token is not None and served.ticket.token.version == 2
    [notice] = desk.sink.notices
    assert (notice.kind, notice.severity, notice.subject) == (
        "token_mismatch",
        Severity.CRITICAL.value,
        str(ticket.id),
    )
    assert world.store.get(Alert, notice.alert_id).kind is AlertKind.TOKEN_MISMATCH


def test_token_repair_leaves_a_token_that_scans_as_it_is(world: Wired) -> None:
    # Another request repaired it between this read's check and its repair: nothing to do.
    ticket = stored_ticket(world)
    period = world.services.periods.by_code("2026-fall")
    tokens = TokenIssuer(world.signer, world.clock)
    recorded = world.notification_count()

    repaired, token = TokenRepair(world.store, tokens, world.services.alerts).repair(
        ticket.id, period
    )

    assert token == world.services.tickets.for_user("ase", "2026-fall").token
    assert repaired.token == ticket.token
    assert world.notification_count() == recorded
    assert world.sink.notices == []


def test_a_rotated_token_is_served_again_without_another_rotation(world: Wired) -> None:
    desk = wire(store=world.store, clock=world.clock, signer=FakeSigner(b"the new key"))
    first = desk.services.tickets.for_user("ase", "2026-fall").token
    recorded = desk.notification_count()

    again = desk.services.tickets.for_user("ase", "2026-fall").token

    assert again == first
    assert desk.notification_count() == recorded
    assert len(desk.sink.notices) == 1


def test_a_user_without_a_ticket_of_the_period_has_none(world: Wired) -> None:
    put_profile(world, "bjorn", name="Bjørn")

    with pytest.raises(NotFound) as missing:
        world.services.tickets.for_user("bjorn", "2026-fall")

    assert missing.value.code == "ticket_not_found"


def test_a_revoked_ticket_is_not_served(world: Wired) -> None:
    ticket = stored_ticket(world)
    ticket.revoke(reason="refunded", cause=Cause(actor="admin-1"))
    world.store.save(ticket)

    with pytest.raises(NotFound) as missing:
        world.services.tickets.for_user("ase", "2026-fall")

    assert missing.value.code == "ticket_not_found"


def test_a_ticket_of_another_period_is_not_served(world: Wired) -> None:
    schedule(world, code="2027-spring", name="Spring 2027")

    with pytest.raises(NotFound) as missing:
        world.services.tickets.for_user("ase", "2027-spring")

    assert missing.value.code == "ticket_not_found"


def test_an_unknown_period_has_no_tickets(world: Wired) -> None:
    with pytest.raises(NotFound) as missing:
        world.services.tickets.for_user("ase", "1999-fall")

    assert missing.value.code == "period_not_found"


# --- The TokenSigner port the desk relies on: the fake keeps the real signer's promises ---


def signers(clock: FrozenClock) -> list[TokenSigner]:
    return [
        FakeSigner(b"key-one", clock),
        JwtTokenSigner(QrTokenConfig(secret=b"k" * 32, leeway_seconds=0), clock),
    ]


@pytest.mark.parametrize("index", [0, 1], ids=["fake", "jwt"])
def test_a_signer_is_deterministic_and_verifies_its_own_tokens(index: int) -> None:
    clock = FrozenClock()
    signer = signers(clock)[index]
    issued_at = clock.now().replace(microsecond=0)  # tokens carry whole seconds
    claims = TokenClaims(uuid4(), uuid4(), uuid4(), 3, issued_at, issued_at + DAY)

    token = signer.sign(claims)

    assert signer.sign(claims) == token
    assert signer.sign(replace(claims, version=4)) != token
    assert signer.verify(token) == claims
    with pytest.raises(InvalidToken):
        signer.verify(token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:])
    with pytest.raises(InvalidToken):
        signers(clock)[index - 1].verify(token)  # the other signer's token
    clock.advance(days=2)
    with pytest.raises(ExpiredToken):
        signer.verify(token)
