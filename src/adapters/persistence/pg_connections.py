"""PostgreSQL connections that give up within seconds when the database is away.

A database that stops answering must cost a request seconds, not minutes. The server's
``statement_timeout`` never fires when the query never reaches the server, and TCP keepalives
do not notice a peer that acknowledges and stays silent (a hung server, a proxy): only a
deadline kept by the client bounds every case. So every connection of the store (the event
store's pool, the scan index's pool, the followers' own connections) is made here with:

- ``connect_timeout``: a new connection gives up after ``DATABASE_CONNECT_TIMEOUT``;
- a pool checkout that waits no longer than that either;
- ``statement_timeout`` on the server, and each round trip bounded on the client a little
  later (``DATABASE_STATEMENT_TIMEOUT`` + 0.25 s); a round trip that misses it closes its
  connection, whose state is then unknown.

Each of these failures raises ``StoreUnavailable``, which the eventsourcing library does not
retry (it retries its own OperationalError ten times, which turned 5 s into 52 s).

One module, because the deadlines only hold together: the pool, its checkout check and the
connection wrapper that bounds each round trip share the state of the last failure.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.postgres import PostgresFactory as LibraryPostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg.abc import PQGen
from psycopg.rows import TupleRow

from adapters.persistence.pg_recorder import LockedInsertRecorder
from application.errors import StoreUnavailable

# The keys StoreConfig.env() adds for this module's factory (seconds, as text).
CONNECT_TIMEOUT = "STORE_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT = "STORE_STATEMENT_TIMEOUT"
# Past the server's own statement_timeout: a live server answers first, with a clean error.
CLIENT_MARGIN_SECONDS = 0.25
RECONNECT_GIVE_UP_SECONDS = 10.0
# A connection that answered this recently is handed out without the checkout's empty round
# trip (a PostgreSQL restart takes longer; a loss inside the window costs one request a 503).
FRESH_SECONDS = 0.5
_WAIT_INTERVAL = 0.1
_WaitTimeout = psycopg.errors._WaitTimeout


class DeadlineConnection(psycopg.Connection[TupleRow]):
    """A connection whose every round trip has a deadline (when ``deadline_seconds`` is set).

    psycopg runs each operation (execute, commit, the pool's check...) through ``wait``; a
    caller that gives its own timeout (``notifies``) keeps it.
    """

    deadline_seconds: float | None = None
    answered_at = -math.inf  # time.monotonic() of the last round trip that completed

    def wait(
        self, gen: PQGen[Any], interval: float = _WAIT_INTERVAL, timeout: float | None = None
    ) -> Any:
        if timeout is not None or self.deadline_seconds is None:
            answer = super().wait(gen, interval, timeout)
        else:
            try:
                answer = super().wait(gen, interval, self.deadline_seconds)
            except _WaitTimeout:
                # Mid-protocol: the connection cannot be trusted again; its pool discards it.
                self.pgconn.finish()
                pool = getattr(self, "_pool", None)  # set by the pool while it is out
                if isinstance(pool, DeadlinePool):
                    pool.breaker.failed()
                raise StoreUnavailable(
                    f"the database did not answer within {self.deadline_seconds:g} s"
                ) from None
        self.answered_at = time.monotonic()
        return answer


def client_deadline(statement_timeout: float) -> float:
    return statement_timeout + CLIENT_MARGIN_SECONDS


def connect_kwargs(connect_timeout: float, statement_timeout: float | None) -> dict[str, Any]:
    """libpq parameters: its connect_timeout is whole seconds, at least 2."""
    kwargs: dict[str, Any] = {"connect_timeout": max(2, math.ceil(connect_timeout))}
    if statement_timeout is not None:
        kwargs["options"] = f"-c statement_timeout={int(statement_timeout * 1000)}"
    return kwargs


def connect(
    conninfo: str,
    *,
    connect_timeout: float,
    statement_timeout: float | None,
    autocommit: bool = False,
) -> DeadlineConnection:
    """A connection of its own (followers, locks, migrations); ``StoreUnavailable`` if none.

    ``statement_timeout`` None: no deadline on statements (a migration may take its time).
    """
    try:
        connection = DeadlineConnection.connect(
            conninfo, autocommit=autocommit, **connect_kwargs(connect_timeout, statement_timeout)
        )
    except psycopg.OperationalError as error:
        raise StoreUnavailable(f"cannot connect to the database: {_reason(error)}") from None
    if statement_timeout is not None:
        connection.deadline_seconds = client_deadline(statement_timeout)
    return connection


def probe(conninfo: str, *, connect_timeout: float, budget: float) -> None:
    """Readiness: a fresh connection and one query, all within ``budget`` seconds."""
    started = time.monotonic()
    with connect(
        conninfo, connect_timeout=connect_timeout, statement_timeout=budget, autocommit=True
    ) as connection:
        connection.deadline_seconds = max(0.1, budget - (time.monotonic() - started))
        connection.execute("SELECT 1")


class Breaker:
    """After the database failed, callers fail at once for a moment instead of each waiting
    out the timeouts (threads are few: a queue of waiting requests would soon take longer
    than any timeout). When the moment is over, one caller tries again while the others still
    fail at once; its success closes the breaker, its failure starts another moment.
    """

    def __init__(self, cooldown_seconds: float, trial_seconds: float) -> None:
        self._cooldown = cooldown_seconds
        self._trial_seconds = trial_seconds  # a trial that never reports is given up on
        self._lock = threading.Lock()
        self._open = False
        self._retry_at = 0.0
        self._trial_until = 0.0

    def admit(self) -> None:
        with self._lock:
            if not self._open:
                return
            now = time.monotonic()
            if now < self._retry_at or now < self._trial_until:
                raise StoreUnavailable("the database did not answer a moment ago")
            self._trial_until = now + self._trial_seconds  # this caller is the trial

    def failed(self) -> None:
        with self._lock:
            self._open = True
            self._retry_at = time.monotonic() + self._cooldown
            self._trial_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._open

    def succeeded(self) -> None:
        with self._lock:
            self._open = False
            self._trial_until = 0.0

    def abandoned(self) -> None:
        """The trial ended without telling whether the database answers."""
        with self._lock:
            self._trial_until = 0.0


class DeadlinePool(psycopg_pool.ConnectionPool[Any]):
    """A pool that fails fast: its checkout timeout is ``StoreUnavailable`` (which the library
    does not retry), and after a failure its breaker answers for it for a moment."""

    def __init__(self, *args: Any, cooldown_seconds: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, check=self.check_unless_fresh, **kwargs)
        self.breaker = Breaker(cooldown_seconds, trial_seconds=4 * self.timeout)
        self._held = threading.local()

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Any]:
        held = getattr(self._held, "connection", None)
        if held is not None:  # inside ``lending``: this thread's connection, checked already
            if held.broken or held.closed:
                # Lost mid-block: the library would retry the same dead connection ten times.
                raise StoreUnavailable("the database connection was lost")
            yield held
            return
        with super().connection(timeout) as connection:
            yield connection

    def check_unless_fresh(self, connection: DeadlineConnection) -> None:
        """The checkout's check: one empty round trip, unless the connection answered within
        ``FRESH_SECONDS`` and is idle, and the database has not failed since (under load a
        connection comes back within milliseconds, and the check was one more round trip for
        every read)."""
        if (
            not self.breaker.is_open
            and connection.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
            and time.monotonic() - connection.answered_at < FRESH_SECONDS
        ):
            return
        self.check_connection(connection)

    def is_lending(self) -> bool:
        return getattr(self._held, "connection", None) is not None

    @contextmanager
    def lending(self, connection: Any) -> Iterator[None]:
        """Every checkout of this thread inside the block gets ``connection`` (checked out
        already by the caller), without a checkout or check of its own."""
        self._held.connection = connection
        try:
            yield
        finally:
            self._held.connection = None

    def getconn(self, timeout: float | None = None) -> Any:
        self.breaker.admit()
        try:
            connection = super().getconn(timeout)
        except psycopg_pool.PoolTimeout:
            self.breaker.failed()
            raise StoreUnavailable(
                f"no database connection within {timeout or self.timeout:g} s"
            ) from None
        except BaseException:
            self.breaker.abandoned()
            raise
        self.breaker.succeeded()  # checked at checkout: the database answered just now
        return connection


def deadline_pool(
    *,
    connect_timeout: float,
    statement_timeout: float,
    kwargs: dict[str, Any],
    min_size: int,
    max_size: int,
    name: str,
    configure: Callable[[Any], None] | None = None,
    conninfo: str = "",
    **options: Any,
) -> DeadlinePool:
    """A pool of ``DeadlineConnection``s, not opened yet.

    Each checkout checks its connection (one empty round trip) unless it answered a moment
    ago: a connection left broken by an outage is replaced rather than failing its caller,
    and the breaker learns the database answers again.
    """
    deadline = client_deadline(statement_timeout)

    def configured(connection: Any) -> None:
        connection.deadline_seconds = deadline
        if configure is not None:
            configure(connection)

    return DeadlinePool(
        conninfo,
        connection_class=DeadlineConnection,
        kwargs={**kwargs, **connect_kwargs(connect_timeout, statement_timeout)},
        min_size=min_size,
        max_size=max_size,
        open=False,
        configure=configured,
        timeout=connect_timeout,
        name=name,
        # psycopg_pool retries a lost connection with a doubling pause until this many seconds,
        # then gives the slot up and grows again on demand (at once). Its default, five
        # minutes, let the pause grow to minutes: the pool came back long after the database.
        reconnect_timeout=RECONNECT_GIVE_UP_SECONDS,
        **options,
    )


class PostgresFactory(LibraryPostgresFactory):
    """The eventsourcing PostgreSQL factory with the event store's pool made of deadlines.

    The library builds its pool with its own connection class and no per-connection timeouts;
    its pool is swapped here for one with the same sizes and callbacks before it is opened.
    Its events are saved in one statement each (``adapters.persistence.pg_recorder``).
    """

    application_recorder_class = LockedInsertRecorder

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        datastore = self.datastore
        library_pool = datastore.pool
        kwargs = library_pool.kwargs
        assert isinstance(kwargs, dict)  # the library passes its connection settings so
        datastore.pool = deadline_pool(  # type: ignore[assignment]
            connect_timeout=float(self.env.get(CONNECT_TIMEOUT) or 2),
            statement_timeout=float(self.env.get(STATEMENT_TIMEOUT) or 2),
            kwargs=dict(kwargs),
            min_size=library_pool.min_size,
            max_size=library_pool.max_size,
            name="event-store",
            configure=datastore.after_connect_func(),
            max_waiting=library_pool.max_waiting,
            max_lifetime=library_pool.max_lifetime,
        )

    @contextmanager
    def holding(self) -> Iterator[None]:
        """The calling thread's store operations in the block share ONE connection.

        A use case reads several aggregates and then saves: each read was a pool checkout with
        its own check (an empty round trip), half of a payment's round trips. The connections
        are in autocommit, so sharing one changes no transaction: each read and the save's own
        transaction stay what they were. The one checkout is the library's (it opens the pool,
        maps errors), checked like any other. Re-entrant: an inner block keeps the outer one.
        """
        pool = self.datastore.pool
        assert isinstance(pool, DeadlinePool)
        if pool.is_lending():
            yield
            return
        with self.datastore.get_connection() as connection, pool.lending(connection):
            yield


def _reason(error: BaseException) -> str:
    """The first line of libpq's message (the rest repeats it per address tried)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
