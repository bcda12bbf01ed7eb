"""Downloads end to end against the replay server: verification, resume, faults, dedup, quota, access."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from archive import services, transfer
from archive.models import Download

from .conftest import ITEM, TRACKS

URL = "/api/v1/downloads"


def _post(client, api, **body):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **api)


def _library(settings, user) -> Path:
    return Path(settings.MEDIA_ROOT) / "downloads" / str(user.pk) / ITEM


def test_download_one_file_is_verified_and_moved_into_the_library(client, owner, owner_api, ia, settings,
                                                                  django_capture_on_commit_callbacks):
    ia.serve(TRACKS[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, owner_api, identifier=ITEM, file=TRACKS[0])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["file"] == TRACKS[0] and body["identifier"] == ITEM
    download = Download.objects.get(pk=body["id"])
    assert download.status == Download.Status.COMPLETED and download.error == ""
    target = _library(settings, owner) / TRACKS[0]
    assert target.read_bytes() == (ia.folder / TRACKS[0]).read_bytes()
    assert hashlib.md5(target.read_bytes()).hexdigest() == download.md5
    assert download.bytes_done == download.bytes_total == target.stat().st_size
    assert download.source_url == f"{ia.url}/download/{ITEM}/{TRACKS[0]}"
    assert not any((Path(settings.MEDIA_ROOT) / "downloads" / ".partial").glob("*"))


def test_download_completed_again_returns_the_existing_record(client, owner, owner_api, ia,
                                                              django_capture_on_commit_callbacks):
    ia.serve(TRACKS[0])
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, owner_api, identifier=ITEM, file=TRACKS[0]).json()
    again = _post(client, owner_api, identifier=ITEM, file=TRACKS[0])
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert len(ia.replay.requests_to(ia.file_path(TRACKS[0]))) == 1


def test_download_in_progress_is_a_conflict(client, owner, owner_api, ia):
    Download.objects.create(user=owner, identifier=ITEM, file_name=TRACKS[0], status=Download.Status.DOWNLOADING)
    response = _post(client, owner_api, identifier=ITEM, file=TRACKS[0])
    assert response.status_code == 409
    assert "already in progress" in response.json()["detail"]


def test_download_whole_format_queues_every_track_in_order(client, owner, owner_api, ia, settings,
                                                           django_capture_on_commit_callbacks):
    for name in TRACKS:
        ia.serve(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, owner_api, identifier=ITEM, format="mp3")
    assert response.status_code == 201
    body = response.json()
    # bad.mp3 is VBR MP3 too, but is not served here: it fails, the others complete
    names = [d["file"] for d in body["downloads"]]
    assert names == [*TRACKS, "bad.mp3"]
    statuses = dict(Download.objects.filter(user=owner).values_list("file_name", "status"))
    assert all(statuses[n] == "completed" for n in TRACKS)
    assert statuses["bad.mp3"] == "failed"
    assert sorted(p.name for p in _library(settings, owner).iterdir()) == sorted(TRACKS)


def test_download_checksum_mismatch_fails_and_keeps_nothing(client, owner, owner_api, ia, settings,
                                                            django_capture_on_commit_callbacks):
    ia.serve("bad.mp3")
    with django_capture_on_commit_callbacks(execute=True):
        body = _post(client, owner_api, identifier=ITEM, file="bad.mp3").json()
    download = Download.objects.get(pk=body["id"])
    assert download.status == Download.Status.FAILED
    assert "Checksum mismatch" in download.error and "md5" in download.error
    assert not (_library(settings, owner) / "bad.mp3").exists()
    assert not services.partial_path(download).exists()


def test_download_resumes_with_range_after_a_dropped_connection(client, owner, owner_api, ia, settings,
                                                                django_capture_on_commit_callbacks):
    ia.serve(TRACKS[1], fault="drop", times=1)
    ia.serve(TRACKS[1])
    with django_capture_on_commit_callbacks(execute=True):
        body = _post(client, owner_api, identifier=ITEM, file=TRACKS[1]).json()
    download = Download.objects.get(pk=body["id"])
    assert download.status == Download.Status.COMPLETED, download.error
    first, second = ia.replay.requests_to(ia.file_path(TRACKS[1]))
    assert "Range" not in first.headers
    start = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < start < download.bytes_total
    assert (_library(settings, owner) / TRACKS[1]).read_bytes() == (ia.folder / TRACKS[1]).read_bytes()


def test_download_resumes_where_a_killed_worker_stopped(owner, ia, settings):
    ia.serve(TRACKS[2])
    data = (ia.folder / TRACKS[2]).read_bytes()
    meta = ia.metadata()
    listed = next(f for f in meta["files"] if f["name"] == TRACKS[2])
    download = Download.objects.create(user=owner, identifier=ITEM, file_name=TRACKS[2], md5=listed["md5"],
                                       sha1=listed["sha1"], bytes_total=len(data), bytes_done=20000,
                                       status=Download.Status.DOWNLOADING)  # the worker died here
    part = services.partial_path(download)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data[:20000])
    from archive.tasks import download_file

    download_file.delay(download.pk)  # a redelivered task
    download.refresh_from_db()
    assert download.status == Download.Status.COMPLETED, download.error
    (request,) = ia.replay.requests_to(ia.file_path(TRACKS[2]))
    assert request.headers["Range"] == "bytes=20000-"
    assert (_library(settings, owner) / TRACKS[2]).read_bytes() == data


def test_download_upstream_404_fails_with_a_clear_message(client, owner, owner_api, ia,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = _post(client, owner_api, identifier=ITEM, file=TRACKS[0]).json()  # no route: 404
    download = Download.objects.get(pk=body["id"])
    assert download.status == Download.Status.FAILED
    assert "refused" in download.error and "404" in download.error
    assert not services.partial_path(download).exists()


def test_download_persistent_5xx_fails_and_keeps_the_partial_for_resume(client, owner, owner_api, ia,
                                                                        django_capture_on_commit_callbacks):
    ia.serve(TRACKS[0], fault="drop", times=1)
    ia.serve(TRACKS[0], fault="503")
    with django_capture_on_commit_callbacks(execute=True):
        body = _post(client, owner_api, identifier=ITEM, file=TRACKS[0]).json()
    download = Download.objects.get(pk=body["id"])
    assert download.status == Download.Status.FAILED
    assert "retry to resume" in download.error
    kept = services.partial_path(download).stat().st_size
    assert kept > 0
    # retry resumes from the kept bytes once the archive answers again
    ia.replay.reset()
    ia.replay.add(f"/metadata/{ITEM}", file=ia.folder / "metadata_testtapers.json")
    ia.serve(TRACKS[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}/{download.pk}/retry", **owner_api)
    assert response.status_code == 202
    download.refresh_from_db()
    assert download.status == Download.Status.COMPLETED
    assert ia.replay.requests_to(ia.file_path(TRACKS[0]))[0].headers["Range"] == f"bytes={kept}-"


def test_download_without_disk_space_fails_cleanly(client, owner, owner_api, ia, settings, monkeypatch,
                                                   django_capture_on_commit_callbacks):
    import shutil

    ia.serve(TRACKS[0])
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(100, 100, 10))
    with django_capture_on_commit_callbacks(execute=True):
        body = _post(client, owner_api, identifier=ITEM, file=TRACKS[0]).json()
    download = Download.objects.get(pk=body["id"])
    assert download.status == Download.Status.FAILED and "disk space" in download.error
    assert ia.replay.requests_to(ia.file_path(TRACKS[0])) == []
    assert not (_library(settings, owner) / TRACKS[0]).exists()


def test_download_disk_full_while_writing_removes_the_partial(owner, ia, settings, monkeypatch):
    import errno

    ia.serve(TRACKS[0])
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=TRACKS[0], enqueue=False)
    real_open = Path.open

    class FullFile:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def fake_open(self, mode="r", *args, **kwargs):
        fh = real_open(self, mode, *args, **kwargs)
        return FullFile(fh) if self.suffix == ".part" and "a" in mode else fh

    monkeypatch.setattr(Path, "open", fake_open)
    assert services.download_run(download_id=downloads[0].pk) == "failed"
    download = Download.objects.get(pk=downloads[0].pk)
    assert "disk is full" in download.error
    assert not services.partial_path(download).exists()


def test_download_past_the_quota_is_refused(client, owner, owner_api, ia, settings):
    settings.ARCHIVE_USER_QUOTA_BYTES = 100_000
    Download.objects.create(user=owner, identifier="other", file_name="x.mp3", bytes_total=60_000,
                            status=Download.Status.COMPLETED)
    response = _post(client, owner_api, identifier=ITEM, file=TRACKS[0])
    assert response.status_code == 413
    assert not Download.objects.filter(identifier=ITEM).exists()


@pytest.mark.parametrize("body,field", [
    ({"identifier": "bad id!", "file": "x.mp3"}, "identifier"),
    ({"identifier": ITEM, "file": "not-listed.mp3"}, "file"),
    ({"identifier": ITEM, "file": "../../../etc/passwd"}, "file"),
    ({"identifier": ITEM, "file": "http://169.254.169.254/latest/meta-data"}, "file"),
    ({"identifier": ITEM, "file": "tt2001-02-03d1t01.flac"}, "file"),  # private (stream only)
    ({"identifier": ITEM, "format": "wma"}, "format"),
])
def test_download_bad_requests_are_422_and_fetch_nothing(client, owner_api, ia, body, field):
    response = _post(client, owner_api, **body)
    assert response.status_code == 422, response.content
    assert field in json.dumps(response.json()["detail"])
    assert not Download.objects.exists()
    assert not [r for r in ia.replay.requests if r.path.startswith("/download/")]


def test_download_needs_exactly_one_of_file_and_format(client, owner_api, ia):
    assert _post(client, owner_api, identifier=ITEM).status_code == 422
    assert _post(client, owner_api, identifier=ITEM, file=TRACKS[0], format="mp3").status_code == 422


def test_download_of_unsafe_listed_name_is_refused(client, owner_api, replay, settings):
    settings.IA_BASE_URL = replay.url
    replay.add("/metadata/evilitem", json_body={"metadata": {"identifier": "evilitem"}, "files": [
        {"name": "../../escape.mp3", "format": "VBR MP3", "size": "10", "md5": "0" * 32}]})
    response = _post(client, owner_api, identifier="evilitem", file="../../escape.mp3")
    assert response.status_code == 422
    assert not Download.objects.exists()


def test_download_requires_authentication(client, ia):
    assert _post(client, {}, identifier=ITEM, file=TRACKS[0]).status_code == 401


def test_download_list_filters_by_status_and_shows_only_mine(client, owner, outsider, owner_api):
    Download.objects.create(user=owner, identifier=ITEM, file_name="a.mp3", status="completed")
    Download.objects.create(user=owner, identifier=ITEM, file_name="b.mp3", status="failed")
    Download.objects.create(user=outsider, identifier=ITEM, file_name="c.mp3", status="failed")
    everything = client.get(URL, **owner_api).json()
    assert sorted(d["file"] for d in everything["items"]) == ["a.mp3", "b.mp3"]
    failed = client.get(URL, {"status": "failed"}, **owner_api).json()
    assert [d["file"] for d in failed["items"]] == ["b.mp3"]
    assert client.get(URL, {"status": "bogus"}, **owner_api).status_code == 422


def test_download_detail_cancel_and_retry_of_another_users_download_are_404(client, owner, outsider_api):
    download = Download.objects.create(user=owner, identifier=ITEM, file_name="a.mp3", status="failed")
    assert client.get(f"{URL}/{download.pk}", **outsider_api).status_code == 404
    assert client.delete(f"{URL}/{download.pk}", **outsider_api).status_code == 404
    assert client.post(f"{URL}/{download.pk}/retry", **outsider_api).status_code == 404
    download.refresh_from_db()
    assert download.status == "failed"


def test_download_cancel_stops_an_active_download(client, owner, owner_api):
    download = Download.objects.create(user=owner, identifier=ITEM, file_name="a.mp3", status="downloading")
    part = services.partial_path(download)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"partial")
    response = client.delete(f"{URL}/{download.pk}", **owner_api)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert not part.exists()
    # the worker notices at its next tick and stops
    assert services.download_run(download_id=download.pk) == "cancelled"


def test_download_cancel_mid_transfer_stops_the_worker(owner, ia, monkeypatch):
    ia.serve(TRACKS[0])
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=TRACKS[0], enqueue=False)
    monkeypatch.setattr(transfer, "PROGRESS_WRITE_INTERVAL", 0.0)

    def cancel_on_first_tick(download):
        if download.status == "downloading":
            services.download_cancel(download=Download.objects.get(pk=download.pk))

    status = services.download_run(download_id=downloads[0].pk, on_progress=cancel_on_first_tick)
    download = Download.objects.get(pk=downloads[0].pk)
    assert status == "cancelled" and download.status == "cancelled"
    assert not services.partial_path(download).exists()
    assert not services.final_path(download).exists()


def test_download_delete_of_a_finished_download_removes_the_file(client, owner, owner_api, ia,
                                                                 django_capture_on_commit_callbacks):
    ia.serve(TRACKS[0])
    with django_capture_on_commit_callbacks(execute=True):
        body = _post(client, owner_api, identifier=ITEM, file=TRACKS[0]).json()
    path = Download.objects.get(pk=body["id"]).absolute_path
    assert path.exists()
    assert client.delete(f"{URL}/{body['id']}", **owner_api).status_code == 204
    assert not path.exists() and not Download.objects.filter(pk=body["id"]).exists()


def test_download_retry_of_a_completed_download_is_a_conflict(client, owner, owner_api):
    download = Download.objects.create(user=owner, identifier=ITEM, file_name="a.mp3", status="completed")
    assert client.post(f"{URL}/{download.pk}/retry", **owner_api).status_code == 409


def test_download_run_twice_is_harmless(owner, ia):
    ia.serve(TRACKS[0])
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=TRACKS[0], enqueue=False)
    assert services.download_run(download_id=downloads[0].pk) == "completed"
    assert services.download_run(download_id=downloads[0].pk) == "completed"
    assert len(ia.replay.requests_to(ia.file_path(TRACKS[0]))) == 1
    download = Download.objects.get(pk=downloads[0].pk)
    assert download.attempts == 1 and download.started_at is not None  # the second run claimed nothing


def test_download_run_again_after_a_failure_counts_the_attempt_and_keeps_the_first_start(owner, ia):
    ia.serve(TRACKS[0], fault="503", times=transfer.TRANSFER_ATTEMPTS)  # every attempt of the first run
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=TRACKS[0], enqueue=False)
    assert services.download_run(download_id=downloads[0].pk) == "failed"
    first = Download.objects.get(pk=downloads[0].pk)
    services.download_retry(download=first)
    ia.serve(TRACKS[0])
    assert services.download_run(download_id=first.pk) == "completed"
    again = Download.objects.get(pk=first.pk)
    assert again.attempts == 2 and again.started_at == first.started_at


def test_download_command_fetches_a_format_synchronously(owner, ia, settings, capsys):
    for name in TRACKS:
        ia.serve(name)
    ia.serve("bad.mp3")
    with pytest.raises(CommandError, match="1 of 4"):
        call_command("download", ITEM, "--format", "VBR MP3", "--user", "owner")
    assert sorted(p.name for p in _library(settings, owner).iterdir()) == sorted(TRACKS)


def test_download_command_single_file_succeeds(owner, ia, settings, capsys):
    ia.serve(TRACKS[0])
    call_command("download", ITEM, "--file", TRACKS[0], "--user", "owner")
    assert (_library(settings, owner) / TRACKS[0]).exists()
    assert "md5 verified" in capsys.readouterr().out


def test_download_command_rejects_unknown_user(db, ia):
    with pytest.raises(CommandError, match="No user"):
        call_command("download", ITEM, "--file", TRACKS[0], "--user", "nobody")
