"""The composition root: the one place where adapters are chosen and built.

One module: every adapter is built once here and handed to the use cases that need it, so
the whole wiring reads top to bottom in one place (cosmicpython's bootstrap).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from adapters.alert_channels import EmailAlertChannel, LogAlertChannel, WebhookAlertChannel
from adapters.calendar_file import IcalendarWriter
from adapters.clock import SystemClock
from adapters.email.content import EmailContentConfig, JinjaEmailContent
from adapters.email.outbox import FileMailer, FileMailerConfig
from adapters.email.render_pool import PooledEmailContent
from adapters.email.ses import SesConfig, SesMailer
from adapters.email.smtp import SmtpMailer
from adapters.identity import JwtIdentityVerifier
from adapters.metrics import FollowerLag, Scrape, ServiceMetrics
from adapters.pages import JinjaPages, PagesConfig
from adapters.pdf_ticket import PdfTicketRenderer
from adapters.persistence.beside_events import open_beside_events
from adapters.persistence.eventstore import check_ready, open_store
from adapters.persistence.pdf_cache import SqlPdfCache
from adapters.persistence.store_config import StoreConfig, sqlite_path
from adapters.persistence.worker_coordination import (
    FileFollowerLocks,
    NoFollowerLocks,
    PollWakeup,
    PostgresFollowerLocks,
    PostgresWakeup,
)
from adapters.qr_tokens import JwtTokenSigner
from adapters.rate_limiter import RateLimiter, open_rate_limiter
from adapters.scan_metrics import PrometheusScanMeter
from adapters.stripe_gateway import StripeGateway
from adapters.ticket_links import SignedTicketLinks, TicketLinksConfig
from application.alerts.alerts import Alerts
from application.alerts.board import AlertBoard
from application.alerts.channels import AlertChannels
from application.alerts.ports import AlertChannel
from application.audit.auditing import Audit
from application.clock import Clock
from application.devices.pairing import Devices
from application.devices.ports import DeviceActivity
from application.door.attendance import Attendance
from application.door.checkin import CheckIns
from application.door.undo import CheckInUndoing
from application.emails.delivery import TicketEmails
from application.emails.jobs import EmailPolicy
from application.emails.ports import EmailContent, Mailer
from application.emails.requests import EmailRequests
from application.identity import IdentityVerifier
from application.orders.ordering import CheckoutUrls, Orders
from application.payments.payment_handling import PaymentHandling
from application.payments.ports import PaymentGateway
from application.payments.refund_handling import RefundHandling
from application.payments.stripe_events import StripeEvents
from application.people.profiles import People
from application.periods.scheduling import Periods
from application.store import TicketStore
from application.tickets.admin import TicketAdmin
from application.tickets.calendars import TicketCalendars
from application.tickets.desk import TicketDesk
from application.tickets.documents import TicketDocuments
from application.tickets.issuing import TicketIssuing
from application.tickets.ports import PdfCache, TicketRenderer, TokenSigner
from application.tickets.tokens import TokenIssuer
from application.worker.following import Follower, ReadModel
from application.worker.loop import Worker
from application.worker.ports import FollowerLocks, FollowerStore, Wakeup
from application.worker.stalls import FollowerHealth
from entrypoints.settings import EmailSettings, Settings
from entrypoints.version import package_version

log = logging.getLogger(__name__)

# The door's and the admins' scripts: the words they translate with t() are read from them.
PAGE_SCRIPTS: Final = Path(__file__).parent / "http" / "static"


@dataclass(frozen=True)
class Services:
    """The use cases, wired: what the CLI and the tests call. The HTTP app keeps it and gives
    each route the one use case it calls (entrypoints.http.deps)."""

    settings: Settings
    store: TicketStore
    audit: Audit
    identity: IdentityVerifier
    gateway: PaymentGateway
    alerts: Alerts
    alert_board: AlertBoard  # the admins' paged alert list (a read model) and acknowledgements
    periods: Periods
    people: People
    orders: Orders
    stripe_events: StripeEvents
    tickets: TicketDesk
    documents: TicketDocuments
    calendars: TicketCalendars  # a ticket's classes as an iCalendar file
    rate_limits: RateLimiter  # of the ticket routes (entrypoints.http.rate_limits)
    checkins: CheckIns
    undoing: CheckInUndoing  # mistaken check-ins taken back
    ticket_admin: TicketAdmin
    devices: Devices
    attendance: Attendance
    ticket_jwks: dict[str, list[dict[str, str]]]  # the QR tokens' public keys (EdDSA), for doors
    email_requests: EmailRequests
    follower_store: (
        FollowerStore  # the followers' positions and pending jobs (emails, alert deliveries)
    )
    pages: JinjaPages  # the HTML pages: web ticket, door scanner, admin pages
    metrics: ServiceMetrics  # Prometheus counters (webhooks, tickets, emails, alerts)
    device_activity: DeviceActivity  # devices' last-seen times
    pdf_cache: PdfCache  # rendered PDFs, shared by every process
    # What the worker drives, in this order: the read models (also rebuilt by the audit
    # replay) first, then the followers that send things.
    read_models: tuple[ReadModel, ...]
    followers: tuple[Follower, ...]
    follower_lag: FollowerLag | None  # the followers' lag, read when /metrics is scraped
    render_pool: PooledEmailContent | None = None  # ticket emails' render processes, if any

    @functools.cached_property
    def scrape(self) -> Scrape:
        """What /metrics answers, on the public port or METRICS_PORT: made once for these
        services (it keeps the database's gauges for METRICS_CACHE_SECONDS), over their own
        followers."""
        return Scrape(
            self.follower_health,
            self.follower_lag,
            version=package_version(),
            multiprocess_dir=self.settings.metrics.multiprocess_dir,
            cache_seconds=self.settings.metrics.cache_seconds,
        )

    @property
    def follower_health(self) -> FollowerHealth:
        """Which of the followers are stalled now (read from the store at each call)."""
        return FollowerHealth(self.store, self.followers)

    @property
    def readiness(self) -> Readiness:
        return Readiness(self.settings.database, self.store, self.follower_health)

    def close(self) -> None:
        self.store.close()
        log.info("event store closed")
        for model in self.read_models:
            model.close()
        self.rate_limits.close()
        self.device_activity.close()
        if isinstance(self.pdf_cache, SqlPdfCache):
            self.pdf_cache.close()
        if self.render_pool is not None:
            self.render_pool.close()


@dataclass(frozen=True)
class Readiness:
    """What ``/health/ready`` asks: does the event store answer, which followers are stalled."""

    database: StoreConfig
    store: TicketStore
    followers: FollowerHealth

    def check_store(self) -> None:
        """Raises when the event store cannot serve now."""
        check_ready(self.database, self.store)


def build(
    settings: Settings,
    *,
    store: TicketStore | None = None,
    clock: Clock | None = None,
    signer: TokenSigner | None = None,
    gateway: PaymentGateway | None = None,
    identity: IdentityVerifier | None = None,
    alert_channel: AlertChannel | None = None,
    renderer: TicketRenderer | None = None,
    mailer: Mailer | None = None,
) -> Services:
    """Wires the service; tests may pass their own adapter for any port."""
    store = store or open_store(settings.database)
    metrics = ServiceMetrics()
    store.on_saved(metrics.recorded)  # tickets issued, alerts raised: counted once recorded
    clock = clock or SystemClock()
    gateway = gateway or StripeGateway(settings.stripe)
    alerts = Alerts(store, alert_channel or LogAlertChannel())
    # The clock also decides expiry at the door: a test's clock moves both.
    signer = signer or JwtTokenSigner(settings.tokens, clock)
    tokens = TokenIssuer(signer, clock)
    beside = open_beside_events(settings.database)
    scan_index, alert_list = beside.scan_index, beside.alert_list
    device_activity, pdf_cache = beside.device_activity, beside.pdf_cache
    follower_store = beside.follower_store
    issuing = TicketIssuing(store, tokens)
    periods = Periods(store)
    links = SignedTicketLinks(
        TicketLinksConfig(settings.http.public_base_url, settings.tokens.secret)
    )
    tickets = TicketDesk(store, periods, tokens, alerts, clock, links)
    # A test's renderer draws its emails' PDFs here; else render processes draw them.
    render_apart = renderer is None
    renderer = renderer or PdfTicketRenderer(settings.brand)
    documents = TicketDocuments(
        tickets, renderer, pdf_cache, default_locale=settings.languages.default_locale
    )
    read_models: tuple[ReadModel, ...] = (scan_index, alert_list)
    content = _email_content(settings, renderer, render_apart=render_apart)
    mailer = mailer or build_mailer(settings.email)
    ticket_emails = TicketEmails(
        store,
        follower_store,
        mailer,
        content,
        documents,
        alerts,
        clock,
        EmailPolicy(settings.email.max_attempts, settings.email.retry_seconds),
        meter=metrics,
    )
    alert_delivery = _alert_delivery(settings.email, store, follower_store, mailer, content, clock)
    # The worker's followers: the read models first, then those that send things.
    followers: tuple[Follower, ...] = (*read_models, ticket_emails, *alert_delivery)
    follower_lag = FollowerLag(store, followers, follower_store)
    return Services(
        settings=settings,
        store=store,
        audit=Audit(store, tokens),
        identity=identity or JwtIdentityVerifier(settings.identity),
        gateway=gateway,
        alerts=alerts,
        alert_board=AlertBoard(store, alert_list),
        periods=periods,
        people=People(
            store,
            issuing,
            locales=settings.languages.supported,
            default_locale=settings.languages.default_locale,
        ),
        orders=Orders(
            store,
            periods,
            gateway,
            CheckoutUrls(settings.http.checkout_success_url, settings.http.checkout_cancel_url),
        ),
        stripe_events=StripeEvents(
            store, alerts, PaymentHandling(store, issuing), RefundHandling(store), gateway, metrics
        ),
        tickets=tickets,
        documents=documents,
        calendars=TicketCalendars(documents, IcalendarWriter(settings.brand.school_name)),
        pdf_cache=pdf_cache,
        rate_limits=open_rate_limiter(settings.rate_limits),
        checkins=CheckIns(store, signer, scan_index, clock, PrometheusScanMeter()),
        undoing=CheckInUndoing(store, clock),
        ticket_admin=TicketAdmin(store, tokens),
        devices=Devices(store, periods, device_activity, clock),
        attendance=Attendance(periods, scan_index, clock),
        device_activity=device_activity,
        ticket_jwks=signer.public_jwks(),
        read_models=read_models,
        followers=followers,
        follower_lag=follower_lag,
        email_requests=EmailRequests(store),
        follower_store=follower_store,
        pages=JinjaPages(
            PagesConfig(
                settings.brand,
                settings.http.public_base_url,
                locales=settings.languages.supported,
                default_locale=settings.languages.default_locale,
                scripts=PAGE_SCRIPTS,
            )
        ),
        metrics=metrics,
        render_pool=content if isinstance(content, PooledEmailContent) else None,
    )


def _email_content(
    settings: Settings, renderer: TicketRenderer, *, render_apart: bool
) -> JinjaEmailContent | PooledEmailContent:
    """Ticket emails rendered in processes of their own (EMAIL_RENDER_PROCESSES), unless none
    are wanted or a test's renderer must draw them.

    The content renders what the email follower gives it and calls nothing back: a PDF not
    rendered before is drawn with the email by ``renderer`` (the downloads' own, or the same
    one in each render process) and kept by the follower through the documents use case.
    """
    config = EmailContentConfig(
        settings.brand,
        settings.email.reply_to,
        alert_locale=settings.languages.default_locale,
    )
    here = JinjaEmailContent(config, renderer.render_pdf)
    processes = settings.email.render_processes
    if not render_apart or processes == 0:
        return here
    return PooledEmailContent(config, processes, sender=settings.email.sender, here=here)


def build_mailer(email: EmailSettings) -> Mailer:
    """The mailer that EMAIL_BACKEND names (file by default)."""
    if email.backend == "ses":
        return SesMailer(SesConfig(email.sender, email.aws_region, email.aws_endpoint_url))
    if email.smtp is not None:  # the smtp backend
        return SmtpMailer(email.smtp)
    return FileMailer(FileMailerConfig(email.outbox_dir, email.sender))


def _alert_delivery(
    email: EmailSettings,
    store: TicketStore,
    follower_store: FollowerStore,
    mailer: Mailer,
    content: EmailContent,
    clock: Clock,
) -> tuple[Follower, ...]:
    """The follower that sends alerts to the admins, when a channel is set."""
    channels: list[AlertChannel] = []
    if email.admin_alert_email:
        channels.append(EmailAlertChannel(email.admin_alert_email, mailer, content))
    if email.alert_webhook is not None:
        channels.append(WebhookAlertChannel(email.alert_webhook))
    if not channels:
        return ()
    delivery = AlertChannels(
        store,
        follower_store,
        channels,
        clock,
        max_attempts=email.max_attempts,
        first_retry_seconds=email.retry_seconds,
    )
    return (delivery,)


def build_worker(services: Services) -> Worker:
    """The worker over every follower: read models first, then the senders."""
    database = services.settings.database
    wakeup: Wakeup = PollWakeup()
    locks: FollowerLocks = NoFollowerLocks()
    if database.is_postgres:
        wakeup, locks = PostgresWakeup(database), PostgresFollowerLocks(database)
    elif database.url.startswith("sqlite:"):
        locks = FileFollowerLocks(sqlite_path(database.url))
    return Worker(
        services.store,
        services.followers,
        wakeup=wakeup,
        locks=locks,
        poll_seconds=services.settings.email.worker_poll_seconds,
        on_stop=(services.follower_store.close,),
        alerts=services.alerts,  # follower_stalled
    )
