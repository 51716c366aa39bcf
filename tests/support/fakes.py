"""Hand-written fakes for the application's ports, and the use cases wired on an in-memory store."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from application.alerts.alerts import notice_of
from application.alerts.ports import AlertNotice
from application.identity import Principal, Unauthenticated
from application.orders.ordering import Wish
from application.payments.ports import (
    CheckoutRequest,
    CheckoutSession,
    InvalidWebhook,
    PaymentConfirmed,
    PaymentGatewayError,
    StripeNotice,
)
from application.store import TicketStore
from application.tickets.ports import ExpiredToken, InvalidToken, TokenClaims
from domain.alert import Alert
from domain.order import Order
from domain.period import Period, PeriodPlan, Track
from domain.person import Person
from domain.shared import Cause

if TYPE_CHECKING:
    from entrypoints.bootstrap import Services

NOW = datetime(2026, 8, 20, 12, 30, 15, 123456, tzinfo=UTC)
ADMIN_CAUSE = Cause(actor="admin-1", reference="req-1")
SETTINGS_ENV = {
    "DATABASE_URL": "memory://",
    "TICKET_JWT_SECRET": "ticket-secret-for-unit-tests-" + "x" * 12,
    "AUTH_JWT_SECRET": "auth-secret-for-unit-tests-" + "y" * 12,
    "STRIPE_WEBHOOK_SECRET": "whsec_unused",
    "PUBLIC_BASE_URL": "https://tickets.example",
    "EMAIL_RENDER_PROCESSES": "0",  # rendered here: the render processes have their own tests
}


# --- Clock -------------------------------------------------------------------------------


@dataclass
class FrozenClock:
    """Clock: time stands still until a test moves it."""

    moment: datetime = NOW

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


# --- TokenSigner -------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FakeSigner:
    """TokenSigner: ``fake.<base64url claims JSON>.<HMAC-SHA256 hex>``, deterministic per key.

    Times are whole epoch seconds, like the real JWT signer, so a token derived again from
    recorded fields is the same string. ``failure``, when set, is raised by ``sign``;
    ``before_sign``, when set, runs once before the next signature (to stage a race).
    """

    def __init__(self, key: bytes = b"fake-signing-key", clock: FrozenClock | None = None) -> None:
        self.key = key
        self.clock = clock or FrozenClock()
        self.failure: Exception | None = None
        self.before_sign: Callable[[], object] | None = None
        self.signed: list[TokenClaims] = []

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": []}  # an HMAC key, like HS256: nothing a door could verify with

    def sign(self, claims: TokenClaims) -> str:
        if self.failure is not None:
            raise self.failure
        if self.before_sign is not None:
            hook, self.before_sign = self.before_sign, None
            hook()
        if claims.version < 1:
            raise ValueError("token versions start at 1")
        body = json.dumps(
            {
                "sub": str(claims.ticket_id),
                "periodId": str(claims.period_id),
                "personId": str(claims.person_id),
                "ver": claims.version,
                "iat": int(claims.issued_at.timestamp()),
                "exp": int(claims.expires_at.timestamp()),
            },
            separators=(",", ":"),
        )
        payload = _b64url(body.encode())
        self.signed.append(claims)
        return f"fake.{payload}.{self._mac(payload)}"

    def verify(self, token: str) -> TokenClaims:
        prefix, _, rest = token.partition(".")
        payload, _, mac = rest.partition(".")
        if prefix != "fake" or not payload or not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidToken("not a token of this signer")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            fields: dict[str, Any] = json.loads(raw)
            claims = TokenClaims(
                ticket_id=UUID(fields["sub"]),
                period_id=UUID(fields["periodId"]),
                person_id=UUID(fields["personId"]),
                version=int(fields["ver"]),
                issued_at=datetime.fromtimestamp(fields["iat"], UTC),
                expires_at=datetime.fromtimestamp(fields["exp"], UTC),
            )
        except (binascii.Error, ValueError, KeyError, TypeError) as error:
            raise InvalidToken(f"token rejected ({type(error).__name__})") from None
        if claims.expires_at <= self.clock.now():
            raise ExpiredToken("token has expired", claims)
        return claims

    def _mac(self, payload: str) -> str:
        return hmac.new(self.key, payload.encode(), hashlib.sha256).hexdigest()


def sha256_hex(text: str) -> str:
    """Written out here, not imported, so a broken ``token_hash`` cannot agree with itself."""
    return hashlib.sha256(text.encode()).hexdigest()


# --- PaymentGateway ----------------------------------------------------------------------


@dataclass
class FakeGateway:
    """PaymentGateway: records checkout requests; webhooks yield the notices queued by a test.

    ``online=False`` is a gateway without online payment (start_checkout returns None);
    ``failure`` is raised by start_checkout when set.
    """

    online: bool = True
    failure: PaymentGatewayError | None = None
    requests: list[CheckoutRequest] = field(default_factory=list)
    notices: deque[StripeNotice] = field(default_factory=deque)
    webhooks: list[tuple[bytes, str | None]] = field(default_factory=list)

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession | None:
        self.requests.append(request)
        if self.failure is not None:
            raise self.failure
        if not self.online:
            return None
        session_id = f"cs_test_{len(self.requests)}"
        return CheckoutSession(session_id, f"https://checkout.example/pay/{session_id}")

    def parse_webhook(self, payload: bytes, signature: str | None) -> StripeNotice:
        self.webhooks.append((payload, signature))
        if signature is None or not self.notices:
            raise InvalidWebhook("no signature, or nothing queued to deliver")
        return self.notices.popleft()


# --- AlertChannel, IdentityVerifier -----------------------------------------------------------


@dataclass
class RecordingAlertChannel:
    """AlertChannel (the one told at once): keeps every notice it was told, in order."""

    name = "recording"
    notices: list[AlertNotice] = field(default_factory=list)

    def deliver(self, alert: AlertNotice) -> None:
        self.notices.append(alert)

    @property
    def kinds(self) -> list[str]:
        return [notice.kind for notice in self.notices]


@dataclass
class FakeIdentity:
    """IdentityVerifier: bearer strings a test handed out, each speaking for one principal."""

    principals: dict[str, Principal] = field(default_factory=dict)
    blocks: bool = False

    def grant(self, bearer_token: str, principal: Principal) -> None:
        self.principals[bearer_token] = principal

    def verify(self, bearer_token: str) -> Principal:
        try:
            return self.principals[bearer_token]
        except KeyError:
            raise Unauthenticated("unknown bearer token") from None


# --- The use cases, wired by the composition root with the fakes ---------------------------


@dataclass
class Wired:
    services: Services
    clock: FrozenClock
    signer: FakeSigner
    gateway: FakeGateway
    sink: RecordingAlertChannel
    identity: FakeIdentity

    @property
    def store(self) -> TicketStore:
        return self.services.store

    def notification_count(self) -> int:
        return self.store.recorder.max_notification_id() or 0


def wire(
    *,
    store: TicketStore | None = None,
    clock: FrozenClock | None = None,
    signer: FakeSigner | None = None,
    gateway: FakeGateway | None = None,
) -> Wired:
    """bootstrap.build() on ``memory://`` with a fake at every port; pass ``store`` to share one."""
    # Imported here: domain tests use this module's scenario values without the composition root.
    from entrypoints.bootstrap import build
    from entrypoints.settings import Settings

    clock = clock or FrozenClock()
    signer = signer or FakeSigner(clock=clock)
    gateway = gateway or FakeGateway()
    sink = RecordingAlertChannel()
    identity = FakeIdentity()
    services = build(
        Settings.from_env(SETTINGS_ENV),
        store=store,
        clock=clock,
        signer=signer,
        gateway=gateway,
        identity=identity,
        alert_channel=sink,
    )
    return Wired(services, clock, signer, gateway, sink, identity)


# --- Scenario steps ----------------------------------------------------------------------

TRACKS = (Track("salsa1", "Salsa 1", 150_000), Track("bachata1", "Bachata 1", 120_000))


def period_plan(**changes: Any) -> PeriodPlan:
    """A valid period's plan, with these fields changed."""
    plan = PeriodPlan(
        code="2026-fall",
        name="Fall 2026",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 15),
        timezone="Europe/Oslo",
        location="Dansestudio, Oslo",
        currency="NOK",
        tracks=TRACKS,
    )
    return replace(plan, **changes)


def new_period(**changes: Any) -> Period:
    """A period scheduled by an admin, not yet saved."""
    return Period.schedule(period_plan(**changes), ADMIN_CAUSE)


def schedule(wired: Wired, **changes: Any) -> Period:
    return wired.services.periods.schedule(period_plan(**changes), ADMIN_CAUSE)


def put_profile(
    wired: Wired, user_id: str, name: str = "Åse Øvergård", locale: str | None = None
) -> Person:
    return wired.services.people.put_profile(
        user_id=user_id,
        name=name,
        email=f"{user_id}@example.no",
        phone=None,
        cause=user(user_id),
        locale=locale,
    )


def place(
    wired: Wired,
    user_id: str,
    *tracks: str,
    partner: UUID | None = None,
    period_code: str = "2026-fall",
) -> Order:
    """An order of ``tracks`` for the user, and the same tracks for ``partner`` if given."""
    wishes = [Wish(track, None, "leader" if partner else None) for track in tracks]
    if partner is not None:
        wishes += [Wish(track, partner, "follower") for track in tracks]
    return wired.services.orders.place(
        user_id=user_id,
        user_email=None,
        period_code=period_code,
        wishes=tuple(wishes),
        cause=user(user_id),
    )


def user(user_id: str) -> Cause:
    return Cause(actor=user_id, reference=f"req-{uuid4().hex[:8]}")


def paid(
    order: Order,
    *,
    event_id: str | None = None,
    amount_cents: int | None = None,
    currency: str | None = None,
    order_ref: str | None = None,
) -> PaymentConfirmed:
    """The notice Stripe sends when ``order`` is paid in full (or as changed)."""
    return PaymentConfirmed(
        event_id=event_id or f"evt_{uuid4().hex}",
        event_type="checkout.session.completed",
        order_ref=str(order.id) if order_ref is None else order_ref,
        payment_intent_id="pi_test_1",
        amount_cents=order.total_cents if amount_cents is None else amount_cents,
        currency=(currency or order.currency).lower(),
    )


def raised_alerts(store: TicketStore) -> list[AlertNotice]:
    """Every alert raised, newest first, read from the log itself (admins page the list)."""
    raised = store.notifications(topics=(Alert.Raised.TOPIC,))
    ids = [store.decode(n).originator_id for n in raised]
    return [notice_of(store.get(Alert, alert_id)) for alert_id in reversed(ids)]
