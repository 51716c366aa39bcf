"""The routes: thin, a body in, one use case, a body out."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody, RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from adapters.persistence.eventstore import check_ready
from application.errors import StoreUnavailable
from application.orders import Wish
from application.ports import InvalidWebhook, Principal, StripeNotice
from application.worker.stalls import FollowerHealth
from domain.period import Track
from domain.shared import Cause
from entrypoints.bootstrap import Services
from entrypoints.http import schemas as s
from entrypoints.http.openapi import (
    BEARER,
    BODY_PROBLEMS,
    BUSY,
    CHECKOUT_UNAVAILABLE,
    FORBIDDEN,
    FULFILMENT_FAILED,
    INVALID_ORDER,
    INVALID_PERIOD,
    INVALID_PROFILE,
    INVALID_WEBHOOK,
    NOT_FOUND,
    ORDER_NOT_FOUND,
    PAYLOAD_TOO_LARGE,
    PERIOD_EXISTS,
    PERIOD_NOT_FOUND,
    PERSON_EXISTS,
    PERSON_NOT_FOUND,
    PROFILE_NOT_FOUND,
    PROFILE_REQUIRED,
    RATE_LIMITED,
    STORE_PROBLEMS,
    STORE_UNAVAILABLE,
    STRIPE_SIGNATURE,
    TICKET_NOT_FOUND,
    UNAUTHENTICATED,
    UNKNOWN_TRACK,
    UNSUPPORTED_MEDIA_TYPE,
    problems,
)
from entrypoints.http.params import OrderIdPath, PeriodCodePath
from entrypoints.http.problems import RETRY_AFTER_SECONDS, HttpProblem
from entrypoints.http.rate_limits import rate_limited
from entrypoints.http.request_context import context_of

log = logging.getLogger(__name__)

# Dependencies by name, provided by the app (see app.py): the service, the caller, the cause.
Deps = NamedDependency[Services]
User = NamedDependency[Principal]
Admin = NamedDependency[Principal]
Caused = NamedDependency[Cause]


class HealthController(Controller):
    tags = ["health"]

    @get("/health", sync_to_thread=False, operation_id="getHealth", summary="Liveness")
    def health(self) -> s.HealthOut:
        return s.HealthOut("ok")

    @get(
        "/health/ready",
        sync_to_thread=True,
        operation_id="getReadiness",
        summary="Readiness: the event store answers",
        responses=problems(STORE_UNAVAILABLE),
    )
    def ready(self, services: Deps) -> s.ReadyOut:
        try:
            check_ready(services.settings.database, services.store)
            # Details, not a reason to take this instance out of service: a stalled follower
            # is the worker's trouble (and an alert), the API still answers.
            stalled = FollowerHealth(services.store, services.followers).stalled()
        except Exception as error:  # any failure of the store means: not ready
            log.warning("event store not ready", extra={"error": type(error).__name__})
            raise HttpProblem(
                503,
                "store_unavailable",
                "the event store does not answer",
                retry_after=int(RETRY_AFTER_SECONDS[StoreUnavailable.code]),
            ) from None
        return s.ReadyOut("ready", [s.StalledFollowerOut.of(f) for f in stalled])


class ProfileController(Controller):
    path = "/api/me/profile"
    tags = ["people"]

    @get(
        sync_to_thread=True,
        operation_id="getMyProfile",
        security=BEARER,
        summary="The caller's person profile",
        responses=problems(UNAUTHENTICATED, PROFILE_NOT_FOUND, *STORE_PROBLEMS),
    )
    def get_profile(self, services: Deps, user: User) -> s.ProfileOut:
        return s.ProfileOut.of(services.people.profile_of(user.user_id))

    @put(
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="putMyProfile",
        security=BEARER,
        summary="Create or update the caller's person profile",
        responses=problems(UNAUTHENTICATED, INVALID_PROFILE, *BODY_PROBLEMS, *STORE_PROBLEMS),
    )
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

    @post(
        "/people",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createPerson",
        security=BEARER,
        summary="Add a person without an account, e.g. a partner (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            PERSON_EXISTS,
            INVALID_PROFILE,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def add_person(
        self, services: Deps, admin: Admin, cause: Caused, data: JSONBody[s.PersonIn]
    ) -> s.ProfileOut:
        person = services.people.add_partner(
            name=data.name, email=data.email, user_id=data.user_id, cause=cause
        )
        return s.ProfileOut.of(person)

    @post(
        "/periods",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createPeriod",
        security=BEARER,
        summary="Schedule a course period with its tracks and prices (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            PERIOD_EXISTS,
            INVALID_PERIOD,
            UNKNOWN_TRACK,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
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


class PeriodController(Controller):
    path = "/api/periods"
    tags = ["periods"]

    @get(
        "/{periodCode:str}",
        sync_to_thread=True,
        operation_id="getPeriod",
        summary="A period with its tracks and prices",
        responses=problems(PERIOD_NOT_FOUND, *STORE_PROBLEMS),
    )
    def get_period(self, services: Deps, period_code: PeriodCodePath) -> s.PeriodOut:
        return s.PeriodOut.of(services.periods.by_code(period_code))


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
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def place_order(
        self, services: Deps, user: User, cause: Caused, data: JSONBody[s.OrderIn]
    ) -> s.OrderOut:
        order = services.orders.place(
            user_id=user.user_id,
            user_email=user.email,
            period_code=data.period_code,
            wishes=tuple(
                Wish(r.track_code, r.person_id, r.role.value if r.role else None)
                for r in data.registrations
            ),
            cause=cause,
        )
        return s.OrderOut.of(order)

    @get(
        "/{orderId:uuid}",
        sync_to_thread=True,
        operation_id="getOrder",
        security=BEARER,
        summary="An order (its purchaser or an admin)",
        responses=problems(UNAUTHENTICATED, ORDER_NOT_FOUND, NOT_FOUND, *STORE_PROBLEMS),
    )
    def get_order(self, services: Deps, user: User, order_id: OrderIdPath) -> s.OrderOut:
        order = services.orders.get(order_id, user_id=user.user_id, is_admin=user.is_admin)
        return s.OrderOut.of(order)


class WebhookController(Controller):
    path = "/api/webhooks"
    tags = ["webhooks"]

    @post(
        "/stripe",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="receiveStripeWebhook",
        security=STRIPE_SIGNATURE,
        summary="Stripe's events (signed): payments fulfil orders, refunds cancel them",
        description=(
            "The raw body is verified against `Stripe-Signature`. Handled and ignored events, "
            'repeated deliveries included, answer 200 `{"received": true}`. A failure to '
            "record the event answers 5xx with nothing recorded, so that Stripe retries."
        ),
        responses=problems(
            INVALID_WEBHOOK,
            PAYLOAD_TOO_LARGE,
            UNSUPPORTED_MEDIA_TYPE,
            FULFILMENT_FAILED,
            BUSY,
            STORE_UNAVAILABLE,
        ),
    )
    def stripe(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        body: RawBody,
        signature: Annotated[
            str | None,
            HeaderParameter(
                name="stripe-signature",
                required=False,
                description="`t=<timestamp>,v1=<hex HMAC-SHA256>`, as Stripe sends it",
            ),
        ],
    ) -> s.WebhookOut:
        # The raw bytes, exactly as Stripe signed them: re-serialized JSON would not verify.
        context = context_of(request)
        log.info("fulfilment received", extra={"step": "received", "bytes": len(body)})
        try:
            notice = services.gateway.parse_webhook(bytes(body), signature)
        except InvalidWebhook as invalid:
            log.warning("fulfilment rejected", extra={"step": "rejected", "reason": str(invalid)})
            services.metrics.webhook("unknown", "invalid_signature")
            raise HttpProblem(400, "invalid_webhook", str(invalid)) from None
        # On every later line of this request, and on an error sent to Sentry.
        context.note(stripe_event_id=notice.event_id, order_id=_order_ref(notice))
        log.info("fulfilment verified", extra={"step": "verified", "event_type": notice.event_type})
        try:
            outcome = services.stripe_events.handle(notice, context.request_id)
        except Exception:
            services.metrics.webhook(notice.event_type, "failed")
            # An ERROR line (and so a Sentry event), with the ids bound above, whatever the
            # status it is answered with (500, or 503 while the store is away).
            log.error("fulfilment failed", exc_info=True, extra={"step": "failed"})
            raise
        services.metrics.webhook_applied(notice, outcome)
        return s.WebhookOut(received=True)


def _order_ref(notice: StripeNotice) -> str | None:
    """The order the event names, if it is an order id (Stripe's metadata is free text)."""
    ref = getattr(notice, "order_ref", None)
    try:
        return str(UUID(ref)) if ref else None
    except ValueError:
        return None


class TicketController(Controller):
    path = "/api/tickets"
    tags = ["tickets"]

    @get(
        "/{periodCode:str}",
        sync_to_thread=True,
        guards=[rate_limited("ticket")],
        operation_id="getMyTicket",
        security=BEARER,
        summary="The caller's ticket for a period, with its QR token",
        responses=problems(
            UNAUTHENTICATED,
            PERIOD_NOT_FOUND,
            TICKET_NOT_FOUND,
            PROFILE_REQUIRED,
            RATE_LIMITED,
            *STORE_PROBLEMS,
        ),
    )
    def my_ticket(self, services: Deps, user: User, period_code: PeriodCodePath) -> s.TicketOut:
        return s.TicketOut.of(services.tickets.for_user(user.user_id, period_code))
