"""The composition root: the one place where adapters are chosen and built."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.alert_sinks import LogAlertSink
from adapters.clock import SystemClock
from adapters.eventstore import open_store
from adapters.identity import JwtIdentityVerifier
from adapters.qr_tokens import JwtTokenSigner
from adapters.stripe_gateway import StripeGateway
from application.alerts import Alerts
from application.following import Follower, ReadModel
from application.fulfilment import Fulfilment
from application.issuing import TicketIssuing
from application.orders import CheckoutUrls, Orders
from application.people import People
from application.periods import Periods
from application.ports import AlertSink, Clock, IdentityVerifier, PaymentGateway, TokenSigner
from application.store import TicketStore
from application.tickets import TicketDesk
from application.tokens import TokenIssuer
from entrypoints.settings import Settings


@dataclass(frozen=True)
class Services:
    """The use cases, wired: what the HTTP app and the CLI call."""

    settings: Settings
    store: TicketStore
    identity: IdentityVerifier
    gateway: PaymentGateway
    alerts: Alerts
    periods: Periods
    people: People
    orders: Orders
    fulfilment: Fulfilment
    tickets: TicketDesk
    # What the worker drives, in this order; read models are also rebuilt by the audit replay.
    read_models: tuple[ReadModel, ...] = ()
    followers: tuple[Follower, ...] = ()

    def close(self) -> None:
        self.store.close()


def build(
    settings: Settings,
    *,
    store: TicketStore | None = None,
    clock: Clock | None = None,
    signer: TokenSigner | None = None,
    gateway: PaymentGateway | None = None,
    identity: IdentityVerifier | None = None,
    alert_sink: AlertSink | None = None,
) -> Services:
    """Wires the service; tests may pass their own adapter for any port."""
    store = store or open_store(settings.database)
    clock = clock or SystemClock()
    gateway = gateway or StripeGateway(settings.stripe)
    alerts = Alerts(store, alert_sink or LogAlertSink())
    tokens = TokenIssuer(signer or JwtTokenSigner(settings.tokens), clock)
    issuing = TicketIssuing(store, tokens)
    periods = Periods(store)
    return Services(
        settings=settings,
        store=store,
        identity=identity or JwtIdentityVerifier(settings.identity),
        gateway=gateway,
        alerts=alerts,
        periods=periods,
        people=People(store, issuing),
        orders=Orders(
            store,
            periods,
            gateway,
            CheckoutUrls(settings.http.checkout_success_url, settings.http.checkout_cancel_url),
        ),
        fulfilment=Fulfilment(store, issuing, alerts),
        tickets=TicketDesk(store, periods, tokens, alerts),
    )
