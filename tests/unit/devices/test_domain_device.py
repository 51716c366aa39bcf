"""Device and Pairing: a device is added, paired once through a short-lived code, renamed,
revoked; only hashes of its secrets are recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.device import (
    Device,
    DeviceRegistry,
    DeviceRevoked,
    DeviceStatus,
    InvalidDevice,
    Pairing,
    PairingUnusable,
)
from domain.shared import Cause

pytestmark = pytest.mark.unit

CAUSE = Cause(actor="admin-1", reference="req-1")
NOW = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)


def added(name: str = "Front door") -> Device:
    device = Device.add(device_id=uuid4(), name=name, period_code="2026-fall", cause=CAUSE)
    device.collect_events()
    return device


def test_a_device_is_added_unpaired_with_its_name_tidied() -> None:
    device = Device.add(device_id=uuid4(), name="  Front   door ", period_code=None, cause=CAUSE)

    [event] = device.collect_events()
    assert isinstance(event, Device.Added)
    assert (event.name, event.period_code, event.cause) == ("Front door", None, CAUSE)
    assert device.status is DeviceStatus.UNPAIRED
    assert device.credential_hash is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_device_needs_a_sensible_name(name: str) -> None:
    with pytest.raises(InvalidDevice):
        Device.add(device_id=uuid4(), name=name, period_code=None, cause=CAUSE)


def test_pairing_records_the_credentials_hash_and_revoking_stops_it() -> None:
    device = added()

    device.pair("a" * 64, CAUSE)
    assert device.status is DeviceStatus.PAIRED
    assert device.revoke(CAUSE) is True
    assert device.revoke(CAUSE) is False  # twice: nothing more recorded

    events = device.collect_events()
    assert [type(e) for e in events] == [Device.Paired, Device.Revoked]
    assert events[0].credential_hash == "a" * 64
    assert device.status is DeviceStatus.REVOKED
    with pytest.raises(DeviceRevoked):
        device.pair("b" * 64, CAUSE)
    with pytest.raises(DeviceRevoked):
        device.rename("Back door", CAUSE)


def test_renaming_records_only_a_change() -> None:
    device = added()

    device.rename("Front door", CAUSE)
    device.rename("Back door", CAUSE)

    assert [(type(e), e.name) for e in device.collect_events()] == [(Device.Renamed, "Back door")]
    assert device.name == "Back door"


def test_a_pairing_code_is_found_by_its_uuid5_and_used_once_before_it_expires() -> None:
    device_id = uuid4()
    pairing = Pairing.open(
        code="code-1", device_id=device_id, expires_at=NOW + timedelta(minutes=15), cause=CAUSE
    )
    assert pairing.id == Pairing.id_for("code-1") != Pairing.id_for("code-2")

    pairing.use(NOW + timedelta(minutes=14), CAUSE)

    with pytest.raises(PairingUnusable, match="used already"):
        pairing.use(NOW + timedelta(minutes=14), CAUSE)
    assert [type(e) for e in pairing.collect_events()] == [Pairing.Opened, Pairing.Used]


def test_an_expired_pairing_code_cannot_be_used() -> None:
    pairing = Pairing.open(code="c", device_id=uuid4(), expires_at=NOW, cause=CAUSE)

    with pytest.raises(PairingUnusable, match="expired"):
        pairing.use(NOW, CAUSE)


def test_the_registry_lists_each_device_once() -> None:
    registry = DeviceRegistry.start(CAUSE)
    first, second = uuid4(), uuid4()

    registry.list_device(first, CAUSE)
    registry.list_device(second, CAUSE)
    registry.list_device(first, CAUSE)

    assert registry.device_ids == (first, second)
    assert registry.id == DeviceRegistry.ID
