"""What Stylus keeps for Subsonic clients: the per-user app password, stars, ratings, playlists, the play
queue and the plays clients report. Library items (artists, albums, songs) are not rows here: they are
concerts, recordings, item files and uploads, addressed by the string ids of subsonic.ids."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from common.fields import EncryptedTextField

ITEM_ID_MAX = 600  # a song id carries an archive identifier (100) and a file name (500), base64-encoded
NAME_MAX = 500
COMMENT_MAX = 2000


class AppPassword(models.Model):
    """The password a Subsonic client sends as `p` or hashes into `t`. Token auth (md5(password + salt))
    needs the plain text on the server, so it is stored encrypted, never hashed, and is never the
    account password."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_password")
    secret = EncryptedTextField()
    created_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Subsonic app password of {self.user}"


class Star(models.Model):
    class Kind(models.TextChoices):
        ARTIST = "artist", "Artist"
        ALBUM = "album", "Album"
        SONG = "song", "Song"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_stars")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    item_id = models.CharField(max_length=ITEM_ID_MAX)
    starred_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-starred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "item_id"], name="subsonic_star_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.item_id}"


class Rating(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_ratings")
    item_id = models.CharField(max_length=ITEM_ID_MAX)
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "item_id"], name="subsonic_rating_unique"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="subsonic_rating_range"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.rating}/5 {self.item_id}"


class Playlist(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_playlists")
    name = models.CharField(max_length=NAME_MAX)
    comment = models.CharField(max_length=COMMENT_MAX, blank=True)
    public = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PlaylistEntry(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField()
    song_id = models.CharField(max_length=ITEM_ID_MAX)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["playlist", "position"], name="subsonic_entry_position")]

    def __str__(self) -> str:
        return f"{self.playlist_id}#{self.position}"


class PlayQueue(models.Model):
    """One per user: what savePlayQueue last stored (song ids in order, the current one, the position)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_queue")
    song_ids = models.JSONField(default=list)
    current = models.CharField(max_length=ITEM_ID_MAX, blank=True)
    position_ms = models.PositiveBigIntegerField(default=0)
    changed_by = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"play queue of {self.user}"


class Play(models.Model):
    """A play a client reported with `scrobble` (submission=true): the play counts behind the `recent` and
    `frequent` album lists. The play history itself is listening.Listen; `forwarded` says it reached it,
    so plays stored while that app was missing can be merged later."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subsonic_plays")
    song_id = models.CharField(max_length=ITEM_ID_MAX)
    album_id = models.CharField(max_length=ITEM_ID_MAX, blank=True, db_index=True)
    played_at = models.DateTimeField()
    forwarded = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-played_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "song_id", "played_at"], name="subsonic_play_unique")]
        indexes = [models.Index(fields=["user", "album_id"])]

    def __str__(self) -> str:
        return f"{self.user_id} played {self.song_id}"
