"""The pages: recommend form and results, catalogue, playlists, audio analysis, jobs."""
import numpy as np
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.models import Job
from recommend import services
from recommend.models import AudioUpload, Track

from .conftest import ROCK_SEED


def test_index_page_shows_the_form_and_demo_links(client, catalogue):
    response = client.get(reverse("recommend:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="url"' in html and "Try one" in html
    assert "css/recommend.css" in html


def test_index_page_renders_result_cards(client, catalogue):
    response = client.get(reverse("recommend:index"), {"url": f"https://open.spotify.com/track/{ROCK_SEED}",
                                                       "limit": 4})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="card recommend-card"') == 4
    assert "<meter" in html and "matching tempo" in html
    assert "Because you like" in html


def test_index_page_htmx_returns_only_the_results_partial(client, catalogue):
    response = client.get(reverse("recommend:index"), {"url": f"spotify:track:{ROCK_SEED}", "limit": 3},
                          HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.count('class="card recommend-card"') == 3


def test_index_page_shows_errors_with_their_status(client, catalogue):
    response = client.get(reverse("recommend:index"), {"url": "https://example.com/track/1"})
    assert response.status_code == 422
    assert "not a Spotify link" in response.content.decode()
    htmx = client.get(reverse("recommend:index"), {"url": "https://example.com/track/1"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "not a Spotify link" in htmx.content.decode()


def test_index_page_says_when_the_index_is_missing(client, db, small_csv):
    services.track_features_import(path=small_csv)
    response = client.get(reverse("recommend:index"), {"url": f"spotify:track:{ROCK_SEED}"})
    assert response.status_code == 503
    assert "rebuild" in response.content.decode().lower()


def test_index_page_low_confidence_is_labelled(client, catalogue):
    Track.objects.create(spotify_id="2222222222222222222222", title="Genre Only", artist_names="X", genre="folk")
    html = client.get(reverse("recommend:index"), {"url": "spotify:track:2222222222222222222222"}).content.decode()
    assert "Low confidence" in html


def test_catalogue_page_counts_sources_and_shows_rebuild_to_staff_only(client, staff_client, catalogue):
    html = client.get(reverse("recommend:catalogue")).content.decode()
    assert 'data-source="dataset">41<' in html
    assert "IndexFlatIP" in html
    assert "Rebuild the index" not in html
    assert "Rebuild the index" in staff_client.get(reverse("recommend:catalogue")).content.decode()


def test_rebuild_button_runs_a_job_for_staff_only(owner_client, staff_client, catalogue,
                                                  django_capture_on_commit_callbacks):
    assert owner_client.post(reverse("recommend:rebuild")).status_code == 302  # to the admin login
    assert not Job.objects.filter(kind="recommend.rebuild").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("recommend:rebuild"))
    job = Job.objects.get(kind="recommend.rebuild")
    assert response.url == reverse("recommend:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded"
    page = staff_client.get(response.url).content.decode()
    assert "progress" in page and "100%" in page


def test_job_page_is_private(owner_client, outsider_client, owner):
    job = Job.objects.create(user=owner, kind="recommend.ingest", label="Import")
    assert owner_client.get(reverse("recommend:job", args=[job.pk])).status_code == 200
    assert outsider_client.get(reverse("recommend:job", args=[job.pk])).status_code == 404


def test_playlists_page_needs_login_and_validates_links(client, owner_client, db):
    assert client.get(reverse("recommend:playlists")).status_code == 302
    response = owner_client.post(reverse("recommend:playlists"), {"url": "https://open.spotify.com/track/" + "a" * 22})
    assert response.status_code == 422
    assert "track links are not supported here" in response.content.decode()


def _wav(seconds: float = 6.0, bpm: float = 100.0) -> bytes:
    import io

    import librosa

    sr = 22050
    y = librosa.clicks(times=np.arange(0.2, seconds, 60 / bpm), sr=sr, length=int(sr * seconds))
    buf = io.BytesIO()
    sf.write(buf, y.astype(np.float32), sr, format="WAV")
    return buf.getvalue()


def test_upload_is_analysed_and_private(owner_client, outsider_client, owner, catalogue,
                                        django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("demo.wav", _wav(), content_type="audio/wav")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("recommend:analyse"), {"file": upload, "title": "My Loop",
                                                                    "artist": "Me"})
    assert response.status_code == 302
    record = AudioUpload.objects.get(user=owner)
    assert record.status == "done", record.message
    track = record.track
    assert track.owner == owner and track.features.get().source == "audio"
    page = owner_client.get(reverse("recommend:own_track", args=[track.pk]))
    assert page.status_code == 200 and "Computed from audio" in page.content.decode()
    assert outsider_client.get(reverse("recommend:own_track", args=[track.pk])).status_code == 404
    assert "My Loop" not in outsider_client.get(reverse("recommend:analyse")).content.decode()


def test_upload_rejects_non_audio(owner_client, db):
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = owner_client.post(reverse("recommend:analyse"), {"file": upload})
    assert response.status_code == 422
    assert "Upload an audio file" in response.content.decode()


def test_analyse_archive_downloads_uses_the_archive_selector(owner_client, owner, catalogue, tmp_path, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    from archive import selectors as archive_selectors

    path = tmp_path / "gd1977-05-08d1t01.wav"
    path.write_bytes(_wav(bpm=110))
    calls = []

    def completed_audio_files(*, user):
        calls.append(user)
        return [{"path": str(path), "title": "Scarlet Begonias", "artist": "Grateful Dead", "id": 7}]

    monkeypatch.setattr(archive_selectors, "completed_audio_files", completed_audio_files, raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("recommend:analyse_archive"))
    job = Job.objects.get(kind="recommend.analyse_archive")
    assert response.url == reverse("recommend:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["analysed"] == 1
    assert calls == [owner]
    track = Track.objects.get(owner=owner, audio_ref="archive:7")
    assert track.title == "Scarlet Begonias"
    # a second run does not analyse the same recording again
    with django_capture_on_commit_callbacks(execute=True):
        services.features_from_archive_downloads(user=owner)
    assert Job.objects.filter(kind="recommend.analyse_archive").first().result["analysed"] == 0


def test_analyse_archive_without_the_archive_selector_finishes_cleanly(owner, db, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    from archive import selectors as archive_selectors

    monkeypatch.delattr(archive_selectors, "completed_audio_files", raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.features_from_archive_downloads(user=owner)
    job.refresh_from_db()
    assert job.status == "succeeded" and "No downloaded recordings" in job.message


def test_archive_downloads_analyse_job_without_a_user_fails_without_reading_downloads(db, monkeypatch):
    from archive import selectors as archive_selectors

    calls = []
    monkeypatch.setattr(archive_selectors, "completed_audio_files",
                        lambda *, user: calls.append(user) or [], raising=False)
    job = Job.objects.create(user=None, kind="recommend.analyse_archive", label="Analyse downloaded recordings")

    services.archive_downloads_analyse(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == "This job has no user."
    assert calls == []


def test_home_card_and_global_search(owner, catalogue):
    from recommend import selectors

    card = selectors.home_card(user=owner)
    assert card["title"] == "Recommended for you" and card["demo"]
    hits = selectors.global_search(user=owner, query="metal song")
    assert hits and all(h["kind"] == "track" and "Metal Song" in h["title"] for h in hits)
    assert all("url=spotify:track:" in h["url"] for h in hits)


def test_global_search_hides_other_users_audio(owner, outsider, db):
    from recommend import selectors

    Track.objects.create(title="Secret Rehearsal", owner=owner, audio_ref="upload:9")
    assert selectors.global_search(user=owner, query="secret rehearsal")
    assert selectors.global_search(user=outsider, query="secret rehearsal") == []


def test_demo_load_makes_recommending_work_offline(client, owner):
    from io import StringIO

    from recommend import demo, selectors

    out = StringIO()
    demo.load(user=owner, staff=None, stdout=out)
    demo.load(user=owner, staff=None, stdout=out)  # idempotent
    assert Track.objects.filter(owner__isnull=True).count() == len(demo.demo_rows())
    groove = Track.objects.get(owner=owner)
    assert abs(groove.features.get().values["tempo"] - 124) <= 5
    card = selectors.home_card(user=owner)
    assert len(card["items"]) == 3
    first = demo.demo_rows()[0]["track_id"]
    data = client.post("/api/v1/recommend", data={"url": f"https://open.spotify.com/track/{first}", "limit": 10},
                       content_type="application/json").json()
    assert len(data["items"]) == 10
    playlist = client.post("/api/v1/recommend", data={"url": f"spotify:playlist:{demo.DEMO_PLAYLIST_ID}"},
                           content_type="application/json").json()
    assert len(playlist["items"]) == 15
    assert {g for i in playlist["items"][:5] for g in i["genres"]} == {"deep house"}


def test_result_cards_show_cover_and_preview_player_when_known(client, catalogue):
    from recommend.models import Album

    seed = Track.objects.get(spotify_id=ROCK_SEED)
    album = Album.objects.create(title="Rock Album", image_url="https://i.scdn.co/image/cover")
    Track.objects.filter(genre="indie rock").exclude(pk=seed.pk).update(
        preview_url="https://p.scdn.co/mp3-preview/x", album=album)
    html = client.get(reverse("recommend:index"), {"url": f"spotify:track:{ROCK_SEED}", "limit": 3}).content.decode()
    assert html.count('<audio class="recommend-card__preview"') == 3
    # the cover is our own route (stored copy or placeholder), never Spotify's CDN
    assert html.count('class="recommend-card__cover" src="/recommend/tracks/') == 3 and "i.scdn.co" not in html
