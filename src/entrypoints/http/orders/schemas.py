"""Bodies of the order routes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec

from domain.order import Order, OrderStatus, RegistrationStatus
from entrypoints.http import fields
from entrypoints.http.schemas import (
    Camel,
    Code,
    Out,
)


class Role(StrEnum):
    """A dancer's role in a couple dance (the order may leave it out)."""

    LEADER = "leader"
    FOLLOWER = "follower"


class RegistrationIn(Camel):
    track_code: Code
    person_id: UUID | None = None
    role: Role | None = None

    def __post_init__(self) -> None:
        fields.one_line("trackCode", self.track_code)


class OrderIn(Camel):
    period_code: Code
    registrations: Annotated[list[RegistrationIn], msgspec.Meta(min_length=1, max_length=20)]

    def __post_init__(self) -> None:
        fields.one_line("periodCode", self.period_code)


class RegistrationOut(Out):
    registration_id: UUID
    person_id: UUID
    track_code: str
    role: Role | None
    price_cents: int
    status: RegistrationStatus


class OrderOut(Out):
    order_id: UUID
    status: OrderStatus
    period_code: str
    purchaser_person_id: UUID
    total_cents: int
    currency: str
    checkout_url: str | None
    registrations: list[RegistrationOut]

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            order_id=order.id,
            status=order.status,
            period_code=order.period_code,
            purchaser_person_id=order.purchaser_person_id,
            total_cents=order.total_cents,
            currency=order.currency,
            checkout_url=order.checkout_url,
            registrations=[
                RegistrationOut(
                    registration_id=r.registration_id,
                    person_id=r.person_id,
                    track_code=r.track_code,
                    role=_role(r.role),
                    price_cents=r.price_cents,
                    status=order.registration_status[r.registration_id],
                )
                for r in order.registrations
            ],
        )


def _role(role: str | None) -> Role | None:
    # Orders record a role the domain checked against the same two words.
    return Role(role) if role is not None else None
