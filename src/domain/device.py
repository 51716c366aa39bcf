"""The Device aggregate (a paired door scanner) and its single-use pairing code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.shared import Cause, DomainError, stable_id


class DeviceStatus(StrEnum):
    UNPAIRED = "UNPAIRED"  # added by an admin, its pairing link not opened yet
    PAIRED = "PAIRED"
    REVOKED = "REVOKED"


class InvalidDevice(DomainError):
    """Raised when a device's name is empty or too long."""


class PairingUnusable(DomainError):
    """Raised when a pairing code is used a second time, after expiry, or for a revoked device."""


class DeviceRevoked(DomainError):
    """Raised when a revoked device is paired or renamed."""


MAX_NAME = 80


class Device(Aggregate):
    """A phone or tablet at the door. It holds no personal login: it is paired once through a
    link an admin hands out, and knows a credential of which only the SHA-256 is recorded."""

    TOPIC = "tickets:Device"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Device.Created"

    class Added(Created):
        TOPIC = "tickets:Device.Added"
        name: str
        period_code: str | None

    class Paired(Event):
        TOPIC = "tickets:Device.Paired"
        credential_hash: str  # SHA-256 (hex) of the credential; the credential never

        def apply(self, aggregate: Any) -> None:
            aggregate.credential_hash = self.credential_hash
            aggregate.status = DeviceStatus.PAIRED
            aggregate.paired_at = self.timestamp

    class Renamed(Event):
        TOPIC = "tickets:Device.Renamed"
        name: str

        def apply(self, aggregate: Any) -> None:
            aggregate.name = self.name

    class Revoked(Event):
        TOPIC = "tickets:Device.Revoked"

        def apply(self, aggregate: Any) -> None:
            aggregate.status = DeviceStatus.REVOKED
            aggregate.revoked_at = self.timestamp

    def __init__(self, cause: Cause, name: str, period_code: str | None) -> None:
        self.name = name
        self.period_code = period_code
        self.status = DeviceStatus.UNPAIRED
        self.credential_hash: str | None = None
        self.paired_at: datetime | None = None
        self.revoked_at: datetime | None = None

    @classmethod
    def add(cls, *, device_id: UUID, name: str, period_code: str | None, cause: Cause) -> Device:
        return cls._create(
            cls.Added, id=device_id, cause=cause, name=_name(name), period_code=period_code
        )

    @property
    def revoked(self) -> bool:
        return self.status is DeviceStatus.REVOKED

    def pair(self, credential_hash: str, cause: Cause) -> None:
        """Gives the device its credential; pairing again (a new link) replaces the old one."""
        if self.revoked:
            raise DeviceRevoked(f"device {self.id} is revoked")
        self.trigger_event(self.Paired, credential_hash=credential_hash, cause=cause)

    def rename(self, name: str, cause: Cause) -> None:
        if self.revoked:
            raise DeviceRevoked(f"device {self.id} is revoked")
        name = _name(name)
        if name != self.name:
            self.trigger_event(self.Renamed, name=name, cause=cause)

    def revoke(self, cause: Cause) -> bool:
        """Says whether the device was usable (revoking twice records nothing)."""
        if self.revoked:
            return False
        self.trigger_event(self.Revoked, cause=cause)
        return True


class Pairing(Aggregate):
    """A pairing code: single use, short-lived. Its id is uuid5 of the code, so the code itself
    is recorded nowhere and a door page finds the record from the code alone."""

    TOPIC = "tickets:Pairing"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:Pairing.Created"

    class Opened(Created):
        TOPIC = "tickets:Pairing.Opened"
        device_id: UUID
        expires_at: datetime

    class Used(Event):
        TOPIC = "tickets:Pairing.Used"

        def apply(self, aggregate: Any) -> None:
            aggregate.used_at = self.timestamp

    def __init__(self, cause: Cause, device_id: UUID, expires_at: datetime) -> None:
        self.device_id = device_id
        self.expires_at = expires_at
        self.used_at: datetime | None = None

    @staticmethod
    def id_for(code: str) -> UUID:
        return stable_id("pairing", code)

    @classmethod
    def open(cls, *, code: str, device_id: UUID, expires_at: datetime, cause: Cause) -> Pairing:
        return cls._create(
            cls.Opened,
            id=cls.id_for(code),
            cause=cause,
            device_id=device_id,
            expires_at=expires_at,
        )

    def use(self, now: datetime, cause: Cause) -> None:
        if self.used_at is not None:
            raise PairingUnusable("this pairing code was used already")
        if now >= self.expires_at:
            raise PairingUnusable("this pairing code has expired")
        self.trigger_event(self.Used, cause=cause)


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidDevice(f"a device name has 1 to {MAX_NAME} characters")
    return name


class DeviceRegistry(Aggregate):
    """The ids of every device ever added: one record, so that admins can list them without a
    read model. Saved with each new device; two admins adding at once conflict and retry."""

    TOPIC = "tickets:DeviceRegistry"

    class Event(Aggregate.Event):
        cause: Cause

    class Created(Event, Aggregate.Created):
        TOPIC = "tickets:DeviceRegistry.Created"

    class Started(Created):
        TOPIC = "tickets:DeviceRegistry.Started"

    class DeviceListed(Event):
        TOPIC = "tickets:DeviceRegistry.DeviceListed"
        device_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.device_ids += (self.device_id,)

    def __init__(self, cause: Cause) -> None:
        self.device_ids: tuple[UUID, ...] = ()

    ID = stable_id("device-registry", "all")

    @classmethod
    def start(cls, cause: Cause) -> DeviceRegistry:
        return cls._create(cls.Started, id=cls.ID, cause=cause)

    def list_device(self, device_id: UUID, cause: Cause) -> None:
        if device_id not in self.device_ids:
            self.trigger_event(self.DeviceListed, device_id=device_id, cause=cause)
