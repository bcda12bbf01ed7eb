"""Due-search selection and the beat task that queues them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digger import services
from digger.models import SearchRun
from digger.selectors import searches_due
from tests.digger.factories import SavedSearchFactory

pytestmark = pytest.mark.django_db


def test_due_searches(owner):
    now = timezone.now()
    never = SavedSearchFactory(user=owner, name="never run")
    stale = SavedSearchFactory(user=owner, name="stale", interval_hours=6, last_run_at=now - timedelta(hours=7))
    SavedSearchFactory(user=owner, name="fresh", interval_hours=6, last_run_at=now - timedelta(hours=5))
    SavedSearchFactory(user=owner, name="paused", active=False)
    busy = SavedSearchFactory(user=owner, name="busy", last_run_at=now - timedelta(days=3))
    SearchRun.objects.create(search=busy, status=SearchRun.Status.RUNNING)
    exact = SavedSearchFactory(user=owner, name="exact", interval_hours=1, last_run_at=now - timedelta(hours=1))
    assert {s.name for s in searches_due(now=now)} == {never.name, stale.name, exact.name}


def test_queue_due_searches_queues_one_run_each(owner, django_capture_on_commit_callbacks):
    SavedSearchFactory(user=owner, name="a")
    SavedSearchFactory(user=owner, name="b")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.searches_queue_due() == 2
    assert len(callbacks) == 2
    assert SearchRun.objects.filter(status=SearchRun.Status.PENDING, trigger="scheduled").count() == 2
    with django_capture_on_commit_callbacks(execute=False):
        assert services.searches_queue_due() == 0  # they have runs pending now


def test_stale_active_run_no_longer_blocks(owner, settings):
    search = SavedSearchFactory(user=owner)
    run = SearchRun.objects.create(search=search, status=SearchRun.Status.RUNNING)
    SearchRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    new = services.search_run_request(search=search, enqueue=False)
    run.refresh_from_db()
    assert run.status == SearchRun.Status.FAILED and new.status == SearchRun.Status.PENDING


def test_beat_entries_exist():
    from django_celery_beat.models import PeriodicTask

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"digger.tasks.queue_due_searches", "digger.tasks.send_daily_digests"} <= tasks
