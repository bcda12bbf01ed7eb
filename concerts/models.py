"""Models for the concerts app: etree recordings grouped into concerts by artist and date."""
from __future__ import annotations

from django.db import models

from common.models import TimeStampedModel


class Concert(TimeStampedModel):
    """One show: an artist on one (possibly partial) date, with every recording of it."""

    artist = models.CharField(max_length=300)
    artist_key = models.CharField(max_length=300, db_index=True, help_text="Case-folded artist name.")
    artist_slug = models.SlugField(max_length=300, db_index=True)
    date_text = models.CharField(max_length=10, help_text="YYYY-MM-DD; 00 marks an unknown month or day.")
    date = models.DateField(null=True, blank=True, db_index=True, help_text="Empty when the date is partial.")
    year = models.PositiveSmallIntegerField(db_index=True)
    venue = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=300, blank=True)
    recordings_count = models.PositiveIntegerField(default=0)
    best_identifier = models.CharField(max_length=100, blank=True)
    best_reason = models.CharField(max_length=200, blank=True)
    latest_added = models.CharField(max_length=32, blank=True, db_index=True)

    class Meta:
        ordering = ["-date_text", "artist"]
        constraints = [models.UniqueConstraint(fields=["artist_key", "date_text"], name="concert_unique_artist_date")]

    def __str__(self) -> str:
        return f"{self.artist} {self.date_text}"

    @property
    def is_partial_date(self) -> bool:
        return self.date is None


class Recording(TimeStampedModel):
    """One etree item: a taper's recording of a concert."""

    identifier = models.CharField(max_length=100, unique=True)
    concert = models.ForeignKey(Concert, on_delete=models.CASCADE, related_name="recordings")
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

    class Meta:
        ordering = ["rank", "identifier"]
        indexes = [models.Index(fields=["concert", "rank"])]

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
