"""Play history (Listen), the per-user listening settings (privacy, scrobble targets, the player queue)
and who is playing what right now."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from common.fields import EncryptedTextField

TEXT_MAX = 1000  # ListenBrainz rejects longer texts; the same limit everywhere (model, API, protocol)


# A listen that knows what it is in Stylus: a concert recording, a catalogue track or an album.
LINKED = ~models.Q(recording_identifier="") | ~models.Q(catalogue_track_key="") | models.Q(album__isnull=False)


class Listen(models.Model):
    class Source(models.TextChoices):
        WEB = "web", "Stylus player"
        SUBSONIC = "subsonic", "Subsonic client"
        IMPORT = "import", "Import"
        LISTENBRAINZ = "listenbrainz", "ListenBrainz-compatible client"

    class Scrobble(models.TextChoices):
        NONE = "", "Not sent (no target connected)"
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will be retried"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listens")
    listened_at = models.DateTimeField()
    track_title = models.CharField(max_length=TEXT_MAX)
    artist_name = models.CharField(max_length=TEXT_MAX)
    release_name = models.CharField(max_length=TEXT_MAX, blank=True)
    recording_identifier = models.CharField(max_length=100, blank=True, help_text="Internet Archive item identifier.")
    filename = models.CharField(max_length=500, blank=True, help_text="A file in that item.")
    catalogue_track_key = models.CharField(max_length=64, blank=True, help_text="recommend catalogue track id.")
    album = models.ForeignKey("albums.Album", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recording_mbid = models.CharField(max_length=36, blank=True)
    release_mbid = models.CharField(max_length=36, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    seconds_played = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    submitted = models.JSONField(default=dict, blank=True, help_text="The raw payload, for imported listens.")
    # sha256 of (listened_at, title, artist): the idempotency key. A unique index on the 1000-character texts
    # themselves would pass PostgreSQL's btree row limit.
    dedupe_key = models.CharField(max_length=64)
    # sha1 of the normalised "title|artist": finds earlier listens of the same song to copy their links from.
    match_key = models.CharField(max_length=40, blank=True)
    # Scrobble-out state per target: a listen stays pending/failed until sent, and the periodic resend picks it up.
    listenbrainz_state = models.CharField(max_length=10, choices=Scrobble.choices, blank=True, default="")
    lastfm_state = models.CharField(max_length=10, choices=Scrobble.choices, blank=True, default="")
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-listened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="listen_unique_per_user")]
        indexes = [
            models.Index(fields=["user", "-listened_at"], name="listen_user_time"),
            # Only listens that carry a link: matching looks up the keys of every incoming listen here, and most
            # scrobbled or imported listens carry none, so the index stays small and imports do not maintain it.
            models.Index(fields=["user", "match_key"], name="listen_user_match_linked", condition=LINKED),
            # The stats tallies fold in a user's listens above an id: without it, that reads everyone's newer rows.
            models.Index(fields=["user", "id"], name="listen_user_id"),
            models.Index(fields=["listenbrainz_state"], name="listen_lb_state",
                         condition=models.Q(listenbrainz_state__in=["pending", "failed"])),
            models.Index(fields=["lastfm_state"], name="listen_lastfm_state",
                         condition=models.Q(lastfm_state__in=["pending", "failed"])),
        ]

    def __str__(self) -> str:
        return f"{self.artist_name} – {self.track_title} ({self.listened_at:%Y-%m-%d %H:%M})"


class ListeningProfile(models.Model):
    """One per user, created on first use: privacy, scrobble targets and the player queue."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listening_profile")
    history_public = models.BooleanField(default=False, help_text="Show my listening history on my public profile.")
    listenbrainz_token = EncryptedTextField(blank=True, default="")
    listenbrainz_url = models.URLField(max_length=300, blank=True, default="",
                                       help_text="A self-hosted ListenBrainz-compatible server (Maloja, Koito); "
                                                 "empty for listenbrainz.org.")
    listenbrainz_error = models.CharField(max_length=500, blank=True, default="")
    listenbrainz_error_at = models.DateTimeField(null=True, blank=True)
    lastfm_session_key = EncryptedTextField(blank=True, default="")
    lastfm_username = models.CharField(max_length=100, blank=True, default="")
    lastfm_error = models.CharField(max_length=500, blank=True, default="")
    lastfm_error_at = models.DateTimeField(null=True, blank=True)
    # The player queue: {"items": [{identifier, file, title, artist, album, url, duration}], "index": int,
    # "position": float}. Stored whole: the player writes it back as one document.
    queue = models.JSONField(default=dict, blank=True)
    # The all-time stats tallies (ListenTally) hold every listen up to this id, `tallied_plays` of them in all.
    tallied_to_id = models.BigIntegerField(default=0)
    tallied_plays = models.BigIntegerField(default=0)
    tallies_checked_at = models.DateTimeField(null=True, blank=True)  # last audit of tallied_plays against a count
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Listening settings of {self.user}"


class NowPlaying(models.Model):
    """What a user is playing now, expiring on its own. A row, not a cache entry, so every process (web,
    Subsonic, workers) sees the same list without Redis."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    track_title = models.CharField(max_length=TEXT_MAX)
    artist_name = models.CharField(max_length=TEXT_MAX)
    release_name = models.CharField(max_length=TEXT_MAX, blank=True)
    recording_identifier = models.CharField(max_length=100, blank=True)
    filename = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=Listen.Source.choices)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user} playing {self.track_title}"


class ListenTally(models.Model):
    """All-time play counts per user and artist, release, track, show, hour of the week and month: the "all" stats
    read ten rows of an index instead of grouping the whole history. Folded in from new listens when stats are
    read (listening.services.tallies); deleting listens drops them, and they are rebuilt on the next read."""

    class Kind(models.TextChoices):
        ARTIST = "artist"
        RELEASE = "release"
        TRACK = "track"
        SHOW = "show"
        HOUR = "hour"  # bucket "<iso weekday>:<hour>"
        MONTH = "month"  # bucket "YYYY-MM"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # What is counted: the artist or release name's hash, the track's match_key, the show's identifier...
    # (not called "key": the data export masks any field named like a credential).
    bucket = models.CharField(max_length=100)
    name = models.CharField(max_length=TEXT_MAX, blank=True)
    artist = models.CharField(max_length=TEXT_MAX, blank=True)
    plays = models.BigIntegerField(default=0)
    seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "bucket"], name="listen_tally_unique")]
        # Ties broken by bucket, inside the index: most tracks of a big history have one play each.
        indexes = [models.Index(fields=["user", "kind", "-plays", "bucket"], name="listen_tally_top")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.name or self.bucket}: {self.plays}"
