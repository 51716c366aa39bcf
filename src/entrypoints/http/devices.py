"""Door devices over HTTP (admins add, list, rename and revoke them; a door page pairs once)
and the admins' attendance of a period."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from adapters.qr_code import qr_png
from application.devices import DeviceView, DoorDevice
from application.ports import Unauthenticated
from domain.shared import Cause
from entrypoints.bootstrap import Services
from entrypoints.http import fields
from entrypoints.http.openapi import (
    BEARER,
    BODY_PROBLEMS,
    DEVICE,
    DEVICE_NOT_FOUND,
    DEVICE_REVOKED,
    FORBIDDEN,
    INVALID_DEVICE,
    NOT_FOUND,
    PAIRING_NOT_FOUND,
    PERIOD_NOT_FOUND,
    RATE_LIMITED,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    VALIDATION_FAILED,
    problems,
)
from entrypoints.http.params import PeriodCodePath
from entrypoints.http.rate_limits import rate_limited
from entrypoints.http.request_context import request_id
from entrypoints.http.schemas import Camel, Code, Out

Deps = NamedDependency[Services]
Admin = NamedDependency[Any]
Caused = NamedDependency[Cause]

DeviceName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")
]
PairingCode = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
]


class DeviceIn(Camel):
    name: DeviceName
    period_code: Code | None = None

    def __post_init__(self) -> None:
        # The pattern's $ lets one trailing line feed through (Python's re).
        fields.one_line("name", self.name)
        fields.one_line("periodCode", self.period_code)


DeviceIdPath = Annotated[UUID, PathParameter(name="deviceId", description="The device's id.")]


class RenameDeviceIn(Camel):
    name: DeviceName

    def __post_init__(self) -> None:
        fields.one_line("name", self.name)


class PairingIn(Camel):
    pairing_code: PairingCode

    def __post_init__(self) -> None:
        fields.one_line("pairingCode", self.pairing_code)


class NewDeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None
    pairing_code: str
    pairing_url: str
    pairing_expires_at: datetime
    # The pairing link as a QR code (a PNG data URI) for the admin page: the phone scans it.
    pairing_qr: str


class DeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None
    status: str
    paired_at: datetime | None
    revoked_at: datetime | None
    last_seen_at: datetime | None

    @classmethod
    def of(cls, view: DeviceView) -> DeviceOut:
        device = view.device
        return cls(
            device_id=device.id,
            name=device.name,
            period_code=device.period_code,
            status=device.status.value,
            paired_at=device.paired_at,
            revoked_at=device.revoked_at,
            last_seen_at=view.last_seen_at,
        )


class DeviceListOut(Out):
    items: list[DeviceOut]


class PairedDeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None
    credential: str  # shown once: the door page keeps it; only its hash is recorded


class DoorDeviceOut(Out):
    device_id: UUID
    name: str
    period_code: str | None


def device_credential(request: Request[Any, Any, Any]) -> str | None:
    """The credential of an ``Authorization: Device <credential>`` header, if that is the scheme."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "device":
        return None
    if not value.strip():
        raise Unauthenticated("an Authorization: Device <credential> header is required")
    return value.strip()


def provide_device(request: Request[Any, Any, Any], state: State) -> DoorDevice:
    services: Services = state.services
    credential = device_credential(request)
    if credential is None:
        raise Unauthenticated("an Authorization: Device <credential> header is required")
    return services.devices.authenticate(credential)


def pairing_qr(url: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(url, scale=6)).decode()


class AdminDeviceController(Controller):
    path = "/api/admin/devices"
    tags = ["devices"]

    @post(
        "/",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        operation_id="createDevice",
        security=BEARER,
        summary="Add a door device and get its pairing link (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            PERIOD_NOT_FOUND,
            INVALID_DEVICE,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def add(
        self, services: Deps, admin: Admin, cause: Caused, data: JSONBody[DeviceIn]
    ) -> NewDeviceOut:
        """A door device and its one-time pairing link (valid for minutes): open it on the phone."""
        new = services.devices.add(name=data.name, period_code=data.period_code, cause=cause)
        base = services.settings.http.public_base_url.rstrip("/")
        url = f"{base}/door?pair={new.pairing_code}"
        return NewDeviceOut(
            device_id=new.device.id,
            name=new.device.name,
            period_code=new.device.period_code,
            pairing_code=new.pairing_code,
            pairing_url=url,
            pairing_expires_at=new.pairing_expires_at,
            pairing_qr=pairing_qr(url),
        )

    @get(
        "/",
        sync_to_thread=True,
        operation_id="listDevices",
        security=BEARER,
        summary="The door devices, with status and last seen (admin)",
        responses=problems(UNAUTHENTICATED, FORBIDDEN, *STORE_PROBLEMS),
    )
    def list_devices(self, services: Deps, admin: Admin) -> DeviceListOut:
        """Every device with its status and when it was last seen."""
        return DeviceListOut([DeviceOut.of(view) for view in services.devices.list()])

    @patch(
        "/{deviceId:uuid}",
        sync_to_thread=True,
        operation_id="renameDevice",
        security=BEARER,
        summary="Rename a door device (admin)",
        responses=problems(
            UNAUTHENTICATED,
            FORBIDDEN,
            DEVICE_NOT_FOUND,
            NOT_FOUND,
            DEVICE_REVOKED,
            INVALID_DEVICE,
            *BODY_PROBLEMS,
            *STORE_PROBLEMS,
        ),
    )
    def rename(
        self,
        services: Deps,
        admin: Admin,
        cause: Caused,
        device_id: DeviceIdPath,
        data: JSONBody[RenameDeviceIn],
    ) -> DeviceOut:
        """Renames a device (what the admin list and the door page show)."""
        return DeviceOut.of(services.devices.rename(device_id, data.name, cause))

    @post(
        "/{deviceId:uuid}/revoke",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="revokeDevice",
        security=BEARER,
        summary="Revoke a door device: its credential answers 401 (admin)",
        responses=problems(
            UNAUTHENTICATED, FORBIDDEN, DEVICE_NOT_FOUND, NOT_FOUND, *STORE_PROBLEMS
        ),
    )
    def revoke(
        self, services: Deps, admin: Admin, cause: Caused, device_id: DeviceIdPath
    ) -> DeviceOut:
        """The device's next request answers 401; revoking again changes nothing."""
        return DeviceOut.of(services.devices.revoke(device_id, cause))


class AttendeeOut(Out):
    person_id: UUID
    name: str
    tracks: list[str]  # track codes
    checked_in_at: datetime
    device_id: str | None
    manual: bool


class AttendanceOut(Out):
    """Who came to class on one day: totals per track, the persons in the order they came."""

    date: date
    total: int
    by_track: dict[str, int]
    persons: list[AttendeeOut]


DateQuery = Annotated[
    date | None,
    QueryParameter(name="date", description="The class day; today in the period's timezone."),
]


class AttendanceController(Controller):
    path = "/api/admin/periods"
    tags = ["admin"]

    @get(
        "/{periodCode:str}/attendance",
        sync_to_thread=True,
        operation_id="getAttendance",
        security=BEARER,
        summary="Who checked in on a class day (admin)",
        responses=problems(
            UNAUTHENTICATED, FORBIDDEN, PERIOD_NOT_FOUND, VALIDATION_FAILED, *STORE_PROBLEMS
        ),
    )
    def day(
        self, services: Deps, admin: Admin, period_code: PeriodCodePath, day: DateQuery = None
    ) -> AttendanceOut:
        """Kept by the worker from the check-ins: it may lag a scan by a moment."""
        found = services.attendance.day(period_code, day)
        return AttendanceOut(
            date=found.date,
            total=found.total,
            by_track=found.by_track,
            persons=[
                AttendeeOut(
                    person_id=a.person_id,
                    name=a.name,
                    tracks=[code for code, _ in a.tracks],
                    checked_in_at=a.checked_in_at,
                    device_id=a.device_id,
                    manual=a.manual,
                )
                for a in found.persons
            ],
        )

    @get(
        "/{periodCode:str}/attendance.csv",
        sync_to_thread=True,
        operation_id="downloadAttendanceCsv",
        security=BEARER,
        media_type="text/csv",
        summary="The whole period's attendance as CSV (admin)",
        responses=problems(UNAUTHENTICATED, FORBIDDEN, PERIOD_NOT_FOUND, *STORE_PROBLEMS),
    )
    def csv(self, services: Deps, admin: Admin, period_code: PeriodCodePath) -> Response[str]:
        """A row per person, a column per class day holding the time they came (local)."""
        body = services.attendance.csv(period_code)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", period_code)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="attendance-{safe}.csv"',
                "Cache-Control": "no-store",
            },
        )


class PairingController(Controller):
    path = "/api/devices"
    tags = ["devices"]

    @post(
        "/pair",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="pairDevice",
        summary="Trade a pairing code for the device's credential (once)",
        guards=[rate_limited("device-pair")],
        responses=problems(PAIRING_NOT_FOUND, RATE_LIMITED, *BODY_PROBLEMS, *STORE_PROBLEMS),
    )
    def pair(
        self, services: Deps, request: Request[Any, Any, Any], data: JSONBody[PairingIn]
    ) -> PairedDeviceOut:
        """The door page trades its pairing code for the device's credential: once."""
        rid = request_id(request)
        cause = Cause(actor="door-page", reference=rid, request_id=rid)
        paired = services.devices.pair(data.pairing_code, cause)
        return PairedDeviceOut(
            device_id=paired.device.id,
            name=paired.device.name,
            period_code=paired.device.period_code,
            credential=paired.credential,
        )

    @get(
        "/me",
        sync_to_thread=True,
        operation_id="getCurrentDevice",
        security=DEVICE,
        summary="The calling door device",
        responses=problems(UNAUTHENTICATED, *STORE_PROBLEMS),
    )
    def me(self, request: Request[Any, Any, Any], state: State) -> DoorDeviceOut:
        """The calling device (the door page checks its credential still works): 401 if revoked."""
        device = provide_device(request, state)
        return DoorDeviceOut(device.device_id, device.name, device.period_code)
