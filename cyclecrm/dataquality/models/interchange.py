"""Interchange: full exports for admins and the per-user calendar feed key."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class FullExport(models.Model):
    """One zip of every record type (CSV + JSON Lines per type, a manifest), written by a job."""

    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    # Path of the zip, relative to settings.DATA_DIR.
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    types_total = models.PositiveIntegerField(default=0)
    types_done = models.PositiveIntegerField(default=0)
    # {record type: rows written}
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="dq_fullexport_recent")]

    def __str__(self) -> str:
        return f"Full export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.types_done / self.types_total) if self.types_total else 0


def new_feed_key() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The secret behind a user's calendar subscription URL; a new key revokes the old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key = models.CharField(max_length=64, default=new_feed_key, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"
