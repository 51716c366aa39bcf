"""`tickets serve --workers 2` counts as one service: whichever process a request reaches."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.service import Api, ServerProcess, bearer, service_env

pytestmark = pytest.mark.integration

Series = tuple[str, frozenset[tuple[str, str]]]
ORDERS = 6
WEBHOOK = frozenset({("type", "checkout.session.completed"), ("outcome", "fulfilled")})


LIMIT = 10


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[ServerProcess]:
    """Two HTTP processes and the worker's, on SQLite: what is shared is the run directory."""
    env = service_env(f"sqlite:///{tmp_path}/tickets.sqlite3", RATE_LIMIT_PER_MINUTE=str(LIMIT))
    server = ServerProcess(env, tmp_path)
    server.start("--workers", "2")
    yield server
    server.stop()


def fresh() -> httpx.Client:
    """A client that opens a new connection for every request: each may reach either process."""
    return httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def scrape(base_url: str) -> dict[Series, float]:
    response = httpx.get(f"{base_url}/metrics", timeout=30)  # a new connection each time
    assert response.status_code == 200, response.text
    samples: dict[Series, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            series = (sample.name, frozenset(sample.labels.items()))
            assert series not in samples, f"{series} twice in one scrape"
            assert "pid" not in sample.labels, series  # merged, not one series per process
            samples[series] = sample.value
    # Read from the store at scrape time: once, whichever process answers.
    assert response.text.count("# TYPE tickets_follower_stalled gauge") == 1
    return samples


def counters(samples: dict[Series, float]) -> dict[Series, float]:
    """The series that only ever go up: counters, and histograms' buckets, counts and sums."""
    endings = ("_total", "_bucket", "_count", "_sum")
    return {series: v for series, v in samples.items() if series[0].endswith(endings)}


def http_processes(server: ServerProcess) -> list[int]:
    """uvicorn's HTTP processes: the server's children made by multiprocessing's spawn."""
    assert server.process is not None
    listed = subprocess.run(
        ["ps", "-ww", "--ppid", str(server.process.pid), "-o", "pid=,args="],
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(line.split()[0]) for line in listed.stdout.splitlines() if "spawn_main" in line]


def wait_for(check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_metrics_count_every_process_and_never_go_down(two_processes: ServerProcess) -> None:
    server = two_processes
    with fresh() as client:
        client.base_url = httpx.URL(server.base_url)
        api = Api(client)
        api.schedule()
        for n in range(ORDERS):
            api.profile(f"dancer-{n}")
            assert api.pay(api.order(f"dancer-{n}", "salsa1")).status_code == 200
    # The worker's process sends the emails: its counts are in the sums too.
    emails = server.cwd / "var" / "outbox"
    wait_for(lambda: len(list(emails.glob("*.eml"))) == ORDERS, what="the ticket emails")
    wait_for(
        lambda: scrape(server.base_url).get(
            ("tickets_emails_sent_total", frozenset({("kind", "issued")}))
        ),
        what="the worker's email count",
    )

    scrapes = [scrape(server.base_url) for _ in range(30)]
    # An HTTP process dies (the out-of-memory killer); uvicorn starts another in its place.
    before = http_processes(server)
    os.kill(before[0], signal.SIGKILL)
    wait_for(
        lambda: len(set(http_processes(server)) - set(before)) == 1, what="the new HTTP process"
    )
    scrapes += [scrape(server.base_url) for _ in range(30)]

    for earlier, later in itertools.pairwise(scrapes):
        went_down = {
            series: (value, later.get(series))
            for series, value in counters(earlier).items()
            if later.get(series, 0.0) < value
        }
        assert not went_down, went_down
    for samples in scrapes:
        assert samples[("tickets_issued_total", frozenset())] == ORDERS
        assert samples[("tickets_webhooks_total", WEBHOOK)] == ORDERS
        assert samples[("tickets_emails_sent_total", frozenset({("kind", "issued")}))] == ORDERS
        paid = {
            ("app_name", "salsanor_tickets"),
            ("method", "POST"),
            ("path", "/api/webhooks/stripe"),
            ("status_code", "200"),
        }
        assert samples[("tickets_requests_total", frozenset(paid))] == ORDERS


def test_the_rate_limit_is_the_servers_not_each_processs(two_processes: ServerProcess) -> None:
    url = f"{two_processes.base_url}/api/tickets/2026-fall"

    def ask(_: int) -> httpx.Response:
        # A connection of its own, at once with others: both processes take some.
        return httpx.get(url, headers=bearer("dancer-1"), timeout=30)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(ask, range(8 * LIMIT)))
    other = httpx.get(url, headers=bearer("dancer-2"), timeout=30)  # a count of their own

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {404: LIMIT, 429: 7 * LIMIT}  # no ticket yet, within the limit; refused
    remaining = sorted(int(answer.headers["RateLimit-Remaining"]) for answer in answers)
    assert remaining == [0] * 7 * LIMIT + list(range(LIMIT))
    assert other.status_code == 404
