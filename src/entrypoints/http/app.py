"""The Litestar application factory."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ControllerRouterHandler, Middleware

from entrypoints.bootstrap import Services
from entrypoints.http.alerts import controller as alerts
from entrypoints.http.audit import controller as audit
from entrypoints.http.bodies import JsonBodies
from entrypoints.http.cors import CorsMiddleware
from entrypoints.http.deps import DEPENDENCIES, worker_dependency
from entrypoints.http.devices import controller as devices
from entrypoints.http.door import attendance, pages
from entrypoints.http.door import controller as door
from entrypoints.http.health import controller as health
from entrypoints.http.openapi_document import document, openapi_config
from entrypoints.http.orders import controller as orders
from entrypoints.http.payments import controller as payments
from entrypoints.http.people import controller as people
from entrypoints.http.periods import controller as periods
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.rate_limits import rate_limit_guard, rate_limit_headers
from entrypoints.http.request_context import RequestContextMiddleware
from entrypoints.http.tickets import calendar
from entrypoints.http.tickets import controller as tickets
from entrypoints.worker_cli import BackgroundWorker
from entrypoints.worker_supervisor import WorkerLiveness

MAX_BODY_BYTES = 256 * 1024

# In this order in the OpenAPI document (and so in generated clients).
ROUTES: list[ControllerRouterHandler] = [
    health.HealthController,
    people.ProfileController,
    people.PeopleAdminController,
    periods.PeriodAdminController,
    alerts.AlertController,
    periods.PeriodController,
    orders.OrderController,
    payments.WebhookController,
    tickets.TicketController,
    tickets.TicketDownloadController,
    tickets.TicketPageController,
    calendar.TicketCalendarController,
    tickets.TicketEmailController,
    door.CheckInController,
    tickets.TicketAdminController,
    door.JwksController,
    devices.AdminDeviceController,
    devices.PairingController,
    attendance.AttendanceController,
    pages.DoorPageController,
    pages.door_assets(),
    audit.AuditController,
    health.MetricsController,
]
METRICS = health.MetricsController


def create_app(
    services: Services,
    *,
    owns_services: bool = True,
    run_worker: bool = False,
    worker: WorkerLiveness | None = None,
    public_metrics: bool = True,
    **litestar_options: Any,
) -> Litestar:
    """The app. Its lifespan starts the background worker (``run_worker``) and, at shutdown,
    stops it (it finishes the job at hand) before closing the services it owns. ``worker``
    tells whether a worker this server runs apart is up (``/health/ready`` asks it).

    The lifespan runs however the server stops (SIGTERM as well as SIGINT): uvicorn re-raises
    SIGTERM after its own shutdown, so clean-up around ``uvicorn.run`` would never run.

    ``public_metrics=False``: no /metrics here, `serve` answers it on ``METRICS_PORT``.
    """
    origins = services.settings.http.cors_allow_origins
    background = BackgroundWorker(services) if run_worker else None
    app = _litestar(
        State({"services": services}),
        routes=ROUTES if public_metrics else [r for r in ROUTES if r is not METRICS],
        cors=[CorsMiddleware(frozenset(origins))] if origins else [],
        guards=[rate_limit_guard(services.rate_limits, services.identity)],
        worker=background or worker,
        on_startup=[background.start] if background else [],
        on_shutdown=[
            *([background.stop] if background else []),  # first: it may be mid-job on the store
            *([services.close] if owns_services else []),
        ],
        **litestar_options,
    )
    # Around the whole handler (as Litestar's OpenTelemetry plugin wraps it), not as a route
    # middleware: unrouted 404s and 405s get a request id and an access line too.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document, exactly as the service serves it, without services or a server."""
    return document(_litestar(State(), routes=ROUTES, cors=[]))


def _litestar(
    state: State,
    *,
    routes: list[ControllerRouterHandler],
    cors: list[Middleware],
    worker: WorkerLiveness | None = None,
    **litestar_options: Any,
) -> Litestar:
    return Litestar(
        route_handlers=routes,
        state=state,
        dependencies={**DEPENDENCIES, "worker": worker_dependency(worker)},
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[rate_limit_headers],  # on every response of a limited route
        # Paths grouped by route template: ids in raw paths would make a label per ticket.
        middleware=[
            *cors,
            PrometheusConfig(
                app_name="salsanor_tickets",
                prefix="tickets",
                group_path=True,
                exclude_unhandled_paths=True,
            ).middleware,
            JsonBodies(),
        ],
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,  # logging is the CLI's: JSON lines (entrypoints.logs)
        openapi_config=openapi_config(),
        **litestar_options,
    )
