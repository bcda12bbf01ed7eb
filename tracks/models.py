"""TrackFlow in Stylus: songs being authored as custom charts, their checklist, packs, album series,
collaborations, achievements and public profiles."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.models import TimeStampedModel

from .fields import SafeDateField, SafeDateTimeField
from .media import cover_upload_to, profile_upload_to

# Limits for the TextFields (the database sets none): forms, API schemas and services all check these
# same numbers, so an over-long value is refused with a 422 naming the field, never cut short.
LONG_TEXT_MAX = 20_000  # song notes, pack release notes, album series descriptions
BIO_MAX = 5_000


class Status(models.TextChoices):
    """Soft enum shared by songs, packs and album series: stored as the readable string."""

    FUTURE = "Future Plans", "Future Plans"
    IN_PROGRESS = "In Progress", "In Progress"
    RELEASED = "Released", "Released"


# The default authoring workflow: every user starts with these steps, in this order.
DEFAULT_WORKFLOW: list[str] = [
    "Stems (demucs)", "MIDI", "Tempo map", "Drums", "Bass", "Guitar", "Vocals", "Harmonies", "Keys", "Pro keys",
    "Venue", "Overdrive", "Practice sections", "Lighting", "Compile",
]


class WorkflowStep(models.Model):
    """One step of a user's authoring workflow template, in order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_workflow_steps")
    name = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["user", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="tracks_step_unique_name")]

    def __str__(self) -> str:
        return self.name


class AlbumSeries(TimeStampedModel):
    """An album being charted song by song, compared against its Spotify tracklist."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_album_series")
    is_demo = models.BooleanField(default=False, db_index=True, help_text="Made by load_demo; unload_demo removes it.")
    series_number = models.PositiveIntegerField(null=True, blank=True)
    artist = models.CharField(max_length=200)
    album = models.CharField(max_length=200)
    year = models.PositiveIntegerField(null=True, blank=True)
    cover = models.ImageField(upload_to=cover_upload_to, blank=True)
    cover_url = models.URLField(max_length=500, blank=True)
    # The stored copy of cover_url (tracks.services.covers): pages never hot-link Spotify's CDN.
    cover_file = models.FileField(max_length=300, blank=True)
    cover_source_url = models.URLField(max_length=500, blank=True, help_text="The cover_url cover_file was stored from.")
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FUTURE, db_index=True)
    spotify_album_id = models.CharField(max_length=64, blank=True)
    # [{"number": 1, "disc": 1, "title": "...", "spotify_id": "...", "duration_ms": 123}] from Spotify.
    tracklist = models.JSONField(default=list, blank=True)
    tracklist_fetched_at = SafeDateTimeField()
    # Normalised titles the author decided not to chart (intros, skits...).
    irrelevant_tracks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["series_number", "artist", "album"]
        verbose_name_plural = "album series"
        constraints = [
            models.UniqueConstraint(fields=["owner", "artist", "album"], name="tracks_series_unique_album"),
        ]

    def __str__(self) -> str:
        return f"{self.artist} – {self.album}"

    @property
    def cover_src(self) -> str:
        """The uploaded cover, else our cover route for a Spotify cover (stored copy or placeholder), else ""."""
        if self.cover:
            return self.cover.url
        return reverse("tracks:series_cover", args=[self.pk]) if self.cover_url and self.pk else ""


class Pack(TimeStampedModel):
    """Songs released together."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_packs")
    is_demo = models.BooleanField(default=False, db_index=True, help_text="Made by load_demo; unload_demo removes it.")
    name = models.CharField(max_length=200)
    priority = models.PositiveSmallIntegerField(default=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FUTURE, db_index=True)
    release_date = SafeDateField()
    release_notes = models.TextField(blank=True)
    download_url = models.URLField(max_length=500, blank=True)
    video_url = models.URLField(max_length=500, blank=True)
    cover = models.ImageField(upload_to=cover_upload_to, blank=True)

    class Meta:
        ordering = ["priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="tracks_pack_unique_name"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="tracks_pack_priority_1_5"),
        ]

    def __str__(self) -> str:
        return self.name


class Song(TimeStampedModel):
    """A song being charted. "Future Plans" songs have no checklist until they start."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_songs")
    is_demo = models.BooleanField(default=False, db_index=True, help_text="Made by load_demo; unload_demo removes it.")
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200)
    album = models.CharField(max_length=200, blank=True)
    year = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FUTURE)
    priority = models.PositiveSmallIntegerField(default=3)
    pack = models.ForeignKey(Pack, null=True, blank=True, on_delete=models.SET_NULL, related_name="songs")
    album_series = models.ForeignKey(AlbumSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="songs")
    notes = models.TextField(blank=True)
    release_date = SafeDateField()
    cover = models.ImageField(upload_to=cover_upload_to, blank=True)
    # Spotify enrichment
    spotify_track_id = models.CharField(max_length=64, blank=True, db_index=True)
    spotify_album = models.CharField(max_length=200, blank=True)
    spotify_cover_url = models.URLField(max_length=500, blank=True)
    # The stored copy of spotify_cover_url (tracks.services.covers): pages never hot-link Spotify's CDN.
    spotify_cover_file = models.FileField(max_length=300, blank=True)
    spotify_cover_source_url = models.URLField(max_length=500, blank=True,
                                               help_text="The spotify_cover_url spotify_cover_file was stored from.")
    spotify_release_year = models.PositiveIntegerField(null=True, blank=True)
    spotify_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    enriched_at = SafeDateTimeField()

    class Meta:
        ordering = ["priority", "artist", "title"]
        indexes = [
            models.Index(fields=["owner", "status", "priority"], name="tracks_song_owner_status"),
            models.Index(fields=["owner", "artist"], name="tracks_song_owner_artist"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner", "title", "artist"], name="tracks_song_unique_per_owner"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="tracks_song_priority_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.artist} – {self.title}"

    @property
    def cover_src(self) -> str:
        """The uploaded cover, else our cover route for a Spotify cover (stored copy or placeholder), else ""."""
        if self.cover:
            return self.cover.url
        return reverse("tracks:song_cover", args=[self.pk]) if self.spotify_cover_url and self.pk else ""

    @property
    def duration_display(self) -> str:
        if not self.spotify_duration_ms:
            return ""
        seconds = self.spotify_duration_ms // 1000
        return f"{seconds // 60}:{seconds % 60:02d}"


class SongStep(models.Model):
    """One checkbox of a song's checklist, tied to a step of the owner's workflow."""

    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(WorkflowStep, on_delete=models.CASCADE, related_name="song_steps")
    done = models.BooleanField(default=False)
    done_at = SafeDateTimeField()

    class Meta:
        ordering = ["step__position", "step_id"]
        constraints = [models.UniqueConstraint(fields=["song", "step"], name="tracks_songstep_unique")]

    def __str__(self) -> str:
        return f"{self.song_id}:{self.step_id}={'x' if self.done else ' '}"


class Collaboration(TimeStampedModel):
    """Another user invited onto a song (song_edit) or a pack (pack_view / pack_edit).

    It grants nothing until accepted. See tracks/permissions.py for what each permission allows.
    """

    class Permission(models.TextChoices):
        SONG_EDIT = "song_edit", "Edit song"
        PACK_VIEW = "pack_view", "View pack"
        PACK_EDIT = "pack_edit", "Edit pack"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    song = models.ForeignKey(Song, null=True, blank=True, on_delete=models.CASCADE, related_name="collaborations")
    pack = models.ForeignKey(Pack, null=True, blank=True, on_delete=models.CASCADE, related_name="collaborations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_collaborations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_invitations_sent")
    permission = models.CharField(max_length=16, choices=Permission.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    message = models.CharField(max_length=300, blank=True)
    responded_at = SafeDateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(song__isnull=False, pack__isnull=True, permission="song_edit")
                           | Q(song__isnull=True, pack__isnull=False, permission__in=["pack_view", "pack_edit"])),
                name="tracks_collab_target_matches_permission",
            ),
            models.UniqueConstraint(fields=["song", "user"], condition=Q(song__isnull=False), name="tracks_collab_song_user"),
            models.UniqueConstraint(fields=["pack", "user"], condition=Q(pack__isnull=False), name="tracks_collab_pack_user"),
        ]

    def __str__(self) -> str:
        target = f"song {self.song_id}" if self.song_id else f"pack {self.pack_id}"
        return f"{self.user_id} {self.permission} on {target} ({self.state})"


class Achievement(models.Model):
    """An achievement a user earned, exactly once. The catalogue lives in tracks/achievements.py."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_achievements")
    code = models.CharField(max_length=40)
    points = models.PositiveIntegerField(default=0)
    awarded_at = models.DateTimeField(auto_now_add=True)
    seen_at = SafeDateTimeField()

    class Meta:
        ordering = ["-awarded_at", "code"]
        constraints = [models.UniqueConstraint(fields=["user", "code"], name="tracks_achievement_once")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.code}"


class Activity(models.Model):
    """What happened, for the dashboard's recent activity and for streaks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_activities")
    verb = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    song = models.ForeignKey(Song, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pack = models.ForeignKey(Pack, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["user", "-created_at"], name="tracks_activity_user_time")]

    def __str__(self) -> str:
        return self.text


class TrackerProfile(TimeStampedModel):
    """A user's TrackFlow profile; public only when the user opts in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="track_profile")
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(blank=True)
    image = models.ImageField(upload_to=profile_upload_to, blank=True)
    is_public = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()
