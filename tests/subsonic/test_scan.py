"""getScanStatus and startScan: a scan re-aggregates concerts from the archive in the background (staff only)."""
from __future__ import annotations

import pytest
from celery import current_app

from tests.subsonic.conftest import call_json, owner_auth, set_app_password, token_auth

AGGREGATE = "concerts.tasks.concerts_aggregate_incremental"


@pytest.fixture
def sent(monkeypatch):
    """The tasks sent by name (the worker may live in another process, so startScan sends by name)."""
    names: list[str] = []
    app = current_app._get_current_object()
    monkeypatch.setattr(app, "send_task", lambda name, *args, **kwargs: names.append(name))
    return names


def test_start_scan_by_staff_queues_the_concert_aggregation(client, library, staff, sent,
                                                             django_capture_on_commit_callbacks):
    set_app_password(staff, "staff-app-password")
    with django_capture_on_commit_callbacks(execute=True):
        body = call_json(client, "startScan", **token_auth("staffer", "staff-app-password"))
    assert body["scanStatus"] == {"scanning": True, "count": 2}
    assert sent == [AGGREGATE]
    from concerts import tasks as concerts_tasks

    assert concerts_tasks.concerts_aggregate_incremental.name == AGGREGATE  # the name still names the task
    status = call_json(client, "getScanStatus", **token_auth("staffer", "staff-app-password"))["scanStatus"]
    assert status == {"scanning": True, "count": 2}


def test_start_scan_by_a_listener_is_50_and_queues_nothing(client, library, owner_app_password, sent,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = call_json(client, "startScan", **owner_auth())
    assert body["status"] == "failed" and body["error"]["code"] == 50
    assert sent == []
    assert call_json(client, "getScanStatus", **owner_auth())["scanStatus"] == {"scanning": False, "count": 2}
