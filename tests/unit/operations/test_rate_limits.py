"""Rate limits: fixed windows per route and caller, 429 problems with Retry-After, Redis outages."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field

import pytest
from litestar import Litestar, get
from litestar.exceptions import NotFoundException
from litestar.testing import TestClient

from adapters.rate_limiter import (
    MemoryCounters,
    RateLimitConfig,
    RateLimiter,
    RedisCounters,
    open_rate_limiter,
)
from application.identity import Principal
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.rate_limits import (
    caller,
    rate_limit_guard,
    rate_limit_headers,
    rate_limited,
)
from entrypoints.settings import Settings, SettingsError
from tests.support.fakes import SETTINGS_ENV, FakeIdentity

pytestmark = pytest.mark.unit


@dataclass
class Ticking:
    """A monotonic clock the test moves."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(per_minute: int = 3, clock: Ticking | None = None) -> RateLimiter:
    return RateLimiter(MemoryCounters(clock or Ticking()), per_minute)


def test_the_limit_holds_within_a_window_and_resets_after_it() -> None:
    clock = Ticking()
    limits = limiter(3, clock)

    assert [limits.hit("ticket", "user:a").allowed for _ in range(4)] == [True] * 3 + [False]
    clock.now += 45
    refused = limits.hit("ticket", "user:a")
    assert not refused.allowed and refused.retry_after == 15 and refused.remaining == 0
    clock.now += 15
    assert limits.hit("ticket", "user:a").allowed


def test_each_route_and_each_caller_has_its_own_counter() -> None:
    limits = limiter(1)

    assert limits.hit("ticket", "user:a").allowed
    assert not limits.hit("ticket", "user:a").allowed
    assert limits.hit("ticket-pdf", "user:a").allowed
    assert limits.hit("ticket", "user:b").allowed
    assert limits.hit("ticket", "address:10.0.0.1").allowed


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    clock = Ticking()
    limits = limiter(1, clock)
    limits.hit("r", "s")
    clock.now += 59.9

    assert limits.hit("r", "s").retry_after == 1


def test_memory_stays_bounded_under_a_flood_of_callers() -> None:
    clock = Ticking()
    counters = MemoryCounters(clock, max_keys=100)
    limits = RateLimiter(counters, 5)

    for n in range(1000):
        limits.hit("ticket-page", f"address:{n}")
    assert len(counters._windows) <= 100
    clock.now += 61
    limits.hit("ticket-page", "address:new")
    assert len(counters._windows) <= 100


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_redis_outage_falls_back_to_memory_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counters = RedisCounters(f"redis://127.0.0.1:{unused_port()}/0")
    limits = RateLimiter(counters, 2)
    with caplog.at_level(logging.WARNING):
        allowed = [limits.hit("ticket", "user:a").allowed for _ in range(3)]

    assert allowed == [True, True, False]  # still limited, never a 500
    assert [r.message for r in caplog.records].count(
        "rate limit store unavailable: counting in memory"
    ) == 1
    counters.close()


def test_without_redis_url_the_counters_are_in_memory() -> None:
    limits = open_rate_limiter(RateLimitConfig(per_minute=7))

    assert limits.per_minute == 7
    assert isinstance(limits._counters, MemoryCounters)


def test_the_redis_url_is_not_in_the_repr() -> None:
    assert "hunter2" not in repr(RateLimitConfig(redis_url="redis://:hunter2@127.0.0.1:6379/0"))


# --- Who a request counts against ----------------------------------------------------------


def identity() -> FakeIdentity:
    fake = FakeIdentity()
    fake.grant("good-token", Principal(user_id="dancer-1"))
    return fake


def test_a_verified_bearer_token_counts_against_its_user() -> None:
    assert caller(identity(), "Bearer good-token", "10.0.0.1") == "user:dancer-1"
    assert caller(identity(), "bearer  good-token ", "10.0.0.2") == "user:dancer-1"


@pytest.mark.parametrize("authorization", [None, "", "Bearer forged", "Basic good-token", "good"])
def test_anything_else_counts_against_the_address(authorization: str | None) -> None:
    # An unverified token naming a user would let a caller spread requests over invented users.
    assert caller(identity(), authorization, "10.0.0.1") == "address:10.0.0.1"


# --- The guard, in an app -------------------------------------------------------------------


@get("/a", opt=rate_limited("a"), sync_to_thread=False)
def route_a() -> str:
    return "a"


@get("/b", opt=rate_limited("b"), sync_to_thread=False)
def route_b() -> str:
    return "b"


def client(per_minute: int) -> TestClient[Litestar]:
    app = Litestar(
        route_handlers=[route_a, route_b, free_route],
        guards=[rate_limit_guard(limiter(per_minute), identity())],
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[rate_limit_headers],
    )
    return TestClient(app)


def test_over_the_limit_a_429_problem_with_retry_after() -> None:
    with client(2) as http:
        statuses = [http.get("/a").status_code for _ in range(3)]
        refused = http.get("/a")

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "2"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert 1 <= int(refused.headers["ratelimit-reset"]) <= 60
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["status"] == 429


def test_a_route_not_marked_is_not_counted() -> None:
    with client(1) as http:
        assert [http.get("/free").status_code for _ in range(3)] == [200, 200, 200]
        assert "ratelimit-limit" not in http.get("/free").headers


def test_routes_count_separately_and_users_apart_from_their_address() -> None:
    with client(1) as http:
        assert http.get("/a").status_code == 200
        assert http.get("/a").status_code == 429
        assert http.get("/b").status_code == 200
        user = {"Authorization": "Bearer good-token"}
        assert http.get("/a", headers=user).status_code == 200
        assert http.get("/a", headers=user).status_code == 429


@dataclass
class WhereVerified(FakeIdentity):
    """Notes the thread each verification ran on."""

    threads: list[str] = field(default_factory=list)

    def verify(self, bearer_token: str) -> Principal:
        self.threads.append(threading.current_thread().name)
        return super().verify(bearer_token)


@get("/where", opt=rate_limited("where"), sync_to_thread=False)
def loop_thread() -> str:
    return threading.current_thread().name  # a sync route run on the event loop's thread


@pytest.mark.parametrize(
    ("counters", "identity_blocks", "on_the_loop"),
    [
        (MemoryCounters(), False, True),  # microseconds: no hop to a thread
        (MemoryCounters(), True, False),  # an identity provider's keys may have to be fetched
        (RedisCounters("redis://127.0.0.1:1/0"), False, False),  # a network call
    ],
)
def test_the_guard_counts_off_the_event_loop_whenever_that_can_wait(
    counters: MemoryCounters | RedisCounters, identity_blocks: bool, on_the_loop: bool
) -> None:
    verifier = WhereVerified(blocks=identity_blocks)
    verifier.grant("good-token", Principal(user_id="dancer-1"))
    app = Litestar(
        route_handlers=[loop_thread],
        guards=[rate_limit_guard(RateLimiter(counters, 10), verifier)],
        before_send=[rate_limit_headers],
    )
    with TestClient(app) as http:
        answer = http.get("/where", headers={"Authorization": "Bearer good-token"})

    assert answer.status_code == 200 and answer.headers["ratelimit-remaining"] == "9"
    assert (verifier.threads == [answer.text]) is on_the_loop, (verifier.threads, answer.text)


# --- Settings -------------------------------------------------------------------------------


def test_the_default_is_sixty_a_minute_in_memory() -> None:
    settings = Settings.from_env(SETTINGS_ENV)

    assert settings.rate_limits == RateLimitConfig(per_minute=60, redis_url=None)


def test_redis_url_and_limit_come_from_the_environment() -> None:
    env = SETTINGS_ENV | {"REDIS_URL": "redis://127.0.0.1:6379/2", "RATE_LIMIT_PER_MINUTE": "5"}

    assert Settings.from_env(env).rate_limits == RateLimitConfig(5, "redis://127.0.0.1:6379/2")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT_PER_MINUTE", "lots"),
        ("RATE_LIMIT_PER_MINUTE", "0"),
        ("RATE_LIMIT_PER_MINUTE", "-5"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
    ],
)
def test_unusable_values_stop_the_start_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(SETTINGS_ENV | {name: value})


def test_every_response_of_a_limited_route_says_what_is_left() -> None:
    with client(3) as http:
        answers = [http.get("/a") for _ in range(4)]

    assert [a.headers["ratelimit-limit"] for a in answers] == ["3"] * 4
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(1 <= int(a.headers["ratelimit-reset"]) <= 60 for a in answers)
    assert ["retry-after" in a.headers for a in answers] == [False, False, False, True]


@get("/broken", opt=rate_limited("broken"), sync_to_thread=False)
def broken_route() -> str:
    raise NotFoundException("nothing here")


@get("/free", sync_to_thread=False)
def free_route() -> str:
    return "free"


def test_error_answers_carry_the_headers_and_unlimited_routes_none() -> None:
    app = Litestar(
        route_handlers=[broken_route, free_route],
        guards=[rate_limit_guard(limiter(5), identity())],
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[rate_limit_headers],
    )
    with TestClient(app) as http:
        missing = http.get("/broken")
        free = http.get("/free")

    assert missing.status_code == 404
    assert missing.headers["ratelimit-remaining"] == "4"
    assert "ratelimit-limit" not in free.headers
