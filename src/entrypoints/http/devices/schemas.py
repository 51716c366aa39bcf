"""Bodies of the door devices' routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from application.devices.pairing import DeviceView
from entrypoints.http import fields
from entrypoints.http.schemas import (
    Camel,
    Code,
    Out,
)

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
