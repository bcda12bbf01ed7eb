"""Jobs that exhaust their retries are recorded and shown to staff, who can retry them."""
import pytest
from celery import shared_task

from common.models import FailedJob
from common.tasks import StylusTask
from integrations.errors import PermanentError, TransientError

pytestmark = pytest.mark.django_db
CALLS: list[int] = []


@shared_task(base=StylusTask, bind=True, max_retries=2, retry_backoff=False)
def flaky(self, item_id: int, fail: str = "permanent") -> int:
    CALLS.append(item_id)
    if fail == "permanent":
        raise PermanentError("upstream said no", service="test")
    if fail == "transient":
        raise TransientError("upstream timed out", service="test")
    return item_id


def test_permanent_failure_is_recorded_without_retries():
    CALLS.clear()
    flaky.apply(args=(7,))
    failed = FailedJob.objects.get()
    assert failed.task_name.endswith("flaky") and failed.args == [7]
    assert failed.exception == "PermanentError" and "upstream said no" in failed.message
    assert CALLS == [7]


def test_transient_failure_retries_then_is_recorded(settings):
    CALLS.clear()
    flaky.apply(args=(8,), kwargs={"fail": "transient"})
    assert CALLS == [8, 8, 8]  # first try + 2 retries
    failed = FailedJob.objects.get()
    assert failed.exception == "TransientError"


def test_staff_see_failed_jobs_and_retry(staff_client, outsider_client):
    CALLS.clear()
    flaky.apply(args=(9,))
    failed = FailedJob.objects.get()
    assert outsider_client.get("/staff/failed-jobs/").status_code == 302
    page = staff_client.get("/staff/failed-jobs/")
    assert page.status_code == 200 and b"upstream said no" in page.content
    FailedJob.objects.filter(pk=failed.pk).update(kwargs={"fail": "none"})
    response = staff_client.post(f"/staff/failed-jobs/{failed.pk}/retry/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.resolved_at is not None
    assert CALLS == [9, 9]  # ran again, and succeeded this time
    assert outsider_client.post(f"/staff/failed-jobs/{failed.pk}/retry/").status_code == 302
    assert CALLS == [9, 9]


def test_staff_statistics_page(staff_client, outsider_client, owner):
    from common.services import search_log_record

    for q in ("Radiohead", "radiohead ", "Björk"):
        search_log_record(section="albums", query=q, user=owner)
    assert outsider_client.get("/staff/").status_code == 302
    page = staff_client.get("/staff/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-stat="users-total">' in html
    assert "radiohead" in html  # normalised and counted together
    from common.selectors import staff_statistics

    stats = staff_statistics()
    assert stats["searches"]["top"][0] == {"section": "albums", "normalized": "radiohead", "n": 2}


def test_throttle_returns_429_with_retry_after_on_31st_call(client):
    import json

    payload = json.dumps({"username": "nobody", "password": "x"})
    codes = [client.post("/api/v1/auth/token", data=payload, content_type="application/json").status_code for _ in range(31)]
    assert codes[:30] == [401] * 30
    assert codes[30] == 429
    response = client.post("/api/v1/auth/token", data=payload, content_type="application/json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "detail" in response.json()


def test_enqueue_with_broker_down_records_failed_job_instead_of_500():
    import time

    from celery import current_app as app

    CALLS.clear()
    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write("redis://127.0.0.1:1/0") as conn:  # nothing listens on port 1
            started = time.perf_counter()
            result = flaky.apply_async(args=(11,), connection=conn)
            elapsed = time.perf_counter() - started
    finally:
        app.conf.task_always_eager, app.conf.broker_url = old
    assert result is None
    assert elapsed < 5
    failed = FailedJob.objects.get()
    assert failed.task_id.startswith("unsent-") and failed.args == [11]
    assert CALLS == []
