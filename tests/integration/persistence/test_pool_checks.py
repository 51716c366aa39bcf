"""The pools' checkout check: skipped for a connection that answered a moment ago, and made
again once it has been idle or the database has failed, so a dropped connection is replaced."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from adapters.persistence import pg_connections
from adapters.persistence.pg_connections import DeadlinePool, deadline_pool
from tests.support.service import PG_ADMIN, postgres_or_skip

pytestmark = pytest.mark.integration


class CountedPool(DeadlinePool):
    """Counts the checks' empty round trips (psycopg_pool's own check function)."""

    checks = 0

    @staticmethod
    def check_connection(conn: Any) -> None:
        CountedPool.checks += 1
        DeadlinePool.check_connection(conn)


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeadlinePool]:
    postgres_or_skip()
    monkeypatch.setattr(pg_connections, "DeadlinePool", CountedPool)
    made = deadline_pool(
        conninfo=PG_ADMIN,
        connect_timeout=2,
        statement_timeout=2,
        kwargs={"autocommit": True},
        min_size=1,
        max_size=1,
        name="checks",
        cooldown_seconds=0.05,
    )
    made.open(wait=True)
    CountedPool.checks = 0
    yield made
    made.close()


def backend_pid(pool: DeadlinePool) -> int:
    with pool.connection() as connection:
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        return int(row[0])


def terminate(pid: int) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_that_answered_a_moment_ago_is_handed_out_unchecked(
    pool: DeadlinePool,
) -> None:
    first = backend_pid(pool)  # a new connection: checked
    assert CountedPool.checks == 1
    assert backend_pid(pool) == first
    assert backend_pid(pool) == first
    assert CountedPool.checks == 1  # the same connection, answered just before: no check


def test_an_idle_connection_is_checked_and_replaced_when_the_server_dropped_it(
    pool: DeadlinePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_connections, "FRESH_SECONDS", 0.05)
    first = backend_pid(pool)
    terminate(first)
    time.sleep(0.1)  # idle for longer than the fresh window
    assert backend_pid(pool) != first  # checked, found dropped, replaced: the read answered
    assert CountedPool.checks >= 2


def test_after_the_database_failed_every_checkout_is_checked(pool: DeadlinePool) -> None:
    backend_pid(pool)
    checks = CountedPool.checks
    pool.breaker.failed()
    time.sleep(0.1)  # past the cooldown: this checkout is the breaker's trial
    backend_pid(pool)
    assert CountedPool.checks == checks + 1
    assert not pool.breaker.is_open  # the trial's check closed it
    backend_pid(pool)
    assert CountedPool.checks == checks + 1  # closed again: fresh connections go unchecked
