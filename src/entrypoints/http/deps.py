"""The routes' dependencies, by the name a handler's parameter takes: the caller, the cause,
the use case.

Litestar matches a handler's parameter to a dependency by its name (``user: User``); the app
registers every provider here once (``DEPENDENCIES``), a controller may override one (the door's
``cause`` is the door caller's). The use cases come from the one ``Services`` that
``entrypoints.bootstrap`` built, kept in the app's state: a route gets only what it calls.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, TypeVar

from anyio import to_thread
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import SkipValidation

from application.devices.pairing import Devices, DoorDevice
from application.door.checkin import DoorCall
from application.errors import FORBIDDEN, WRONG_PERIOD
from application.identity import IdentityVerifier, Principal, Unauthenticated
from domain.shared import Cause
from entrypoints.bootstrap import Services
from entrypoints.http.auth import bearer_token, device_credential, verified_already, verified_user
from entrypoints.http.request_context import request_id
from entrypoints.worker_supervisor import WorkerLiveness

DOOR_ROLES = frozenset({"staff", "admin"})
T = TypeVar("T")

Jwks = dict[str, list[dict[str, str]]]  # the QR tokens' public keys


@dataclass(frozen=True)
class DoorCaller:
    """Who works the door: staff or an admin (bearer token), or a paired device."""

    actor: str  # the user id, or ``device:<deviceId>``
    device: DoorDevice | None = None
    admin: bool = False  # may undo anyone's check-in, at any time

    def call(
        self, device_id: str | None, scan_id: str | None, track_code: str | None = None
    ) -> DoorCall:
        """What a check-in records of its caller: a device's own id (whatever the body says;
        staff may name theirs), the caller, the period a device acts within, and the class the
        door picked."""
        own = str(self.device.device_id) if self.device is not None else device_id
        return DoorCall(own, scan_id, self.actor, self.own_period, track_code)

    @property
    def own_period(self) -> str | None:
        """The period a device was paired for: it acts only within it. None: every period."""
        return self.device.period_code if self.device is not None else None

    def period_code(self, given: str | None) -> str:
        """The period a door route is asked about: the device's own, never another one."""
        own = self.own_period
        if own is not None and given is not None and given != own:
            raise WRONG_PERIOD(f"this device is paired for the period {own}")
        code = given or own
        if not code:
            message = "periodCode is required: this caller has no period of its own"
            raise ValidationException(message, extra=[{"key": "periodCode", "message": message}])
        return code


# A port's adapter, by name: not type-checked per request. Python 3.11's isinstance on a
# runtime-checkable Protocol walks its members every time (a large share of a route's CPU).
Port = NamedDependency[SkipValidation[T]]
User = NamedDependency[Principal]
Admin = NamedDependency[Principal]
Caused = NamedDependency[Cause]
Door = NamedDependency[DoorCaller]


def services_of(state: State) -> Services:
    services: Services = state.services
    return services


async def provide_user(request: Request[Any, Any, Any], state: State) -> Principal:
    # Verified by the route's rate limit already: no thread hop. Else off the event loop (an
    # identity provider's keys may have to be fetched).
    known = verified_already(request)
    if known is not None:
        return known
    return await to_thread.run_sync(verified_user, request, services_of(state).identity)


def provide_admin(user: User) -> Principal:
    if not user.is_admin:
        raise FORBIDDEN("this needs the admin role")
    return user


def provide_cause(request: Request[Any, Any, Any], user: User) -> Cause:
    """The caller and the request (entrypoints.http.request_context): recorded in events."""
    rid = request_id(request)
    return Cause(actor=user.user_id, reference=rid, request_id=rid)


def provide_device(request: Request[Any, Any, Any], devices: Port[Devices]) -> DoorDevice:
    credential = device_credential(request)
    if credential is None:
        raise Unauthenticated("an Authorization: Device <credential> header is required")
    return devices.authenticate(credential)


def provide_door_caller(
    request: Request[Any, Any, Any], devices: Port[Devices], identity: Port[IdentityVerifier]
) -> DoorCaller:
    credential = device_credential(request)
    if credential is not None:
        device = devices.authenticate(credential)
        return DoorCaller(device.actor, device)
    user = identity.verify(bearer_token(request))
    if not user.roles & DOOR_ROLES:
        raise FORBIDDEN("the door needs the staff or admin role, or a paired device")
    return DoorCaller(user.user_id, admin=user.is_admin)


def provide_door_cause(request: Request[Any, Any, Any], door: Door) -> Cause:
    rid = request_id(request)
    return Cause(actor=door.actor, reference=rid, request_id=rid)


def _provided(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(services_of(state), name)

    return Provide(provide, sync_to_thread=False)


# Everything ``Services`` holds, a route takes by its name there (``people:
# NamedDependency[People]``): what it calls and nothing else, with no provider written per use
# case. Its properties too (readiness, follower_health: read anew for each request; scrape:
# made once).
USE_CASES: dict[str, Provide] = {
    name: _provided(name)
    for name in (
        *(field.name for field in dataclasses.fields(Services)),
        *(
            name
            for name, value in vars(Services).items()
            if isinstance(value, property | functools.cached_property)
        ),
    )
}


def worker_dependency(worker: WorkerLiveness | None) -> Provide:
    """The ``worker`` a route may ask: whether this server's worker is up (None: it runs none)."""

    def provide() -> WorkerLiveness | None:
        return worker

    return Provide(provide, sync_to_thread=False)


DEPENDENCIES = {
    "user": Provide(provide_user),
    "admin": Provide(provide_admin, sync_to_thread=False),
    "cause": Provide(provide_cause, sync_to_thread=False),
    **USE_CASES,
}
# The check-in routes' caller: staff or a paired device; their cause is that caller's.
DOOR_DEPENDENCIES = {
    "door": Provide(provide_door_caller, sync_to_thread=True),
    "cause": Provide(provide_door_cause, sync_to_thread=False),
}
