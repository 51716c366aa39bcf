"""Periods, profiles and orders: prices from the period, the checkout, who may see what."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from application.errors import Conflict, NotFound, Unavailable
from application.orders.ordering import Wish
from application.payments.ports import CheckoutLine, PaymentGatewayError
from domain.order import Order, OrderStatus
from domain.period import Period
from domain.person import Person
from tests.support.fakes import (
    ADMIN_CAUSE,
    FakeGateway,
    Wired,
    place,
    put_profile,
    schedule,
    user,
    wire,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def world(gateway: FakeGateway) -> Iterator[Wired]:
    wired = wire(gateway=gateway)
    schedule(wired)
    yield wired
    wired.services.close()


# --- Periods -----------------------------------------------------------------------------


def test_a_scheduled_period_is_found_by_its_code(world: Wired) -> None:
    period = world.services.periods.by_code("2026-fall")

    assert (period.name, period.currency) == ("Fall 2026", "NOK")
    assert world.store.get(Period, period.id).code == "2026-fall"


def test_a_period_code_is_taken_once_and_the_loser_saves_nothing(world: Wired) -> None:
    recorded = world.notification_count()

    with pytest.raises(Conflict) as refused:
        schedule(world, name="Fall 2026 again")

    assert refused.value.code == "period_exists"
    assert world.notification_count() == recorded
    assert world.services.periods.by_code("2026-fall").name == "Fall 2026"


def test_an_unknown_period_code_is_not_found(world: Wired) -> None:
    with pytest.raises(NotFound) as missing:
        world.services.periods.by_code("1999-fall")

    assert missing.value.code == "period_not_found"


def test_a_period_read_once_is_cached_without_the_store(
    world: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    periods = world.services.periods
    period = periods.by_code("2026-fall")

    def store_away(*_: object) -> None:
        raise AssertionError("the store was asked again")

    monkeypatch.setattr(world.store, "find", store_away)
    monkeypatch.setattr(world.store, "get", store_away)
    assert periods.cached(period.id).code == "2026-fall"
    assert periods.by_code_cached("2026-fall").id == period.id
    with pytest.raises(AssertionError):
        periods.by_code("2026-fall")  # by_code always asks the store


def test_a_code_looked_up_before_it_was_scheduled_is_found_once_it_is(world: Wired) -> None:
    with pytest.raises(NotFound):
        world.services.periods.by_code("2027-spring")  # a miss is not cached

    schedule(world, code="2027-spring", name="Spring 2027")

    assert world.services.periods.by_code("2027-spring").name == "Spring 2027"
    assert world.services.periods.by_code("2026-fall").name == "Fall 2026"


# --- Profiles ----------------------------------------------------------------------------


def test_putting_a_profile_creates_it_then_updates_it(world: Wired) -> None:
    created = put_profile(world, "ase", name="Åse")
    updated = put_profile(world, "ase", name="Åse Øvergård")

    assert created.id == updated.id == Person.id_for_user("ase")
    stored = world.store.get(Person, created.id)
    # Registered and LocaleChosen (the default language, recorded with it), then the update.
    assert (stored.name, stored.email, stored.version) == ("Åse Øvergård", "ase@example.no", 3)
    assert world.services.people.profile_of("ase").name == "Åse Øvergård"


def test_putting_the_same_profile_again_records_nothing(world: Wired) -> None:
    put_profile(world, "ase")
    recorded = world.notification_count()

    put_profile(world, "ase")

    assert world.notification_count() == recorded


def test_a_user_without_a_profile_has_none_to_show(world: Wired) -> None:
    with pytest.raises(NotFound) as missing:
        world.services.people.profile_of("nobody")

    assert missing.value.code == "profile_not_found"


def test_an_admin_adds_a_partner_without_an_account(world: Wired) -> None:
    partner = world.services.people.add_partner(
        name="Bjørn", email="bjorn@example.no", user_id=None, cause=ADMIN_CAUSE
    )

    stored = world.services.people.get(partner.id)
    assert (stored.name, stored.user_id) == ("Bjørn", None)


def test_an_admin_cannot_add_a_second_profile_for_a_user(world: Wired) -> None:
    put_profile(world, "ase")

    with pytest.raises(Conflict) as refused:
        world.services.people.add_partner(
            name="Åse 2", email="ase2@example.no", user_id="ase", cause=ADMIN_CAUSE
        )

    assert refused.value.code == "person_exists"
    assert world.services.people.profile_of("ase").name == "Åse Øvergård"


# --- Orders ------------------------------------------------------------------------------


def test_an_order_is_priced_by_the_period_and_its_checkout_started(
    world: Wired, gateway: FakeGateway
) -> None:
    put_profile(world, "ase")

    order = place(world, "ase", "salsa1", "bachata1")

    stored = world.store.get(Order, order.id)
    assert [r.price_cents for r in stored.registrations] == [150_000, 120_000]
    assert (stored.total_cents, stored.currency) == (270_000, "NOK")
    assert stored.status is OrderStatus.PENDING
    [request] = gateway.requests
    assert (request.order_id, request.currency) == (order.id, "NOK")
    assert request.lines == (
        CheckoutLine("Fall 2026: Salsa 1", 150_000),
        CheckoutLine("Fall 2026: Bachata 1", 120_000),
    )
    assert request.customer_email == "ase@example.no"
    assert request.success_url == f"https://tickets.example/orders/{order.id}?checkout=success"
    assert request.cancel_url == f"https://tickets.example/orders/{order.id}?checkout=cancelled"
    assert (stored.checkout_session_id, stored.checkout_url) == (
        "cs_test_1",
        "https://checkout.example/pay/cs_test_1",
    )


def test_without_a_profile_the_checkout_gets_the_users_email(
    world: Wired, gateway: FakeGateway
) -> None:
    world.services.orders.place(
        user_id="ase",
        user_email="ase@idp.example",
        period_code="2026-fall",
        wishes=(Wish("salsa1", None, None),),
        cause=user("ase"),
    )

    assert gateway.requests[0].customer_email == "ase@idp.example"


def test_without_online_payment_the_order_is_placed_without_a_checkout(
    world: Wired, gateway: FakeGateway
) -> None:
    gateway.online = False

    order = place(world, "ase", "salsa1")

    stored = world.store.get(Order, order.id)
    assert (stored.checkout_url, stored.checkout_session_id) == (None, None)
    assert (stored.status, stored.version) == (OrderStatus.PENDING, 1)


def test_when_the_gateway_fails_the_order_stays_pending_and_the_caller_is_told(
    world: Wired, gateway: FakeGateway
) -> None:
    gateway.failure = PaymentGatewayError("stripe is down")

    with pytest.raises(Unavailable) as unavailable:
        place(world, "ase", "salsa1")

    assert unavailable.value.code == "checkout_unavailable"
    order_id = gateway.requests[0].order_id
    assert str(order_id) in unavailable.value.detail
    stored = world.store.get(Order, order_id)
    assert (stored.status, stored.checkout_url) == (OrderStatus.PENDING, None)


def test_an_order_for_a_person_who_does_not_exist_is_refused_and_saves_nothing(
    world: Wired, gateway: FakeGateway
) -> None:
    put_profile(world, "ase")
    recorded = world.notification_count()

    with pytest.raises(NotFound) as missing:
        place(world, "ase", "salsa1", partner=uuid4())

    assert missing.value.code == "person_not_found"
    assert world.notification_count() == recorded
    assert gateway.requests == []


def test_a_user_registers_partners_without_an_account_but_not_other_accounts(
    world: Wired, gateway: FakeGateway
) -> None:
    put_profile(world, "ase")
    put_profile(world, "bo")
    partner = world.services.people.add_partner(
        name="Kari", email="kari@example.no", user_id=None, cause=ADMIN_CAUSE
    )
    recorded = world.notification_count()

    with pytest.raises(NotFound) as someone_elses:
        place(world, "ase", "salsa1", partner=Person.id_for_user("bo"))
    stranger = uuid4()
    with pytest.raises(NotFound) as unknown:
        place(world, "ase", "salsa1", partner=stranger)

    # The same answer for both, but the id: nothing tells that bo exists.
    assert someone_elses.value.code == unknown.value.code == "person_not_found"
    assert str(someone_elses.value).replace(str(Person.id_for_user("bo")), "<id>") == str(
        unknown.value
    ).replace(str(stranger), "<id>")
    assert world.notification_count() == recorded
    partnered = place(world, "ase", "salsa1", partner=partner.id)
    assert {r.person_id for r in partnered.registrations} == {Person.id_for_user("ase"), partner.id}
    by_admin = world.services.orders.place(
        user_id="admin-1",
        user_email=None,
        period_code="2026-fall",
        wishes=(Wish("salsa1", Person.id_for_user("bo"), None),),
        cause=ADMIN_CAUSE,
        is_admin=True,
    )
    assert [r.person_id for r in by_admin.registrations] == [Person.id_for_user("bo")]


def test_an_order_in_an_unknown_period_is_refused(world: Wired) -> None:
    with pytest.raises(NotFound) as missing:
        place(world, "ase", "salsa1", period_code="1999-fall")

    assert missing.value.code == "period_not_found"


def test_an_order_is_shown_to_its_purchaser_and_to_admins_only(world: Wired) -> None:
    order = place(world, "ase", "salsa1")
    orders = world.services.orders

    assert orders.get(order.id, user_id="ase", is_admin=False).id == order.id
    assert orders.get(order.id, user_id="admin-1", is_admin=True).id == order.id
    with pytest.raises(NotFound) as hidden:
        orders.get(order.id, user_id="bjorn", is_admin=False)
    assert hidden.value.code == "order_not_found"


def test_an_order_that_does_not_exist_is_not_found_even_for_admins(world: Wired) -> None:
    with pytest.raises(NotFound) as missing:
        world.services.orders.get(uuid4(), user_id="admin-1", is_admin=True)

    assert missing.value.code == "order_not_found"
