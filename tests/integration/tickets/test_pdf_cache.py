"""The PDF cache shared by every process: the worker and an API process keep the same PDF."""

from __future__ import annotations

import threading
from uuid import UUID, uuid4

import pytest

from adapters.persistence.eventstore import migrate
from adapters.persistence.pdf_cache import SqlPdfCache
from entrypoints.settings import Settings
from tests.support.service import service_env

pytestmark = pytest.mark.integration


def test_two_processes_keeping_the_same_pdf_at_once_both_succeed(database_url: str) -> None:
    settings = Settings.from_env(service_env(database_url))
    migrate(settings.database)
    caches = [SqlPdfCache(settings.database), SqlPdfCache(settings.database)]  # pools of their own
    failures: list[BaseException] = []
    try:
        for n in range(40):  # the race is narrow: many tries, each a ticket of its own
            ticket_id, key, pdf = uuid4(), f"key-{n}", b"%PDF-" + bytes([n])
            start = threading.Barrier(len(caches))

            threads = [
                threading.Thread(target=_keep, args=(cache, start, ticket_id, key, pdf, failures))
                for cache in caches
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert caches[0].get(key) == pdf
    finally:
        for cache in caches:
            cache.close()
    assert failures == []


def _keep(
    cache: SqlPdfCache,
    start: threading.Barrier,
    ticket_id: UUID,
    key: str,
    pdf: bytes,
    failures: list[BaseException],
) -> None:
    start.wait()
    try:
        cache.put(ticket_id, key, pdf)
    except BaseException as error:
        failures.append(error)
