"""Which digests a download checks (ARCHIVE_VERIFY), and that a mismatch keeps nothing."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from archive import services
from archive.models import Download

ITEM = "verifytest2001-01-01.sbd"
NAME = "t01.flac"
DATA = bytes(range(256)) * 400  # 100 KB


@pytest.fixture
def served(replay, settings, db):
    """Serves NAME and an item whose listed md5/sha1 the test chooses."""
    settings.IA_BASE_URL = replay.url
    blob = Path(settings.MEDIA_ROOT).parent / NAME
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(DATA)
    replay.add(f"/download/{ITEM}/{NAME}", file=blob)

    def item(*, md5: str, sha1: str) -> None:
        replay.add(f"/metadata/{ITEM}", json_body={"metadata": {"identifier": ITEM, "title": "Verify"}, "files": [
            {"name": NAME, "format": "Flac", "size": str(len(DATA)), "md5": md5, "sha1": sha1}]})
    return item


def _run(owner) -> Download:
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=NAME, enqueue=False)
    services.download_run(download_id=downloads[0].pk)
    return Download.objects.get(pk=downloads[0].pk)


GOOD_MD5 = hashlib.md5(DATA).hexdigest()
GOOD_SHA1 = hashlib.sha1(DATA).hexdigest()


def test_verify_md5_only_still_rejects_a_corrupt_file(owner, served, settings):
    settings.ARCHIVE_VERIFY = "md5"
    served(md5="0" * 32, sha1=GOOD_SHA1)
    download = _run(owner)
    assert download.status == Download.Status.FAILED
    assert "Checksum mismatch" in download.error and "md5" in download.error
    assert not services.final_path(download).exists()
    assert not services.partial_path(download).exists()


def test_verify_sha1_mismatch_is_caught_when_sha1_is_on(owner, served, settings):
    settings.ARCHIVE_VERIFY = "md5+sha1"
    served(md5=GOOD_MD5, sha1="0" * 40)
    download = _run(owner)
    assert download.status == Download.Status.FAILED
    assert "sha1" in download.error
    assert not services.final_path(download).exists()


def test_verify_md5_only_does_not_spend_time_on_sha1(owner, served, settings):
    settings.ARCHIVE_VERIFY = "md5"
    served(md5=GOOD_MD5, sha1="0" * 40)  # a wrong sha1 goes unchecked by choice: md5 is what every file lists
    download = _run(owner)
    assert download.status == Download.Status.COMPLETED, download.error
    assert services.final_path(download).read_bytes() == DATA


def test_verify_sha1_stands_in_when_no_md5_is_listed(owner, served, settings):
    settings.ARCHIVE_VERIFY = "md5"
    served(md5="", sha1="0" * 40)
    download = _run(owner)
    assert download.status == Download.Status.FAILED and "sha1" in download.error


def test_verify_both_digests_match_completes(owner, served, settings):
    settings.ARCHIVE_VERIFY = "md5+sha1"
    served(md5=GOOD_MD5, sha1=GOOD_SHA1)
    download = _run(owner)
    assert download.status == Download.Status.COMPLETED, download.error
