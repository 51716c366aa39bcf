"""Use cases of orders: place one (prices from the period) and start its Stripe checkout."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from application.errors import CHECKOUT_UNAVAILABLE, ORDER_NOT_FOUND, PERSON_NOT_FOUND
from application.payments.ports import (
    CheckoutLine,
    CheckoutRequest,
    PaymentGateway,
    PaymentGatewayError,
)
from application.periods.scheduling import Periods
from application.store import TicketStore
from domain.order import Order, RequestedRegistration
from domain.person import Person
from domain.shared import Cause

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wish:
    """One registration as the purchaser asks for it; no price: prices are the period's."""

    track_code: str
    person_id: UUID | None
    role: str | None


@dataclass(frozen=True)
class CheckoutUrls:
    success_url: str  # may hold {orderId}
    cancel_url: str


class Orders:
    def __init__(
        self,
        store: TicketStore,
        periods: Periods,
        gateway: PaymentGateway,
        urls: CheckoutUrls,
    ) -> None:
        self._store = store
        self._periods = periods
        self._gateway = gateway
        self._urls = urls

    def place(
        self,
        *,
        user_id: str,
        user_email: str | None,
        period_code: str,
        wishes: tuple[Wish, ...],
        cause: Cause,
        is_admin: bool = False,
    ) -> Order:
        period = self._periods.by_code(period_code)
        purchaser = Person.id_for_user(user_id)
        requested = []
        for wish in wishes:
            person_id = wish.person_id or purchaser
            if person_id != purchaser and not self._may_register(person_id, is_admin):
                # One answer for a person that does not exist and one that is not the caller's
                # to register: a stranger learns nothing of who exists.
                raise PERSON_NOT_FOUND(f"no person {person_id} you may register")
            requested.append(RequestedRegistration(person_id, wish.track_code, wish.role))
        order = Order.place(
            period=period, purchaser_person_id=purchaser, requested=tuple(requested), cause=cause
        )
        self._store.save(order)
        log.info(
            "order placed",
            extra={
                "step": "order placed",
                "order_id": str(order.id),
                "total_cents": order.total_cents,
            },
        )
        lines = tuple(
            CheckoutLine(f"{period.name}: {period.track(r.track_code).name}", r.price_cents)
            for r in order.registrations
        )
        email = purchaser_email(self._store, purchaser) or user_email
        request = CheckoutRequest(
            order_id=order.id,
            currency=order.currency,
            lines=lines,
            customer_email=email,
            success_url=self._urls.success_url.replace("{orderId}", str(order.id)),
            cancel_url=self._urls.cancel_url.replace("{orderId}", str(order.id)),
        )
        try:
            session = self._gateway.start_checkout(request)
        except PaymentGatewayError as error:
            log.error(
                "checkout failed",
                extra={"step": "checkout failed", "order_id": str(order.id), "error": str(error)},
            )
            raise CHECKOUT_UNAVAILABLE(
                f"the payment provider is unavailable; order {order.id} stays pending"
            ) from None
        if session is not None:
            order.start_checkout(
                session_id=session.session_id, checkout_url=session.url, cause=cause
            )
            self._store.save(order)
        return order

    def _may_register(self, person_id: UUID, is_admin: bool) -> bool:
        """Who may be registered by someone else: any person, by an admin; by a user, a person
        without an account (a partner the school added, whose id it gave the buyer). Whoever
        has an account registers themselves, or an admin does it for them."""
        person = self._store.find(Person, person_id)
        return person is not None and (is_admin or person.user_id is None)

    def get(self, order_id: UUID, *, user_id: str, is_admin: bool) -> Order:
        order = self._store.find(Order, order_id)
        mine = order is not None and order.purchaser_person_id == Person.id_for_user(user_id)
        if order is None or not (mine or is_admin):
            raise ORDER_NOT_FOUND(f"no order {order_id}")
        return order


def purchaser_email(store: TicketStore, person_id: UUID) -> str | None:
    person = store.find(Person, person_id)
    return person.email if person else None
