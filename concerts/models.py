"""Models for the concerts app: etree recordings grouped into concerts by artist and date."""
from __future__ import annotations

from django.db import models

from common.models import TimeStampedModel


class Concert(TimeStampedModel):
    """One show: an artist on one (possibly partial) date, with every recording of it."""

    artist = models.CharField(max_length=300)
    # no index of its own: the unique (artist_key, date_text) constraint's index leads with it
    artist_key = models.CharField(max_length=300, help_text="Case-folded artist name.")
    artist_slug = models.SlugField(max_length=300, db_index=False)  # indexed in Meta, without a LIKE twin
    date_text = models.CharField(max_length=10, help_text="YYYY-MM-DD; 00 marks an unknown month or day.")
    date = models.DateField(null=True, blank=True, db_index=True, help_text="Empty when the date is partial.")
    year = models.PositiveSmallIntegerField(db_index=True)
    venue = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=300, blank=True)
    recordings_count = models.PositiveIntegerField(default=0)
    best_identifier = models.CharField(max_length=100, blank=True)
    best_reason = models.CharField(max_length=200, blank=True)
    latest_added = models.CharField(max_length=32, blank=True)  # indexed in Meta
    setlist_identifier = models.CharField(max_length=100, blank=True, help_text="The recording the setlist came from.")
    setlist_disagreements = models.JSONField(default=list, blank=True,
                                             help_text="Where other recordings' setlists differ from the agreed one.")
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-date_text", "artist"]
        constraints = [models.UniqueConstraint(fields=["artist_key", "date_text"], name="concert_unique_artist_date")]
        # Indexes declared here rather than with db_index, because on PostgreSQL db_index on a CharField adds
        # a second varchar_pattern_ops index for LIKE queries, which nothing runs on these columns and every
        # bulk load pays for. Only demo rows are ever looked up by the flag: a partial index finds them.
        indexes = [models.Index(fields=["artist_slug"], name="concert_artist_slug"),
                   models.Index(fields=["latest_added"], name="concert_latest_added"),
                   models.Index(fields=["is_demo"], condition=models.Q(is_demo=True), name="concert_demo")]

    def __str__(self) -> str:
        return f"{self.artist} {self.date_text}"

    @property
    def is_partial_date(self) -> bool:
        return self.date is None


class Recording(TimeStampedModel):
    """One etree item: a taper's recording of a concert."""

    identifier = models.CharField(max_length=100)  # unique by a constraint in Meta, without a LIKE twin index
    # no index of its own: the (concert, rank) index leads with it, and one fewer index keeps bulk loads fast
    concert = models.ForeignKey(Concert, on_delete=models.CASCADE, related_name="recordings", db_index=False)
    title = models.CharField(max_length=500, blank=True)
    raw_date = models.CharField(max_length=40, blank=True)
    venue = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=300, blank=True)
    source_type = models.CharField(max_length=3, blank=True)  # SBD, AUD, MTX, FM
    source = models.TextField(blank=True)
    taper = models.CharField(max_length=300, blank=True)
    transferer = models.CharField(max_length=300, blank=True)
    lineage = models.TextField(blank=True)
    format = models.CharField(max_length=64, blank=True)
    lossless = models.BooleanField(default=False)
    soundboard = models.BooleanField(default=False)
    track_count = models.PositiveIntegerField(null=True, blank=True)
    total_size = models.PositiveBigIntegerField(null=True, blank=True)
    length = models.FloatField(null=True, blank=True, help_text="Seconds.")
    avg_rating = models.FloatField(null=True, blank=True)
    num_reviews = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    addeddate = models.CharField(max_length=32, blank=True)
    score = models.FloatField(default=0.0)
    rank = models.PositiveIntegerField(default=0, help_text="1 is the concert's best recording.")
    rank_reason = models.CharField(max_length=300, blank=True, help_text="What the measurements changed, if anything.")
    description = models.TextField(blank=True)
    info_file = models.CharField(max_length=300, blank=True)
    info_text = models.TextField(blank=True, help_text="The taper's info .txt, fetched once.")
    info_fetched = models.BooleanField(default=False)
    setlist_notes = models.JSONField(default=list, blank=True, help_text="Where its sources disagreed.")
    setlist_extracted_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["rank", "identifier"]
        constraints = [models.UniqueConstraint(fields=["identifier"], name="recording_unique_identifier")]
        indexes = [models.Index(fields=["concert", "rank"]),
                   models.Index(fields=["is_demo"], condition=models.Q(is_demo=True), name="recording_demo")]

    def __str__(self) -> str:
        return self.identifier


class AggregationRun(TimeStampedModel):
    """One run of the aggregation: what it read and what it changed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    artist = models.CharField(max_length=300, blank=True)
    since = models.DateField(null=True, blank=True)
    items_seen = models.PositiveIntegerField(default=0)
    items_undated = models.PositiveIntegerField(default=0)
    items_bad_date = models.PositiveIntegerField(default=0)
    concerts_created = models.PositiveIntegerField(default=0)
    concerts_updated = models.PositiveIntegerField(default=0)
    recordings_created = models.PositiveIntegerField(default=0)
    recordings_updated = models.PositiveIntegerField(default=0)
    duration = models.FloatField(default=0.0)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"aggregation {self.pk} ({self.status})"


class ArtistSongConfig(TimeStampedModel):
    """Per-artist words that are not songs in its setlists, e.g. "Drums" and "Space" for the Grateful Dead."""

    artist_key = models.CharField(max_length=300, unique=True, help_text="Case-folded artist name.")
    non_songs = models.TextField(blank=True, help_text="One title per line.")

    class Meta:
        verbose_name = "artist song setting"

    def __str__(self) -> str:
        return self.artist_key

    @property
    def non_song_titles(self) -> list[str]:
        return [line.strip() for line in self.non_songs.splitlines() if line.strip()]


class Song(TimeStampedModel):
    """One song of one artist; its titles as written are grouped under it by SongAlias."""

    artist = models.CharField(max_length=300)
    artist_key = models.CharField(max_length=300, db_index=True)
    artist_slug = models.SlugField(max_length=300, db_index=True)
    title = models.CharField(max_length=200)
    key = models.CharField(max_length=200, help_text="The normalised title it was created from.")
    is_demo = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["artist_key", "title"]
        constraints = [models.UniqueConstraint(fields=["artist_key", "key"], name="song_unique_artist_key")]

    def __str__(self) -> str:
        return f"{self.title} ({self.artist})"


class SongAlias(models.Model):
    """A normalised title that means this song; staff split a song by moving an alias to a new song."""

    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="aliases")
    artist_key = models.CharField(max_length=300)
    key = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["artist_key", "key"], name="song_alias_unique")]
        verbose_name_plural = "song aliases"

    def __str__(self) -> str:
        return self.key


class SetlistEntry(models.Model):
    """One line of one recording's reconciled setlist."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="setlist")
    position = models.PositiveIntegerField()
    set_label = models.CharField(max_length=4, blank=True, help_text="1, 2, 3 or E.")
    title = models.CharField(max_length=200)
    song = models.ForeignKey(Song, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    segue = models.BooleanField(default=False)
    reprise = models.BooleanField(default=False)
    non_song = models.BooleanField(default=False)
    file_name = models.CharField(max_length=500, blank=True)
    length = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=12, blank=True, help_text="files, info or description.")

    class Meta:
        ordering = ["recording", "position"]
        constraints = [models.UniqueConstraint(fields=["recording", "position"], name="setlist_entry_unique")]

    def __str__(self) -> str:
        return f"{self.recording_id} #{self.position} {self.title}"


class Performance(models.Model):
    """One song played at one concert, from the concert's agreed setlist (the best recording's)."""

    concert = models.ForeignKey(Concert, on_delete=models.CASCADE, related_name="performances")
    song = models.ForeignKey(Song, null=True, blank=True, on_delete=models.SET_NULL, related_name="performances")
    position = models.PositiveIntegerField()
    set_label = models.CharField(max_length=4, blank=True)
    title = models.CharField(max_length=200)
    segue_in = models.BooleanField(default=False)
    segue_out = models.BooleanField(default=False)
    reprise = models.BooleanField(default=False)
    non_song = models.BooleanField(default=False)
    length = models.FloatField(null=True, blank=True)
    identifier = models.CharField(max_length=100, blank=True, help_text="The recording to play it from.")
    file_name = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["concert", "position"]
        constraints = [models.UniqueConstraint(fields=["concert", "position"], name="performance_unique")]
        indexes = [models.Index(fields=["song", "concert"])]

    def __str__(self) -> str:
        return f"{self.title} @ {self.concert_id}"


class RecordingQuality(TimeStampedModel):
    """A recording's measured quality card, from its verified downloaded tracks."""

    recording = models.OneToOneField(Recording, on_delete=models.CASCADE, related_name="quality")
    tracks = models.JSONField(default=list, blank=True, help_text="One measurement per audio file.")
    duration = models.FloatField(default=0.0)
    bandwidth_hz = models.FloatField(null=True, blank=True)
    shelf_hz = models.FloatField(null=True, blank=True, help_text="Lossy-encoder shelf found in a lossless file.")
    lossy_sourced = models.BooleanField(default=False)
    clipping_ratio = models.FloatField(default=0.0)
    loudness_lufs = models.FloatField(null=True, blank=True)
    loudness_range = models.FloatField(null=True, blank=True)
    shortfall = models.FloatField(default=0.0, help_text="Seconds shorter than the concert's longest recording.")
    reference_identifier = models.CharField(max_length=100, blank=True)
    gaps = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    score_delta = models.FloatField(default=0.0)

    class Meta:
        verbose_name_plural = "recording qualities"

    def __str__(self) -> str:
        return f"quality of {self.recording_id}"
