"""Models for the archive app: a user's downloads of Internet Archive files, and their search history."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel


class Download(TimeStampedModel):
    """One file of one archive item that a user downloads into MEDIA_ROOT/downloads/<user>/<identifier>/."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DOWNLOADING = "downloading", "Downloading"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.PENDING, Status.DOWNLOADING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="archive_downloads")
    identifier = models.CharField(max_length=100, db_index=True)
    file_name = models.CharField(max_length=1000)
    title = models.CharField(max_length=500, blank=True)  # the item's title
    track_title = models.CharField(max_length=500, blank=True)
    track = models.PositiveIntegerField(null=True, blank=True)
    creator = models.CharField(max_length=300, blank=True)
    format = models.CharField(max_length=64, blank=True)
    length = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    bytes_done = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    md5 = models.CharField(max_length=32, blank=True)
    sha1 = models.CharField(max_length=40, blank=True)
    path = models.CharField(max_length=1500, blank=True, help_text="Relative to MEDIA_ROOT once completed.")
    source_url = models.URLField(max_length=2000, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "identifier", "file_name"], name="archive_download_unique_file"),
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.identifier}/{self.file_name} ({self.status})"

    @property
    def progress(self) -> int:
        if self.status == self.Status.COMPLETED:
            return 100
        return int(self.bytes_done * 100 / self.bytes_total) if self.bytes_total else 0

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def group(self) -> str:
        return f"download.{self.pk}"

    @property
    def user_group(self) -> str:
        return f"downloads.user.{self.user_id}"

    @property
    def dom_id(self) -> str:
        return f"download-{self.pk}"

    @property
    def absolute_path(self) -> Path | None:
        return Path(settings.MEDIA_ROOT) / self.path if self.path else None

    @property
    def label(self) -> str:
        return self.track_title or self.file_name.rsplit("/", 1)[-1]

    def progress_context(self, *, ws_url: str = "") -> dict:
        from common.realtime import progress_context

        return progress_context(dom_id=self.dom_id, done=self.bytes_done, total=self.bytes_total, label=self.label,
                                status=self.status, message=self.error, ws_url=ws_url)


ACTIVE_DOWNLOAD = Q(status__in=Download.ACTIVE)


class SearchHistory(models.Model):
    """One archive search a user ran, kept so they can run it again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="archive_searches")
    summary = models.CharField(max_length=300)
    params = models.JSONField(default=dict)
    params_key = models.CharField(max_length=64)
    results_count = models.PositiveIntegerField(default=0)
    uses = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-last_used_at"]
        verbose_name_plural = "search history"
        constraints = [models.UniqueConstraint(fields=["user", "params_key"], name="archive_search_unique_params")]

    def __str__(self) -> str:
        return self.summary


class ItemSnapshot(models.Model):
    """The last metadata fetched for an item, shown when the archive cannot be reached (offline-first)."""

    identifier = models.CharField(max_length=100, unique=True)
    data = models.JSONField()
    pinned = models.BooleanField(default=False, help_text="Served without asking the archive (demo items).")
    fetched_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.identifier
