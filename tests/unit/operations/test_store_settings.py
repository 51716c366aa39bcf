"""The store's timeouts from the environment: defaults, bounds, and where they go."""

from __future__ import annotations

import pytest

from adapters.persistence import pg_connections
from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

VALID = {
    "TICKET_JWT_SECRET": "t" * 32,
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "AUTH_JWT_SECRET": "a" * 32,
    "DATABASE_URL": "postgresql://tickets:pw@db:5432/tickets",
}


def test_a_few_seconds_by_default() -> None:
    database = Settings.from_env(VALID).database

    assert (database.connect_timeout_seconds, database.statement_timeout_seconds) == (2.0, 2.0)


def test_the_variables_reach_every_connection_of_the_store() -> None:
    env = {**VALID, "DATABASE_CONNECT_TIMEOUT": "3", "DATABASE_STATEMENT_TIMEOUT": "1.5"}
    database = Settings.from_env(env).database

    store_env = database.env(create_table=False)
    assert store_env["PERSISTENCE_MODULE"] == "adapters.persistence.pg_connections:PostgresFactory"
    assert store_env[pg_connections.CONNECT_TIMEOUT] == "3.0"
    assert store_env[pg_connections.STATEMENT_TIMEOUT] == "1.5"
    assert pg_connections.connect_kwargs(3.0, 1.5) == {
        "connect_timeout": 3,
        "options": "-c statement_timeout=1500",
    }
    assert pg_connections.connect_kwargs(0.5, None) == {"connect_timeout": 2}  # libpq's least


def test_unusable_values_are_named_together() -> None:
    env = {**VALID, "DATABASE_CONNECT_TIMEOUT": "soon", "DATABASE_STATEMENT_TIMEOUT": "0"}

    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)

    assert raised.value.problems == (
        "DATABASE_CONNECT_TIMEOUT must be a number of seconds, not 'soon'",
        "DATABASE_STATEMENT_TIMEOUT must be more than 0 and at most 600 seconds",
    )
