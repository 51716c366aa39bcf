"""Benchmark: the auditors' full replay (`tickets audit replay`) on SQLite and PostgreSQL.

Generates a realistic log of N events (people, orders paid through Stripe with redeliveries,
payment-intent links, tickets with signed token hashes, emails, check-ins, some rotations and
full refunds) with the domain's own methods, and bulk-inserts it through the recorder. Then,
each in a fresh process so that peak memory is the measurement's own:

- the baseline: a raw SQL ``SELECT`` of every row of the event table, streamed;
- the recorder's paged read (``select_notifications``), without decoding;
- the replay: decode, rebuild orders and tickets, check every invariant, rebuild the scan index
  and compare it with the live one (``tickets audit replay``);
- the same replay without the read models (``invariants_only``), to tell the two costs apart.

Replay events/s is reported as a ratio against the raw SELECT's rows/s of the same run.

    .venv/bin/python -m bench.replay [--events 1000000,5000000] [--stores sqlite,postgres]

SQLite logs are generated once and kept in ``--keep`` (default: /tmp/bench-replay).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.domain import Aggregate
from tests.support.service import PG_ADMIN, service_env

from adapters.clock import SystemClock
from adapters.persistence.eventstore import migrate
from adapters.persistence.store_config import sqlite_path
from adapters.qr_tokens import JwtTokenSigner
from application.tickets.tokens import TokenIssuer
from application.worker.following import PageFollower
from domain.order import Order, Registration, RequestedRegistration
from domain.payment import DeliveryOutcome, OrderPaymentIntent, StripeDelivery
from domain.period import Period, PeriodCode, PeriodPlan, Track
from domain.person import Person
from domain.shared import SYSTEM, Cause
from domain.ticket import CoveredRegistration, Ticket
from entrypoints.bootstrap import Services, build
from entrypoints.settings import Settings

BATCH = 5000  # events per insert: one transaction each
PAGE = 5000  # rows per page when reading
ROOT = Path(__file__).resolve().parents[1]


# --- generating the log -----------------------------------------------------------------------


def _periods(rng: random.Random) -> list[Period]:
    periods = []
    for n in range(4):
        tracks = tuple(
            Track(f"track{t}", f"Track {t}", rng.choice((90_000, 120_000, 150_000)))
            for t in range(3)
        )
        start = date(2026, 1 + 3 * n, 1)
        periods.append(
            Period.schedule(
                PeriodPlan(
                    code=f"bench-{n}",
                    name=f"Bench period {n}",
                    start_date=start,
                    end_date=start + timedelta(days=80),
                    timezone="Europe/Oslo",
                    location="Oslo",
                    currency="NOK",
                    tracks=tracks,
                ),
                Cause("admin-1", "req-bench"),
            )
        )
    return periods


def generate(services: Services, events: int, seed: int = 7) -> int:
    """Records about ``events`` events of a realistic history; returns how many exactly."""
    rng = random.Random(seed)
    store = services.store
    tokens = TokenIssuer(JwtTokenSigner(services.settings.tokens), SystemClock())
    periods = _periods(rng)
    pending: list[Any] = []
    written = 0

    def collect(*aggregates: Aggregate) -> None:
        nonlocal written
        for aggregate in aggregates:
            pending.extend(store.mapper.to_stored_event(e) for e in aggregate.collect_events())
        if len(pending) >= BATCH:
            store.recorder.insert_events(pending)
            written += len(pending)
            pending.clear()

    for period in periods:
        collect(period, PeriodCode.claim(period.code, period.id, SYSTEM))
    unit = 0
    while written + len(pending) < events:
        unit += 1
        _unit(unit, rng, rng.choice(periods), tokens, collect)
    if pending:
        store.recorder.insert_events(pending)
        written += len(pending)
    return written


def _unit(unit: int, rng: random.Random, period: Period, tokens: TokenIssuer, collect: Any) -> None:
    """One participant's story: profile, order, payment (maybe redelivered), ticket, email,
    check-ins, and now and then a rotation or a full refund."""
    user = f"user-{unit}"
    request = Cause(user, f"req-{unit}")
    person = Person.register(
        user_id=user, name=f"Dancer {unit}", email=f"{user}@example.no", phone=None, cause=request
    )
    persons = [person]
    if rng.random() < 0.1:
        persons.append(
            Person.register(
                user_id=None,
                name=f"Partner {unit}",
                email=f"partner-{unit}@example.no",
                phone=None,
                cause=Cause("admin-1", f"req-p{unit}"),
            )
        )
    collect(*persons)
    wishes = tuple(
        RequestedRegistration(p.id, track.code, role)
        for p, role in zip(persons, ("leader", "follower"), strict=False)
        for track in rng.sample(period.tracks, rng.choice((1, 1, 2)))
    )
    order = Order.place(
        period=period, purchaser_person_id=person.id, requested=wishes, cause=request
    )
    order.start_checkout(
        session_id=f"cs_{unit}", checkout_url=f"https://checkout.example/{unit}", cause=request
    )
    collect(order)

    paid_by = Cause("stripe", f"evt_{unit}")
    intent = f"pi_{unit}"
    order.receive_payment(
        stripe_event_id=f"evt_{unit}",
        payment_intent_id=intent,
        amount_cents=order.total_cents,
        currency="nok",
        cause=paid_by,
    )
    tickets = []
    for p in persons:
        ticket = Ticket.issue(
            period_id=period.id,
            person_id=p.id,
            registrations=tuple(_covered(order, r) for r in order.registrations_of(p.id)),
            cause=paid_by,
        )
        tokens.issue(ticket, period, paid_by)
        tickets.append(ticket)
    delivery = StripeDelivery.record(
        stripe_event_id=f"evt_{unit}",
        event_type="checkout.session.completed",
        order_id=order.id,
        outcome=DeliveryOutcome.FULFILLED,
        cause=paid_by,
    )
    collect(delivery, order, OrderPaymentIntent.link(intent, order.id, paid_by), *tickets)
    if rng.random() < 0.2:  # payment_intent.succeeded for the same payment: recorded, no effect
        collect(
            StripeDelivery.record(
                stripe_event_id=f"evt_{unit}_pi",
                event_type="payment_intent.succeeded",
                order_id=order.id,
                outcome=DeliveryOutcome.ALREADY_PAID,
                cause=Cause("stripe", f"evt_{unit}_pi"),
            )
        )
    for ticket in tickets:
        _email(ticket, "issued")
    collect(*tickets)

    day = datetime.combine(period.start_date, datetime.min.time(), UTC) + timedelta(hours=18)
    for ticket in tickets:
        for week in range(rng.choice((0, 1, 2, 2, 3, 4))):
            at = day + timedelta(weeks=week)
            ticket.check_in(
                at=at,
                local_date=period.local_date(at),
                device_id="door-1",
                staff_user_id="staff-1",
                scan_id=uuid.uuid4().hex,
                cause=Cause("staff-1", f"req-s{unit}-{week}"),
            )
    if rng.random() < 0.05:
        admin = Cause("admin-1", f"req-r{unit}")
        tickets[0].rotate_token(reason="lost phone", cause=admin)
        tokens.issue(tickets[0], period, admin)
        _email(tickets[0], "rotated")
    collect(*tickets)

    if rng.random() < 0.05:
        refund = Cause("stripe", f"evt_{unit}_refund")
        order.record_refund(
            stripe_event_id=f"evt_{unit}_refund",
            payment_intent_id=intent,
            amount_refunded_cents=order.total_cents,
            currency="nok",
            cause=refund,
        )
        order.cancel_registrations(reason="refunded", cause=refund)
        for ticket in tickets:
            paid_for = tuple(r.registration_id for r in order.registrations_of(ticket.person_id))
            ticket.remove_registrations(paid_for, reason="order refunded", cause=refund)
            if not ticket.registrations:
                ticket.revoke(reason="refunded: no active registration left", cause=refund)
        collect(
            StripeDelivery.record(
                stripe_event_id=f"evt_{unit}_refund",
                event_type="charge.refunded",
                order_id=order.id,
                outcome=DeliveryOutcome.REFUNDED,
                cause=refund,
            ),
            order,
            *tickets,
        )


def _covered(order: Order, registration: Registration) -> CoveredRegistration:
    return CoveredRegistration(registration.registration_id, order.id, registration.track_code)


def _email(ticket: Ticket, reason: str) -> None:
    assert ticket.token is not None
    ticket.record_emailed(
        token_version=ticket.token.version,
        reason=reason,
        message_id=f"msg-{ticket.id}-{ticket.token.version}",
        cause=SYSTEM,
    )


# --- the measurements, each in a process of its own ------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    # The machine is shared: CPU time tells our own cost apart from waiting for a core.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _services(url: str) -> Services:
    # Nothing is emailed here: the outbox is never created.
    outbox = Path(tempfile.gettempdir()) / "bench-replay-outbox"
    return build(Settings.from_env(service_env(url, EMAIL_OUTBOX_DIR=str(outbox))))


def _raw_rows(url: str) -> Iterator[tuple[Any, ...]]:
    """Every row of the event table by a plain SELECT, streamed (no library in between)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as conn:
            yield from conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state"
                " FROM stored_events ORDER BY rowid"
            )
        return
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(PG_ADMIN) as conn, conn.cursor(name="bench") as cursor:
        cursor.itersize = PAGE
        cursor.execute(
            f"SELECT notification_id, originator_id, originator_version, topic, state"
            f' FROM "{schema}".tickets_events ORDER BY notification_id'
        )
        yield from cursor


def measure(kind: str, url: str) -> dict[str, Any]:
    baseline_rss = _peak_rss_mb()
    if kind == "raw_select":
        started, cpu = time.perf_counter(), _cpu_seconds()
        rows = sum(1 for _ in _raw_rows(url))
        seconds = time.perf_counter() - started
        return {
            "rows": rows,
            "seconds": seconds,
            "cpu_seconds": _cpu_seconds() - cpu,
            "rows_per_s": rows / seconds,
        } | _memory(baseline_rss)
    services = _services(url)
    try:
        if kind == "recorder_pages":
            started, cpu = time.perf_counter(), _cpu_seconds()
            rows = sum(1 for _ in services.store.notifications(page_size=PAGE))
            seconds = time.perf_counter() - started
            return {
                "rows": rows,
                "seconds": seconds,
                "cpu_seconds": _cpu_seconds() - cpu,
                "rows_per_s": rows / seconds,
            } | _memory(baseline_rss)
        if kind == "prepare":
            # The live read models as the worker leaves them (a page per transaction), and
            # the email worker done: what a running service would have.
            store = services.store
            for model in services.read_models:
                assert isinstance(model, PageFollower)
                page: list[tuple[Any, Any]] = []
                for notification in store.notifications(page_size=PAGE, topics=model.topics):
                    page.append((notification, store.decode(notification)))
                    if len(page) == PAGE:
                        model.handle_page(page)
                        page = []
                if page:
                    model.handle_page(page)
            upto = store.recorder.max_notification_id() or 0
            services.follower_store.advance("ticket-emails", upto)
            return {"ok": True, "upto": upto}
        baseline_rss = _peak_rss_mb()  # after building the service: the replay's own share
        read_models = services.read_models if kind == "replay" else ()
        cpu = _cpu_seconds()
        report = services.audit.replay(
            read_models, follower_store=services.follower_store, page_size=PAGE
        )
        return {
            "events": report.events,
            "seconds": report.seconds,
            "cpu_seconds": _cpu_seconds() - cpu,
            "read_seconds": report.read_seconds,
            "check_seconds": report.check_seconds,
            "events_per_s": report.events_per_second,
            "ok": report.ok,
            "violations": [v.detail for v in report.violations[:5]],
            "read_models": [(m.name, m.equal) for m in report.read_models],
        } | _memory(baseline_rss)
    finally:
        services.close()


def _memory(baseline_rss: float) -> dict[str, float]:
    peak = _peak_rss_mb()
    return {"peak_rss_mb": round(peak, 1), "rss_growth_mb": round(peak - baseline_rss, 1)}


def _in_child(kind: str, url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.replay", "--measure", kind, "--url", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {kind}: {json.dumps(_rounded(result))}", file=sys.stderr)
    return result


def run(url: str, events: int, *, reuse: bool = False, table_only: bool = False) -> dict[str, Any]:
    """Generates the log (unless ``reuse``: made by an earlier run) and measures each read;
    ``table_only``: the raw SELECT and the replay only, what the suite's table shows."""
    written, generated = 0, 0.0
    if reuse:
        written = sum(1 for _ in _raw_rows(url))
        print(f"  {written:,} events, generated by an earlier run", file=sys.stderr)
    else:
        migrate(Settings.from_env(service_env(url)).database)
        services = _services(url)
        try:
            started = time.perf_counter()
            written = generate(services, events)
            generated = time.perf_counter() - started
        finally:
            services.close()
        print(f"  {written:,} events recorded in {generated:.0f} s", file=sys.stderr)
        prepared = _in_child("prepare", url)
        assert prepared["ok"], prepared
    raw = _in_child("raw_select", url)
    replay = _in_child("replay", url)
    assert replay["ok"], replay
    figures = {
        "events": written,
        "generate_seconds": round(generated, 1),
        "raw_select": _rounded(raw),
        "replay": _rounded(replay),
        "replay_events_per_s": round(replay["events_per_s"]),
        "replay_cpu_seconds": round(replay["cpu_seconds"], 1),
        "ratio_to_raw_select": round(replay["events_per_s"] / raw["rows_per_s"], 4),
        "replay_peak_rss_mb": replay["peak_rss_mb"],
    }
    if table_only:
        return figures
    pages = _in_child("recorder_pages", url)
    invariants = _in_child("invariants_only", url)
    assert invariants["ok"], invariants
    return figures | {
        "recorder_pages": _rounded(pages),
        "invariants_only": _rounded(invariants),
        "invariants_only_events_per_s": round(invariants["events_per_s"]),
        "invariants_only_peak_rss_mb": invariants["peak_rss_mb"],
        "invariants_only_ratio_to_raw_select": round(
            invariants["events_per_s"] / raw["rows_per_s"], 4
        ),
    }


def _sqlite(keep: Path, events: int) -> tuple[str, bool]:
    """The SQLite log of ``events`` events kept in ``keep``, and whether it is ready already.

    Generating millions of events takes minutes: a finished log is kept for the next run.
    """
    keep.mkdir(parents=True, exist_ok=True)
    path = keep / f"replay-{events}.sqlite3"
    ready = keep / f"replay-{events}.ready"
    if ready.exists() and path.exists():
        return f"sqlite:///{path}", True
    for stale in keep.glob(f"replay-{events}.sqlite3*"):
        stale.unlink()
    return f"sqlite:///{path}", False


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--events", default="1000000", help="sizes of the log, comma-separated: 1000000,5000000"
    )
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="measure only what the suite's table shows (the raw SELECT, the replay)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=Path(tempfile.gettempdir()) / "bench-replay",
        help="where generated SQLite logs are kept for the next run",
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.url)))
        return
    results: dict[str, Any] = {}
    for events in (int(n) for n in args.events.split(",")):
        for name in args.stores.split(","):
            print(f"{name}, {events:,} events:", file=sys.stderr)
            key = f"{name}_{events}"
            if name == "sqlite":
                url, ready = _sqlite(args.keep, events)
                results[key] = run(url, events, reuse=ready, table_only=args.table_only)
                (args.keep / f"replay-{events}.ready").touch()
                continue
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            try:
                results[key] = run(
                    f"{PG_ADMIN}?schema={schema}", events, table_only=args.table_only
                )
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "replay.json").write_text(json.dumps(results, indent=2))
    for key, figures in results.items():
        line = (
            f"{key}: replay {figures['replay_events_per_s']:,} events/s "
            f"(CPU {figures['replay_cpu_seconds']} s), "
            f"peak RSS {figures['replay_peak_rss_mb']} MB"
        )
        if "invariants_only" in figures:
            line += (
                f"; invariants only {figures['invariants_only_events_per_s']:,} events/s, "
                f"peak RSS {figures['invariants_only_peak_rss_mb']} MB"
            )
        print(line, file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
