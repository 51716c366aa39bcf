"""Rate limits shared through Redis: two `tickets serve` processes, a counter per user and route."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from adapters.rate_limiter import KEY_PREFIX
from tests.support.service import Api, ServerProcess, bearer, service_env

pytestmark = [pytest.mark.integration, pytest.mark.redis]

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = 4


def redis_or_skip() -> redis.Redis:
    """Redis tests never skip silently: under CI=true a missing server fails the run."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at 127.0.0.1:6379: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return client


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis_or_skip()
    yield client
    client.close()


@pytest.fixture
def two_instances(redis_client: redis.Redis, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    """Two API processes behind an imagined load balancer: one database, one Redis."""
    env = service_env(
        f"sqlite:///{tmp_path}/tickets.sqlite3",
        REDIS_URL=REDIS_URL,
        RATE_LIMIT_PER_MINUTE=str(LIMIT),
    )
    servers = [ServerProcess(env, tmp_path)]
    servers[0].start()  # one at a time: the first one creates the schema
    servers.append(ServerProcess(env, tmp_path).start())
    yield servers
    for server in servers:
        server.stop()


def limit_key(route: str, user: str) -> str:
    digest = hashlib.sha256(f"user:{user}".encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{route}:{digest}"


def paid_ticket(base_url: str, user: str) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        api = Api(client)
        api.schedule()
        api.profile(user)
        assert api.pay(api.order(user, "salsa1")).status_code == 200
        response = api.ticket(user)  # the first counted request
        assert response.status_code == 200, response.text
        ticket: dict[str, Any] = response.json()
        return ticket


def test_instances_share_one_counter_per_user_and_route_in_redis(
    two_instances: list[ServerProcess], redis_client: redis.Redis
) -> None:
    user = f"dancer-{uuid.uuid4().hex[:8]}"  # fresh counters, whatever ran before
    a, b = two_instances
    ticket = paid_ticket(a.base_url, user)
    headers = bearer(user)

    statuses = [
        httpx.get(f"{server.base_url}/api/tickets/2026-fall", headers=headers).status_code
        for server in (b, a, b, a)
    ]

    assert statuses == [200, 200, 200, 429]  # 5 requests over two instances, limit 4
    refused = httpx.get(f"{b.base_url}/api/tickets/2026-fall", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The PDF route counts on its own, in Redis too.
    pdf = httpx.get(f"{b.base_url}/api/tickets/download/{ticket['ticketId']}", headers=headers)
    assert pdf.status_code == 200
    assert int(redis_client.get(limit_key("ticket-pdf", user)) or 0) == 1
    # The counter expires with its window, and holds no user id.
    key = limit_key("ticket", user)
    assert int(redis_client.get(key) or 0) == LIMIT + 2
    assert 0 < int(redis_client.pttl(key)) <= 60_000
    assert not [k for k in redis_client.scan_iter(f"{KEY_PREFIX}:*") if user.encode() in k]


def test_a_new_window_lets_the_user_in_again(
    two_instances: list[ServerProcess], redis_client: redis.Redis
) -> None:
    user = f"dancer-{uuid.uuid4().hex[:8]}"
    a, b = two_instances
    paid_ticket(a.base_url, user)
    headers = bearer(user)
    for _ in range(LIMIT):
        httpx.get(f"{a.base_url}/api/tickets/2026-fall", headers=headers)
    assert httpx.get(f"{b.base_url}/api/tickets/2026-fall", headers=headers).status_code == 429

    redis_client.delete(limit_key("ticket", user))  # what the key's expiry does after a minute

    assert httpx.get(f"{b.base_url}/api/tickets/2026-fall", headers=headers).status_code == 200


def test_both_instances_tell_the_same_remaining_count_and_reset(
    two_instances: list[ServerProcess],
) -> None:
    user = f"dancer-{uuid.uuid4().hex[:8]}"
    a, b = two_instances
    paid_ticket(a.base_url, user)  # the first counted request: LIMIT - 1 left
    headers = bearer(user)

    answers = [
        httpx.get(f"{server.base_url}/api/tickets/2026-fall", headers=headers)
        for server in (b, a, b, a)
    ]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["ratelimit-limit"] for r in answers] == [str(LIMIT)] * 4
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
    # One window in Redis: both instances count down to the same end of it.
    resets = [int(r.headers["ratelimit-reset"]) for r in answers]
    assert all(1 <= reset <= 60 for reset in resets)
    assert resets == sorted(resets, reverse=True) and resets[0] - resets[-1] <= 2
    assert answers[-1].headers["retry-after"] == answers[-1].headers["ratelimit-reset"]
