"""archive tells other apps about stored recordings and verified downloads through its signals, after commit."""
from __future__ import annotations

import pytest

from archive import services
from archive.signals import download_verified, recordings_stored

from .conftest import ITEM, TRACKS


@pytest.fixture
def received():
    calls: list[tuple[str, dict]] = []

    def on_stored(sender, **kwargs):
        calls.append(("stored", kwargs))

    def on_verified(sender, **kwargs):
        calls.append(("verified", kwargs))

    recordings_stored.connect(on_stored, weak=False, dispatch_uid="test-stored")
    download_verified.connect(on_verified, weak=False, dispatch_uid="test-verified")
    yield calls
    recordings_stored.disconnect(dispatch_uid="test-stored")
    download_verified.disconnect(dispatch_uid="test-verified")


def test_item_fetch_sends_recordings_stored_after_commit(ia, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.archive_item_get(identifier=ITEM)
    assert received == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [(kind, kw["identifiers"]) for kind, kw in received] == [("stored", [ITEM])]
    from archive.selectors import item_stored

    assert item_stored(identifier=ITEM).venue == "The Lab"  # what a receiver reads


def test_item_page_survives_a_failing_receiver(client, ia, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    recordings_stored.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(f"/archive/items/{ITEM}/")
    finally:
        recordings_stored.disconnect(dispatch_uid="test-broken")
    assert response.status_code == 200


def test_verified_download_sends_download_verified_after_commit(owner, ia, received,
                                                                 django_capture_on_commit_callbacks):
    ia.serve(TRACKS[0])
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=TRACKS[0], enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.download_run(download_id=downloads[0].pk) == "completed"
    verified = [kw for kind, kw in received if kind == "verified"]
    assert verified == [{"signal": download_verified, "download_id": downloads[0].pk, "identifier": ITEM}]


def test_failed_download_sends_no_download_verified(owner, ia, received, django_capture_on_commit_callbacks):
    ia.serve("bad.mp3")
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file="bad.mp3", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.download_run(download_id=downloads[0].pk) == "failed"
    assert [kind for kind, _ in received if kind == "verified"] == []
