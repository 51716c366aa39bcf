"""Orders: placed by a dancer, read by their purchaser or an admin."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from application.errors import (
    CHECKOUT_UNAVAILABLE,
    ORDER_NOT_FOUND,
    PERIOD_NOT_FOUND,
    PERSON_NOT_FOUND,
)
from application.orders.ordering import Orders, Wish
from entrypoints.http.deps import Caused, User
from entrypoints.http.openapi import (
    BEARER,
    INVALID_ORDER,
    NOT_FOUND,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    UNKNOWN_TRACK,
    WRITE_PROBLEMS,
    problems,
)
from entrypoints.http.orders.schemas import OrderIn, OrderOut
from entrypoints.http.params import OrderIdPath


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]

    @post(
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createOrder",
        security=BEARER,
        summary="Order registrations for a period (prices come from the period)",
        responses=problems(
            UNAUTHENTICATED,
            PERIOD_NOT_FOUND,
            PERSON_NOT_FOUND,
            INVALID_ORDER,
            UNKNOWN_TRACK,
            CHECKOUT_UNAVAILABLE,
            *WRITE_PROBLEMS,
        ),
    )
    def place_order(
        self, orders: NamedDependency[Orders], user: User, cause: Caused, data: JSONBody[OrderIn]
    ) -> OrderOut:
        order = orders.place(
            user_id=user.user_id,
            user_email=user.email,
            period_code=data.period_code,
            wishes=tuple(
                Wish(r.track_code, r.person_id, r.role.value if r.role else None)
                for r in data.registrations
            ),
            cause=cause,
            is_admin=user.is_admin,
        )
        return OrderOut.of(order)

    @get(
        "/{orderId:uuid}",
        sync_to_thread=True,
        operation_id="getOrder",
        security=BEARER,
        summary="An order (its purchaser or an admin)",
        responses=problems(UNAUTHENTICATED, ORDER_NOT_FOUND, NOT_FOUND, *STORE_PROBLEMS),
    )
    def get_order(
        self, orders: NamedDependency[Orders], user: User, order_id: OrderIdPath
    ) -> OrderOut:
        order = orders.get(order_id, user_id=user.user_id, is_admin=user.is_admin)
        return OrderOut.of(order)
