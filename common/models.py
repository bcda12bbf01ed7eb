"""Shared models: the generic background Job (for progress), failed jobs, and the search log."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Job(TimeStampedModel):
    """A long-running piece of work a user started; its progress is pushed live to `job.<id>`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=64, db_index=True)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def group(self) -> str:
        return f"job.{self.pk}"

    @property
    def progress(self) -> dict[str, Any]:
        from .realtime import progress_context

        return progress_context(
            dom_id=f"job-{self.pk}", done=self.done, total=self.total, label=self.label, status=self.status,
            message=self.message, ws_url=f"/ws/progress/job/{self.pk}/" if self.is_active else "",
        )


class FailedJob(TimeStampedModel):
    """A Celery task that exhausted its retries (or failed permanently); staff can retry it."""

    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=64, unique=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    exception = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)
    retried_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task_name}: {self.exception}"


class SearchLog(models.Model):
    """One search a user made in any section; feeds the staff statistics (top queries)."""

    section = models.CharField(max_length=32, db_index=True)
    query = models.CharField(max_length=300)
    normalized = models.CharField(max_length=300, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.section}: {self.query}"
