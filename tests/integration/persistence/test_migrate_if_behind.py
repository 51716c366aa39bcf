"""`tickets serve` and `tickets worker` migrate only a database behind this release."""

from __future__ import annotations

import pytest

from adapters.persistence.eventstore import migrate_if_behind
from adapters.persistence.migrations import MIGRATIONS, schema_version
from adapters.persistence.store_config import StoreConfig

pytestmark = pytest.mark.integration


def test_a_fresh_database_is_migrated_and_a_current_one_left_alone(database_url: str) -> None:
    config = StoreConfig(url=database_url)

    assert migrate_if_behind(config) is True
    assert schema_version(config) == MIGRATIONS[-1].number
    # Current: no DDL at all, so a role that may not create anything can start the service.
    assert migrate_if_behind(config) is False
