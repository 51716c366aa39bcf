"""The routes: thin, a body in, one use case, a body out."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_503_SERVICE_UNAVAILABLE

from adapters.eventstore import check_ready
from application.errors import StoreUnavailable
from application.orders import Wish
from application.ports import InvalidWebhook, Principal
from domain.period import Track
from domain.shared import Cause
from entrypoints.bootstrap import Services
from entrypoints.http import schemas as s
from entrypoints.http.auth import request_id
from entrypoints.http.problems import RETRY_AFTER_SECONDS, problem
from entrypoints.http.rate_limits import rate_limited

log = logging.getLogger(__name__)

# Dependencies by name, provided by the app (see app.py): the service, the caller, the cause.
Deps = NamedDependency[Services]
User = NamedDependency[Principal]
Admin = NamedDependency[Principal]
Caused = NamedDependency[Cause]


class HealthController(Controller):
    tags = ["health"]

    @get("/health", sync_to_thread=False)
    def health(self) -> s.HealthOut:
        return s.HealthOut("ok")

    @get("/health/ready", sync_to_thread=True)
    def ready(self, services: Deps) -> Response[Any]:
        try:
            check_ready(services.settings.database, services.store)
        except Exception as error:  # any failure of the store means: not ready
            log.warning("event store not ready", extra={"error": type(error).__name__})
            return problem(
                HTTP_503_SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the event store does not answer",
                headers={"Retry-After": RETRY_AFTER_SECONDS[StoreUnavailable.code]},
            )
        return Response(s.HealthOut("ready"))


class ProfileController(Controller):
    path = "/api/me/profile"
    tags = ["people"]

    @get(sync_to_thread=True)
    def get_profile(self, services: Deps, user: User) -> s.ProfileOut:
        return s.ProfileOut.of(services.people.profile_of(user.user_id))

    @put(sync_to_thread=True, status_code=HTTP_200_OK)
    def put_profile(
        self, services: Deps, user: User, cause: Caused, data: JSONBody[s.ProfileIn]
    ) -> s.ProfileOut:
        person = services.people.put_profile(
            user_id=user.user_id, name=data.name, email=data.email, phone=data.phone, cause=cause
        )
        return s.ProfileOut.of(person)


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]

    @post("/people", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def add_person(
        self, services: Deps, admin: Admin, cause: Caused, data: JSONBody[s.PersonIn]
    ) -> s.ProfileOut:
        person = services.people.add_partner(
            name=data.name, email=data.email, user_id=data.user_id, cause=cause
        )
        return s.ProfileOut.of(person)

    @post("/periods", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def schedule_period(
        self, services: Deps, admin: Admin, cause: Caused, data: JSONBody[s.PeriodIn]
    ) -> s.PeriodOut:
        period = services.periods.schedule(
            code=data.code,
            name=data.name,
            start_date=data.start_date,
            end_date=data.end_date,
            timezone=data.timezone,
            location=data.location,
            currency=data.currency,
            tracks=tuple(Track(t.code, t.name, t.price_cents) for t in data.tracks),
            cause=cause,
        )
        return s.PeriodOut.of(period)

    @get("/alerts", sync_to_thread=True)
    def alerts(self, services: Deps, admin: Admin) -> list[s.AlertOut]:
        return [s.AlertOut.of(alert) for alert in services.alerts.newest_first()]


class PeriodController(Controller):
    path = "/api/periods"
    tags = ["periods"]

    @get("/{period_code:str}", sync_to_thread=True)
    def get_period(self, services: Deps, period_code: FromPath[str]) -> s.PeriodOut:
        return s.PeriodOut.of(services.periods.by_code(period_code))


class OrderController(Controller):
    path = "/api/orders"
    tags = ["orders"]

    @post(sync_to_thread=True, status_code=HTTP_201_CREATED)
    def place_order(
        self, services: Deps, user: User, cause: Caused, data: JSONBody[s.OrderIn]
    ) -> s.OrderOut:
        order = services.orders.place(
            user_id=user.user_id,
            user_email=user.email,
            period_code=data.period_code,
            wishes=tuple(Wish(r.track_code, r.person_id, r.role) for r in data.registrations),
            cause=cause,
        )
        return s.OrderOut.of(order)

    @get("/{order_id:uuid}", sync_to_thread=True)
    def get_order(self, services: Deps, user: User, order_id: FromPath[UUID]) -> s.OrderOut:
        order = services.orders.get(order_id, user_id=user.user_id, is_admin=user.is_admin)
        return s.OrderOut.of(order)


class WebhookController(Controller):
    path = "/api/webhooks"
    tags = ["webhooks"]

    @post("/stripe", sync_to_thread=True, status_code=HTTP_200_OK)
    def stripe(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        body: RawBody,
        signature: Annotated[str | None, HeaderParameter(name="stripe-signature", required=False)],
    ) -> Response[Any]:
        # The raw bytes, exactly as Stripe signed them: re-serialized JSON would not verify.
        log.info(
            "fulfilment received",
            extra={"step": "received", "bytes": len(body), "request_id": request_id(request)},
        )
        try:
            notice = services.gateway.parse_webhook(bytes(body), signature)
        except InvalidWebhook as invalid:
            log.warning("fulfilment rejected", extra={"step": "rejected", "reason": str(invalid)})
            return problem(400, "invalid_webhook", str(invalid))
        log.info(
            "fulfilment verified",
            extra={
                "step": "verified",
                "stripe_event_id": notice.event_id,
                "event_type": notice.event_type,
            },
        )
        services.fulfilment.handle(notice)
        return Response(s.WebhookOut(received=True))


class TicketController(Controller):
    path = "/api/tickets"
    tags = ["tickets"]

    @get("/{period_code:str}", sync_to_thread=True, guards=[rate_limited("ticket")])
    def my_ticket(self, services: Deps, user: User, period_code: FromPath[str]) -> s.TicketOut:
        return s.TicketOut.of(services.tickets.for_user(user.user_id, period_code))
