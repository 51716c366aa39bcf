"""The Litestar application factory."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from entrypoints.bootstrap import Services
from entrypoints.http import (
    audit,
    checkin,
    controllers,
    devices,
    door_pages,
    ticket_delivery,
    ticket_emails,
)
from entrypoints.http.auth import provide_admin, provide_cause, provide_user
from entrypoints.http.problems import EXCEPTION_HANDLERS

MAX_BODY_BYTES = 256 * 1024


def _services(state: State) -> Services:
    services: Services = state.services
    return services


def create_app(
    services: Services, *, owns_services: bool = True, **litestar_options: Any
) -> Litestar:
    """The app; it closes the services at shutdown unless its caller does (after the worker)."""
    return Litestar(
        route_handlers=[
            controllers.HealthController,
            controllers.ProfileController,
            controllers.AdminController,
            controllers.PeriodController,
            controllers.OrderController,
            controllers.WebhookController,
            controllers.TicketController,
            ticket_delivery.TicketDownloadController,
            ticket_delivery.TicketPageController,
            ticket_emails.TicketEmailController,
            checkin.CheckInController,
            checkin.TicketAdminController,
            checkin.JwksController,
            devices.AdminDeviceController,
            devices.PairingController,
            door_pages.DoorPageController,
            door_pages.door_assets(),
            audit.AuditController,
            PrometheusController,
        ],
        state=State({"services": services}),
        dependencies={
            "services": Provide(_services, sync_to_thread=False),
            "user": Provide(provide_user, sync_to_thread=True),
            "admin": Provide(provide_admin, sync_to_thread=False),
            "cause": Provide(provide_cause, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        # Paths grouped by route template: ids in raw paths would make a label per ticket.
        middleware=[
            PrometheusConfig(
                app_name="salsanor_tickets",
                prefix="tickets",
                group_path=True,
                exclude_unhandled_paths=True,
            ).middleware
        ],
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,  # logging is the CLI's: JSON lines (entrypoints.logs)
        openapi_config=OpenAPIConfig(
            title="salsanor-tickets",
            version="0.1.0",
            description="Ticket fulfillment: Stripe payment to paid order to signed QR ticket.",
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", bearer_format="JWT"
                    ),
                    "DeviceCredential": SecurityScheme(
                        type="apiKey",
                        name="Authorization",
                        security_scheme_in="header",
                        description="`Device <credential>`: a paired door device",
                    ),
                }
            ),
            security=[{"BearerToken": []}],
        ),
        on_shutdown=[services.close] if owns_services else [],
        **litestar_options,
    )
