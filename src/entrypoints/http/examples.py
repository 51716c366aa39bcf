"""Examples of the main request and response bodies, shown in the OpenAPI document.

They are instances of the bodies' own structs, so they cannot drift from the schema (a test
also validates each against its schema in the exported document). One walk-through: an admin
schedules "2026-fall", a dancer makes her profile, orders Salsa 1, pays, gets her ticket, and
it is scanned at the door.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.order import OrderStatus, RegistrationStatus
from domain.scan import ScanResult
from domain.schedule import Weekday
from domain.ticket import TicketStatus
from entrypoints.http.door.schemas import ScanIn, ScannedTicketOut, ScanOut
from entrypoints.http.orders.schemas import OrderIn, OrderOut, RegistrationIn, RegistrationOut, Role
from entrypoints.http.people.schemas import PersonIn, ProfileIn, ProfileOut
from entrypoints.http.periods.schemas import (
    ClassSlotIn,
    ClassSlotOut,
    PeriodIn,
    PeriodOut,
    PeriodTrackOut,
    TrackIn,
)
from entrypoints.http.tickets.schemas import (
    NextClassOut,
    RevokeIn,
    RotateIn,
    ScheduledTrackOut,
    TicketOut,
    TicketTrackOut,
)

_PERIOD_ID = UUID("5d0b7c1e-2f34-5b8e-9a10-3c4d5e6f7a8b")
_PERSON_ID = UUID("8f14e45f-ceea-567a-a1a3-1c2b3d4e5f60")
_ORDER_ID = UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
_TICKET_ID = UUID("7c9e6679-7425-50de-944b-e07fc1f90ae7")
_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzYWxzYW5vci10aWNrZXRzIn0.c2lnbmF0dXJl"  # noqa: S105 (an example, signed by no key)
_SALSA = TicketTrackOut(code="salsa1", name="Salsa 1")
_TUESDAYS = ClassSlotOut(
    weekday=Weekday.TUESDAY, start_time="19:00", end_time="20:30", room="Sal A"
)

EXAMPLES: dict[type[msgspec.Struct], Any] = {
    ProfileIn: ProfileIn(
        name="Åse Øvergård", email="ase@example.no", phone="+47 912 34 567", locale="nb"
    ),
    PersonIn: PersonIn(name="Ola Nordmann", email="ola@example.no", locale="en"),
    ProfileOut: ProfileOut(
        person_id=_PERSON_ID,
        user_id="dancer-1",
        name="Åse Øvergård",
        email="ase@example.no",
        phone="+47 912 34 567",
        locale="nb",
    ),
    PeriodIn: PeriodIn(
        code="2026-fall",
        name="Fall 2026",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 15),
        timezone="Europe/Oslo",
        currency="NOK",
        location="Dansestudio, Oslo",
        tracks=[
            TrackIn(
                code="salsa1",
                name="Salsa 1",
                price_cents=150000,
                schedule=[
                    ClassSlotIn(
                        weekday=Weekday.TUESDAY, start_time="19:00", end_time="20:30", room="Sal A"
                    )
                ],
            )
        ],
        skip_dates=[date(2026, 10, 6)],
    ),
    PeriodOut: PeriodOut(
        period_id=_PERIOD_ID,
        code="2026-fall",
        name="Fall 2026",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 15),
        timezone="Europe/Oslo",
        location="Dansestudio, Oslo",
        currency="NOK",
        tracks=[
            PeriodTrackOut(
                code="salsa1",
                name="Salsa 1",
                price_cents=150000,
                schedule=[_TUESDAYS],
            )
        ],
        skip_dates=[date(2026, 10, 6)],
    ),
    OrderIn: OrderIn(
        period_code="2026-fall",
        registrations=[RegistrationIn(track_code="salsa1", role=Role.LEADER)],
    ),
    OrderOut: OrderOut(
        order_id=_ORDER_ID,
        status=OrderStatus.PENDING,
        period_code="2026-fall",
        purchaser_person_id=_PERSON_ID,
        total_cents=150000,
        currency="NOK",
        checkout_url="https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
        registrations=[
            RegistrationOut(
                registration_id=UUID("16fd2706-8baf-433b-82eb-8c7fada847da"),
                person_id=_PERSON_ID,
                track_code="salsa1",
                role=Role.LEADER,
                price_cents=150000,
                status=RegistrationStatus.PENDING,
            )
        ],
    ),
    TicketOut: TicketOut(
        ticket_id=_TICKET_ID,
        period_id=_PERIOD_ID,
        period_code="2026-fall",
        period_name="Fall 2026",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 15),
        location="Dansestudio, Oslo",
        person_id=_PERSON_ID,
        person_name="Åse Øvergård",
        tracks=[ScheduledTrackOut(code="salsa1", name="Salsa 1", schedule=[_TUESDAYS])],
        next_class=NextClassOut(
            track_code="salsa1",
            starts_at=datetime(2026, 9, 8, 17, tzinfo=UTC),
            ends_at=datetime(2026, 9, 8, 18, 30, tzinfo=UTC),
        ),
        status=TicketStatus.ACTIVE,
        qr_token=_TOKEN,
        qr_token_version=1,
        qr_token_expires_at=datetime(2026, 12, 15, 22, 59, 59, tzinfo=UTC),
        view_url=f"https://tickets.salsanor.no/tickets/{_TICKET_ID}?key=Zm9vYmFy",
        pdf_url=f"https://tickets.salsanor.no/api/tickets/download/{_TICKET_ID}?key=Zm9vYmFy",
    ),
    ScanIn: ScanIn(token=_TOKEN, device_id="front-door", scan_id="front-door:000001"),
    ScanOut: ScanOut(
        result=ScanResult.OK,
        ticket=ScannedTicketOut(
            ticket_id=_TICKET_ID,
            person_name="Åse Øvergård",
            period_code="2026-fall",
            tracks=[_SALSA],
            checked_in_at=datetime(2026, 9, 1, 18, 2, 11, tzinfo=UTC),
        ),
    ),
    RevokeIn: RevokeIn(reason="chargeback"),
    RotateIn: RotateIn(reason="lost phone"),
}
