"""The recommendation catalogue: normalised Spotify entities, feature vectors with their source,
ingested playlists, uploaded audio, and index builds."""
from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import models
from django.urls import reverse

from common.models import TimeStampedModel


class Artist(TimeStampedModel):
    spotify_id = models.CharField(max_length=22, unique=True, null=True, blank=True)
    name = models.CharField(max_length=300, db_index=True)
    genres = models.JSONField(default=list, blank=True)
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    # made-up demo content (recommend/demo.py): kept out of real results, removed by unload_demo
    is_demo = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Album(TimeStampedModel):
    spotify_id = models.CharField(max_length=22, unique=True, null=True, blank=True)
    title = models.CharField(max_length=300)
    release_date = models.CharField(max_length=10, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    # The stored copy of image_url (recommend.services.covers): pages never hot-link Spotify's CDN.
    cover_file = models.FileField(max_length=300, blank=True)
    cover_source_url = models.URLField(max_length=500, blank=True, help_text="The image_url cover_file was stored from.")
    artists = models.ManyToManyField(Artist, blank=True, related_name="albums")

    def __str__(self) -> str:
        return self.title


class Track(TimeStampedModel):
    """A catalogue track. Tracks made from a user's own audio (uploads, archive downloads) have an
    owner and are visible to that user only; catalogue tracks have none."""

    spotify_id = models.CharField(max_length=22, unique=True, null=True, blank=True)
    title = models.CharField(max_length=300)
    album = models.ForeignKey(Album, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks")
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")
    isrc = models.CharField(max_length=12, blank=True, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)
    preview_url = models.URLField(max_length=500, blank=True)
    explicit = models.BooleanField(default=False)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genre = models.CharField(max_length=100, blank=True, help_text="Primary genre (from a dataset or the artists).")
    # "title|artist", lower-cased and stripped of punctuation and "- remastered" tails: duplicate detection
    match_key = models.CharField(max_length=400, blank=True, db_index=True)
    artist_names = models.CharField(max_length=500, blank=True, help_text="Denormalised for display and search.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="recommend_tracks")
    audio_ref = models.CharField(max_length=300, blank=True,
                                 help_text="Where the audio came from (upload id or archive file), for own audio.")
    # Catalogue tracks that are not on Spotify (Internet Archive concert tracks: "ia:<identifier>/<file>")
    external_key = models.CharField(max_length=300, unique=True, null=True, blank=True)
    # made-up demo content (recommend/demo.py): never recommended for a real seed, removed by unload_demo
    is_demo = models.BooleanField(default=False, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "audio_ref"])]

    def __str__(self) -> str:
        return f"{self.title} — {self.artist_names}" if self.artist_names else self.title

    @property
    def spotify_url(self) -> str:
        return f"https://open.spotify.com/track/{self.spotify_id}" if self.spotify_id else ""

    @property
    def cover_url(self) -> str:
        """Our own cover route (the album's stored copy, else a generated placeholder), never Spotify's CDN."""
        return reverse("recommend:track_cover", args=[self.pk]) if self.pk else ""


class TrackArtist(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["track", "artist"], name="recommend_trackartist_unique")]

    def __str__(self) -> str:
        return f"{self.track_id}:{self.artist_id}"


class TrackFeatures(models.Model):
    """One feature vector for a track from one source. The index uses the best source a track has
    (spotify > dataset > archive > audio > metadata)."""

    class Source(models.TextChoices):
        SPOTIFY = "spotify", "Spotify audio features"
        DATASET = "dataset", "Imported dataset"
        ARCHIVE = "archive", "Internet Archive analysis"
        AUDIO = "audio", "Computed from audio"
        METADATA = "metadata", "Metadata only (low confidence)"

    class Confidence(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    # Archive after dataset: it is measured from audio, so it lacks valence, speechiness, liveness and
    # instrumentalness that Spotify and the datasets carry. Before audio: the archive analyses the whole
    # lossless recording it downloaded and names the exact file (stable provenance), whereas "audio" is
    # our first-120-seconds librosa pass over whatever a user uploaded.
    PRIORITY: dict[str, int] = {Source.SPOTIFY: 0, Source.DATASET: 1, Source.ARCHIVE: 2, Source.AUDIO: 3, Source.METADATA: 4}

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="features")
    source = models.CharField(max_length=16, choices=Source.choices, db_index=True)
    version = models.PositiveSmallIntegerField(help_text="Feature-space version (recommend.features.FEATURE_VERSION).")
    vector = models.BinaryField(help_text="float32, L2-normalised, FEATURE_DIM values.")
    values = models.JSONField(default=dict, help_text="The raw features the vector was made from.")
    confidence = models.CharField(max_length=8, choices=Confidence.choices, default=Confidence.HIGH)
    computed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "track features"
        constraints = [models.UniqueConstraint(fields=["track", "source"], name="recommend_features_track_source")]

    def __str__(self) -> str:
        return f"{self.track_id} ({self.source} v{self.version})"

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype=np.float32)


class Playlist(TimeStampedModel):
    spotify_id = models.CharField(max_length=22, unique=True)
    name = models.CharField(max_length=300, blank=True)
    owner_name = models.CharField(max_length=200, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    snapshot_id = models.CharField(max_length=200, blank=True, help_text="Spotify's snapshot at the last fetch.")
    ingested_snapshot_id = models.CharField(max_length=200, blank=True,
                                            help_text="The snapshot whose tracks are stored; equal means skip.")
    total_tracks = models.PositiveIntegerField(default=0)
    last_ingested_at = models.DateTimeField(null=True, blank=True)
    tracks = models.ManyToManyField(Track, through="PlaylistTrack", related_name="playlists")
    imported_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="recommend_playlists")
    is_private = models.BooleanField(default=False, help_text="Fetched with a user's token; shown to importers only.")
    is_demo = models.BooleanField(default=False, db_index=True)

    def __str__(self) -> str:
        return self.name or self.spotify_id


class PlaylistTrack(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="entries")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="playlist_entries")
    position = models.PositiveIntegerField()
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["playlist", "position"], name="recommend_playlist_position")]

    def __str__(self) -> str:
        return f"{self.playlist_id}#{self.position}"


class SavedTrack(models.Model):
    """A track in a user's Spotify library (imported after Spotify login)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommend_saved")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="recommend_saved_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.track_id}"


def _upload_path(instance: AudioUpload, filename: str) -> str:
    return f"recommend/uploads/{instance.user_id}/{filename}"


class AudioUpload(TimeStampedModel):
    """An audio file a user uploaded for analysis."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Analysed"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommend_uploads")
    file = models.FileField(upload_to=_upload_path)
    title = models.CharField(max_length=300)
    artist = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    message = models.CharField(max_length=500, blank=True)
    track = models.OneToOneField(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class IndexBuild(TimeStampedModel):
    """One FAISS index build: what was built, how long it took and the recall measured at build."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another build was running)"

    class Kind(models.TextChoices):
        FULL = "full", "Full rebuild"
        INCREMENTAL = "incremental", "Incremental add"

    version = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FULL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    reason = models.CharField(max_length=100, blank=True)
    index_type = models.CharField(max_length=32, blank=True)
    size = models.PositiveIntegerField(default=0)
    dim = models.PositiveSmallIntegerField(default=0)
    nlist = models.PositiveIntegerField(null=True, blank=True)
    nprobe = models.PositiveIntegerField(null=True, blank=True)
    recall_at_10 = models.FloatField(null=True, blank=True)
    train_seconds = models.FloatField(null=True, blank=True)
    build_seconds = models.FloatField(null=True, blank=True)
    bytes_on_disk = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"index v{self.version or '?'} {self.index_type} ({self.status})"
