"""A scrape: the build's info, and the database's gauges read at most once per interval."""

from __future__ import annotations

import platform
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import Scrape
from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


class CountingHealth:
    """A FollowerHealth that counts its reads of the store."""

    def __init__(self) -> None:
        self.reads = 0

    def stalled(self) -> Iterator[object]:
        self.reads += 1
        return iter(())

    def names(self) -> list[str]:
        return ["ticket-emails"]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def scrape(health: CountingHealth, clock: Clock) -> Scrape:
    return Scrape(
        health,  # type: ignore[arg-type]
        None,
        version="1.2.3",
        multiprocess_dir=None,
        cache_seconds=5,
        clock=clock,
    )


def test_the_build_info_names_the_release_and_python() -> None:
    text = scrape(CountingHealth(), Clock())().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}

    (sample,) = families["tickets_build_info"].samples
    assert sample.value == 1
    assert sample.labels == {"version": "1.2.3", "python": platform.python_version()}
    assert "tickets_follower_stalled" in families


def test_the_database_is_read_once_per_interval_however_often_it_is_scraped() -> None:
    health, clock = CountingHealth(), Clock()
    metrics = scrape(health, clock)

    for _ in range(10):
        metrics()
    assert health.reads == 1

    clock.now += 4.9
    metrics()
    assert health.reads == 1

    clock.now += 0.1
    metrics()
    assert health.reads == 2


VALID = {
    "TICKET_JWT_SECRET": "t" * 32,
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "AUTH_JWT_SECRET": "a" * 32,
}


def test_the_metrics_settings_default_to_the_public_port_and_five_seconds() -> None:
    metrics = Settings.from_env(VALID).metrics
    assert metrics.port is None and metrics.cache_seconds == 5.0

    given = {**VALID, "METRICS_PORT": "9101", "METRICS_CACHE_SECONDS": "1"}
    metrics = Settings.from_env(given).metrics
    assert metrics.port == 9101 and metrics.cache_seconds == 1.0


def test_unusable_metrics_settings_are_named() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**VALID, "METRICS_PORT": "70000", "METRICS_CACHE_SECONDS": "-1"})
    assert raised.value.problems == (
        "METRICS_PORT must be a port number from 1 to 65535",
        "METRICS_CACHE_SECONDS must be more than 0 and at most 300 seconds",
    )
