"""Door devices: admins add, list, rename and revoke them; a door page pairs once."""

from __future__ import annotations

import base64
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from adapters.pages import JinjaPages
from adapters.qr_code import qr_png
from application.devices.pairing import Devices
from application.errors import (
    DEVICE_NOT_FOUND,
    DEVICE_REVOKED,
    PAIRING_NOT_FOUND,
    PERIOD_NOT_FOUND,
)
from domain.shared import Cause
from entrypoints.http.deps import Admin, Caused, Port, provide_device
from entrypoints.http.devices.schemas import (
    DeviceIn,
    DeviceListOut,
    DeviceOut,
    DoorDeviceOut,
    NewDeviceOut,
    PairedDeviceOut,
    PairingIn,
    RenameDeviceIn,
)
from entrypoints.http.openapi import (
    BEARER,
    DEVICE,
    INVALID_DEVICE,
    NOT_FOUND,
    RATE_LIMITED,
    ROLE_PROBLEMS,
    STORE_PROBLEMS,
    UNAUTHENTICATED,
    WRITE_PROBLEMS,
    problems,
)
from entrypoints.http.params import DeviceIdPath
from entrypoints.http.rate_limits import rate_limited
from entrypoints.http.request_context import request_id


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
        responses=problems(*ROLE_PROBLEMS, PERIOD_NOT_FOUND, INVALID_DEVICE, *WRITE_PROBLEMS),
    )
    def add(
        self,
        devices: NamedDependency[Devices],
        pages: NamedDependency[JinjaPages],
        admin: Admin,
        cause: Caused,
        data: JSONBody[DeviceIn],
    ) -> NewDeviceOut:
        """A door device and its one-time pairing link (valid for minutes): open it on the phone."""
        new = devices.add(name=data.name, period_code=data.period_code, cause=cause)
        url = pages.pairing_url(new.pairing_code)
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
        responses=problems(*ROLE_PROBLEMS, *STORE_PROBLEMS),
    )
    def list_devices(self, devices: NamedDependency[Devices], admin: Admin) -> DeviceListOut:
        """Every device with its status and when it was last seen."""
        return DeviceListOut([DeviceOut.of(view) for view in devices.list()])

    @patch(
        "/{deviceId:uuid}",
        sync_to_thread=True,
        operation_id="renameDevice",
        security=BEARER,
        summary="Rename a door device (admin)",
        responses=problems(
            *ROLE_PROBLEMS,
            DEVICE_NOT_FOUND,
            NOT_FOUND,
            DEVICE_REVOKED,
            INVALID_DEVICE,
            *WRITE_PROBLEMS,
        ),
    )
    def rename(
        self,
        devices: NamedDependency[Devices],
        admin: Admin,
        cause: Caused,
        device_id: DeviceIdPath,
        data: JSONBody[RenameDeviceIn],
    ) -> DeviceOut:
        """Renames a device (what the admin list and the door page show)."""
        return DeviceOut.of(devices.rename(device_id, data.name, cause))

    @post(
        "/{deviceId:uuid}/revoke",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="revokeDevice",
        security=BEARER,
        summary="Revoke a door device: its credential answers 401 (admin)",
        responses=problems(*ROLE_PROBLEMS, DEVICE_NOT_FOUND, NOT_FOUND, *STORE_PROBLEMS),
    )
    def revoke(
        self,
        devices: NamedDependency[Devices],
        admin: Admin,
        cause: Caused,
        device_id: DeviceIdPath,
    ) -> DeviceOut:
        """The device's next request answers 401; revoking again changes nothing."""
        return DeviceOut.of(devices.revoke(device_id, cause))


class PairingController(Controller):
    path = "/api/devices"
    tags = ["devices"]

    @post(
        "/pair",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        operation_id="pairDevice",
        summary="Trade a pairing code for the device's credential (once)",
        opt=rate_limited("device-pair"),
        responses=problems(PAIRING_NOT_FOUND, RATE_LIMITED, *WRITE_PROBLEMS),
    )
    def pair(
        self,
        devices: NamedDependency[Devices],
        request: Request[Any, Any, Any],
        data: JSONBody[PairingIn],
    ) -> PairedDeviceOut:
        """The door page trades its pairing code for the device's credential: once."""
        rid = request_id(request)
        cause = Cause(actor="door-page", reference=rid, request_id=rid)
        paired = devices.pair(data.pairing_code, cause)
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
    def me(self, request: Request[Any, Any, Any], devices: Port[Devices]) -> DoorDeviceOut:
        """The calling device (the door page checks its credential still works): 401 if revoked."""
        device = provide_device(request, devices)
        return DoorDeviceOut(device.device_id, device.name, device.period_code)
