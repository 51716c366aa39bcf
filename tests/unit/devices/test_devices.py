"""The Devices use cases on the in-memory store with a frozen clock: pairing once, the
credential's hash, authentication, last seen (written at most every half minute), revocation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from uuid import UUID, uuid4

import pytest

from application.devices.pairing import Devices
from application.errors import NotFound
from application.identity import Unauthenticated
from domain.device import Device, Pairing
from tests.support.fakes import ADMIN_CAUSE, Wired, schedule, wire

pytestmark = pytest.mark.unit


class RecordingActivity:
    """DeviceActivity: what was written, in order."""

    def __init__(self) -> None:
        self.writes: list[tuple[UUID, datetime]] = []

    def seen(self, device_id: UUID, at: datetime) -> None:
        self.writes.append((device_id, at))

    def last_seen(self) -> dict[UUID, datetime]:
        return dict(self.writes)

    def close(self) -> None:
        return None


@pytest.fixture
def world() -> Iterator[Wired]:
    wired = wire()
    schedule(wired)
    yield wired
    wired.services.close()


@pytest.fixture
def activity() -> RecordingActivity:
    return RecordingActivity()


@pytest.fixture
def devices(world: Wired, activity: RecordingActivity) -> Devices:
    return Devices(world.store, world.services.periods, activity, world.clock, pairing_minutes=10)


def test_adding_gives_a_pairing_code_that_pairs_once(world: Wired, devices: Devices) -> None:
    new = devices.add(name="Front door", period_code="2026-fall", cause=ADMIN_CAUSE)
    assert (new.pairing_expires_at - world.clock.now()).total_seconds() == pytest.approx(600, abs=1)

    paired = devices.pair(new.pairing_code, ADMIN_CAUSE)

    assert paired.device.id == new.device.id
    assert paired.credential.startswith(f"{new.device.id}.")
    assert len(paired.credential) > 70  # a uuid and 32 random bytes
    stored = world.store.get(Device, new.device.id)
    assert stored.credential_hash == hashlib.sha256(paired.credential.encode()).hexdigest()
    with pytest.raises(NotFound) as error:
        devices.pair(new.pairing_code, ADMIN_CAUSE)
    assert error.value.code == "pairing_not_found"
    assert world.store.find(Pairing, Pairing.id_for(new.pairing_code)) is not None


def test_a_pairing_code_expires(world: Wired, devices: Devices) -> None:
    new = devices.add(name="Front door", period_code=None, cause=ADMIN_CAUSE)
    world.clock.advance(minutes=10)

    with pytest.raises(NotFound):
        devices.pair(new.pairing_code, ADMIN_CAUSE)


def test_unknown_codes_and_periods_are_not_found(devices: Devices) -> None:
    with pytest.raises(NotFound):
        devices.pair("never-issued", ADMIN_CAUSE)
    with pytest.raises(NotFound) as error:
        devices.add(name="x", period_code="1999-spring", cause=ADMIN_CAUSE)
    assert error.value.code == "period_not_found"


def test_the_credential_authenticates_until_revoked(
    world: Wired, devices: Devices, activity: RecordingActivity
) -> None:
    new = devices.add(name="Front door", period_code="2026-fall", cause=ADMIN_CAUSE)
    credential = devices.pair(new.pairing_code, ADMIN_CAUSE).credential

    door = devices.authenticate(credential)
    world.clock.advance(seconds=10)
    devices.authenticate(credential)
    world.clock.advance(seconds=25)
    devices.authenticate(credential)

    assert (door.device_id, door.name, door.period_code) == (
        new.device.id,
        "Front door",
        "2026-fall",
    )
    assert door.actor == f"device:{new.device.id}"
    # Seen three times in 35 s, written twice: at most one write per device per 30 s.
    assert len(activity.writes) == 2
    assert devices.list()[0].last_seen_at == world.clock.now()

    devices.revoke(new.device.id, ADMIN_CAUSE)
    with pytest.raises(Unauthenticated):
        devices.authenticate(credential)


@pytest.mark.parametrize(
    "credential",
    ["", "nonsense", f"{uuid4()}.secret", "not-a-uuid.secret"],
)
def test_made_up_credentials_are_refused(devices: Devices, credential: str) -> None:
    devices.add(name="Front door", period_code=None, cause=ADMIN_CAUSE)
    with pytest.raises(Unauthenticated):
        devices.authenticate(credential)


def test_a_wrong_secret_for_a_real_device_is_refused(devices: Devices) -> None:
    new = devices.add(name="Front door", period_code=None, cause=ADMIN_CAUSE)
    credential = devices.pair(new.pairing_code, ADMIN_CAUSE).credential

    with pytest.raises(Unauthenticated):
        devices.authenticate(credential[:-2] + ("AA" if credential[-2:] != "AA" else "BB"))


def test_an_unpaired_device_is_refused_and_listed_as_unpaired(devices: Devices) -> None:
    new = devices.add(name="Front door", period_code=None, cause=ADMIN_CAUSE)

    with pytest.raises(Unauthenticated):
        devices.authenticate(f"{new.device.id}.anything")
    [view] = devices.list()
    assert (view.device.status.value, view.last_seen_at) == ("UNPAIRED", None)


def test_revoking_before_pairing_makes_the_code_useless(devices: Devices) -> None:
    new = devices.add(name="Front door", period_code=None, cause=ADMIN_CAUSE)
    devices.revoke(new.device.id, ADMIN_CAUSE)

    with pytest.raises(NotFound):
        devices.pair(new.pairing_code, ADMIN_CAUSE)


def test_devices_are_listed_in_the_order_they_were_added(devices: Devices) -> None:
    names = ["Front door", "Back door", "Studio 2"]
    for name in names:
        devices.add(name=name, period_code=None, cause=ADMIN_CAUSE)

    assert [v.device.name for v in devices.list()] == names
    with pytest.raises(NotFound):
        devices.revoke(uuid4(), ADMIN_CAUSE)
