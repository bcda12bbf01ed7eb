"""Two runs of one search at once, from two threads with their own database connections: only one proceeds."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from common.exceptions import Conflict
from digger import services
from digger.models import SearchRun
from tests.digger.factories import SavedSearchFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.skipif(connection.vendor == "sqlite",
                                reason="SQLite's shared in-memory test database can't take concurrent writers; CI runs PostgreSQL")


def _in_threads(target, n: int = 2) -> list:
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run():
        barrier.wait()
        try:
            outcome = target()
        except Exception as exc:  # collected and asserted on below
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_simultaneous_run_requests_create_one_run(transactional_db):
    search = SavedSearchFactory(user=UserFactory(username="racer"))
    results = _in_threads(lambda: services.search_run_request(search=search, enqueue=False))
    assert sum(isinstance(r, SearchRun) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert SearchRun.objects.filter(search=search).count() == 1


def test_two_workers_handed_the_same_run_claim_it_once(transactional_db):
    search = SavedSearchFactory(user=UserFactory(username="racer2"))  # no credentials: the run fails fast
    run = services.search_run_request(search=search, enqueue=False)
    _in_threads(lambda: services.search_run_execute(run_id=run.pk))
    run.refresh_from_db()
    assert run.attempts == 1 and run.status == SearchRun.Status.FAILED
