"""Door devices: admins add them, a phone pairs once through a link, its credential opens the
check-in routes until an admin revokes it."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from application.clock import Clock
from application.devices.ports import DeviceActivity
from application.errors import DEVICE_NOT_FOUND, DEVICE_REVOKED, PAIRING_NOT_FOUND, NotFound
from application.identity import Unauthenticated
from application.periods.scheduling import Periods
from application.store import TicketStore, retry_on_conflict
from domain.device import (
    Device,
    DeviceRegistry,
    DeviceRevoked,
    DeviceStatus,
    Pairing,
    PairingUnusable,
)
from domain.shared import Cause

log = logging.getLogger(__name__)

PAIRING_MINUTES = 15
# A device's last-seen time is written at most this often: a scan a second must not mean a
# write a second.
SEEN_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class NewDevice:
    device: Device
    pairing_code: str  # handed to the admin once, recorded only as the pairing's uuid5 id
    pairing_expires_at: datetime


@dataclass(frozen=True)
class PairedDevice:
    device: Device
    credential: str  # handed to the door page once, recorded only as its SHA-256


@dataclass(frozen=True)
class DoorDevice:
    """An authenticated device: what a check-in records of it."""

    device_id: UUID
    name: str
    period_code: str | None

    @property
    def actor(self) -> str:
        return f"device:{self.device_id}"


@dataclass(frozen=True)
class DeviceView:
    device: Device
    last_seen_at: datetime | None


def credential_hash(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


class Devices:
    def __init__(
        self,
        store: TicketStore,
        periods: Periods,
        activity: DeviceActivity,
        clock: Clock,
        *,
        pairing_minutes: int = PAIRING_MINUTES,
    ) -> None:
        self._store = store
        self._periods = periods
        self._activity = activity
        self._clock = clock
        self._pairing_time = timedelta(minutes=pairing_minutes)
        self._seen: dict[UUID, datetime] = {}
        self._seen_lock = threading.Lock()

    def add(self, *, name: str, period_code: str | None, cause: Cause) -> NewDevice:
        """A new device and its pairing code, usable once, for a few minutes."""
        if period_code is not None:
            period_code = self._periods.by_code(period_code).code
        device = Device.add(device_id=uuid4(), name=name, period_code=period_code, cause=cause)
        code = secrets.token_urlsafe(16)
        expires_at = self._clock.now().replace(microsecond=0) + self._pairing_time
        pairing = Pairing.open(code=code, device_id=device.id, expires_at=expires_at, cause=cause)

        def command() -> None:
            registry = self._store.find(DeviceRegistry, DeviceRegistry.ID)
            registry = registry or DeviceRegistry.start(cause)
            registry.list_device(device.id, cause)
            self._store.save(registry, device, pairing)

        retry_on_conflict(command)
        log.info("device added", extra={"step": "device added", "device_id": str(device.id)})
        return NewDevice(device, code, expires_at)

    def pair(self, pairing_code: str, cause: Cause) -> PairedDevice:
        """Gives the device behind a pairing code its credential: once, before the code expires."""

        def command() -> PairedDevice:
            pairing = self._store.find(Pairing, Pairing.id_for(pairing_code))
            if pairing is None:
                raise _pairing_not_found()
            device = self._store.get(Device, pairing.device_id)
            credential = f"{device.id}.{secrets.token_urlsafe(32)}"
            try:
                pairing.use(self._clock.now(), cause)
                device.pair(credential_hash(credential), cause)
            except (PairingUnusable, DeviceRevoked):
                raise _pairing_not_found() from None
            # One save: a second page racing with the same code conflicts, re-runs, finds it used.
            self._store.save(pairing, device)
            return PairedDevice(device, credential)

        paired = retry_on_conflict(command)
        log.info(
            "device paired", extra={"step": "device paired", "device_id": str(paired.device.id)}
        )
        return paired

    def authenticate(self, credential: str) -> DoorDevice:
        """The device a credential belongs to; raises Unauthenticated (revoked, unknown...)."""
        device_part, _, _ = credential.partition(".")
        try:
            device_id = UUID(device_part)
        except ValueError:
            raise Unauthenticated("not a device credential") from None
        device = self._store.find(Device, device_id)
        if (
            device is None
            or device.status is not DeviceStatus.PAIRED
            or device.credential_hash is None
            or not hmac.compare_digest(device.credential_hash, credential_hash(credential))
        ):
            raise Unauthenticated("this device is not paired, or was revoked")
        self._note_seen(device.id)
        return DoorDevice(device.id, device.name, device.period_code)

    def list(self) -> list[DeviceView]:
        registry = self._store.find(DeviceRegistry, DeviceRegistry.ID)
        if registry is None:
            return []
        seen = self._activity.last_seen()
        devices = [self._store.get(Device, device_id) for device_id in registry.device_ids]
        return [DeviceView(d, seen.get(d.id)) for d in devices]

    def view(self, device_id: UUID) -> DeviceView:
        device = self._device(device_id)
        return DeviceView(device, self._activity.last_seen().get(device.id))

    def revoke(self, device_id: UUID, cause: Cause) -> DeviceView:
        """The device's credential answers 401 from its next request on."""

        def command() -> Device:
            device = self._device(device_id)
            if device.revoke(cause):
                self._store.save(device)
            return device

        device = retry_on_conflict(command)
        log.info("device revoked", extra={"step": "device revoked", "device_id": str(device_id)})
        return DeviceView(device, self._activity.last_seen().get(device.id))

    def rename(self, device_id: UUID, name: str, cause: Cause) -> DeviceView:
        def command() -> Device:
            device = self._device(device_id)
            try:
                device.rename(name, cause)
            except DeviceRevoked:
                raise DEVICE_REVOKED(f"device {device_id} is revoked") from None
            self._store.save(device)
            return device

        device = retry_on_conflict(command)
        return DeviceView(device, self._activity.last_seen().get(device.id))

    def _device(self, device_id: UUID) -> Device:
        device = self._store.find(Device, device_id)
        if device is None:
            raise DEVICE_NOT_FOUND(f"no device {device_id}")
        return device

    def _note_seen(self, device_id: UUID) -> None:
        now = self._clock.now()
        with self._seen_lock:
            last = self._seen.get(device_id)
            if last is not None and now - last < SEEN_EVERY:
                return
            self._seen[device_id] = now
        try:
            self._activity.seen(device_id, now)
        except Exception:  # a missed last-seen time must never refuse a scan
            log.warning("device last-seen not recorded", exc_info=True)


def _pairing_not_found() -> NotFound:
    return PAIRING_NOT_FOUND("no such pairing code, or it was used or has expired")
