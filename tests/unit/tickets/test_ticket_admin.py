"""Rotating and revoking a ticket's token: recorded with the admin and the reason, on fakes."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from application.errors import Conflict, NotFound
from application.tickets.admin import TicketAdmin
from application.tickets.tokens import TokenIssuer
from domain.person import Person
from domain.ticket import Ticket, TicketStatus
from tests.support.fakes import (
    ADMIN_CAUSE,
    Wired,
    paid,
    place,
    put_profile,
    schedule,
    sha256_hex,
    wire,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def world() -> Iterator[Wired]:
    wired = wire()
    schedule(wired)
    put_profile(wired, "dancer-1")
    wired.services.stripe_events.handle(paid(place(wired, "dancer-1", "salsa1")))
    yield wired
    wired.services.close()


@pytest.fixture
def admin(world: Wired) -> TicketAdmin:
    return TicketAdmin(world.store, TokenIssuer(world.signer, world.clock))


def ticket_id(world: Wired) -> UUID:
    period = world.services.periods.by_code("2026-fall")
    return Ticket.id_for(period.id, Person.id_for_user("dancer-1"))


def test_a_rotation_records_the_admin_the_reason_and_a_new_token_version(
    world: Wired, admin: TicketAdmin
) -> None:
    old = world.services.tickets.for_user("dancer-1", "2026-fall").token

    managed = admin.rotate(ticket_id(world), reason="lost phone", cause=ADMIN_CAUSE)

    assert managed.ticket.token is not None and managed.ticket.token.version == 2
    rotated, issued = list(world.store.events.get(managed.ticket.id))[-2:]
    assert isinstance(rotated, Ticket.TokenRotated) and isinstance(issued, Ticket.QrTokenIssued)
    assert (rotated.reason, rotated.replaced_version) == ("lost phone", 1)
    assert rotated.cause == issued.cause == ADMIN_CAUSE
    new = world.services.tickets.for_user("dancer-1", "2026-fall").token
    assert new != old and issued.token_hash == sha256_hex(new)
    assert managed.person is not None and managed.person.name == "Åse Øvergård"


def test_a_revocation_records_the_admin_and_the_reason_once(
    world: Wired, admin: TicketAdmin
) -> None:
    managed = admin.revoke(ticket_id(world), reason="  chargeback  ", cause=ADMIN_CAUSE)
    again = admin.revoke(ticket_id(world), reason="twice", cause=ADMIN_CAUSE)

    assert managed.ticket.status is again.ticket.status is TicketStatus.REVOKED
    revocations = [
        e for e in world.store.events.get(managed.ticket.id) if type(e) is Ticket.Revoked
    ]
    assert [(e.reason, e.cause) for e in revocations] == [("chargeback", ADMIN_CAUSE)]


def test_a_revoked_tickets_token_is_not_rotated(world: Wired, admin: TicketAdmin) -> None:
    admin.revoke(ticket_id(world), reason="fraud", cause=ADMIN_CAUSE)

    with pytest.raises(Conflict) as refused:
        admin.rotate(ticket_id(world), reason=None, cause=ADMIN_CAUSE)
    assert refused.value.code == "ticket_revoked"


def test_an_unknown_ticket_is_not_found(admin: TicketAdmin) -> None:
    with pytest.raises(NotFound) as not_rotated:
        admin.rotate(uuid4(), reason=None, cause=ADMIN_CAUSE)
    with pytest.raises(NotFound) as not_revoked:
        admin.revoke(uuid4(), reason="x", cause=ADMIN_CAUSE)

    assert not_rotated.value.code == not_revoked.value.code == "ticket_not_found"
