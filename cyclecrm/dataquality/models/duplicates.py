"""Duplicate candidates found by a scan, grouped in clusters for review, and merges.

A merge keeps a full before-image (both records' fields and every related row it moved) so it
can be undone exactly."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class DuplicateScan(models.Model):
    record_type = models.CharField(max_length=40)
    threshold = models.FloatField()
    status = models.CharField(max_length=10, default="queued")
    records = models.PositiveIntegerField(default=0)
    candidate_pairs = models.PositiveBigIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Scan {self.pk} ({self.record_type})"


class ClusterStatus(models.TextChoices):
    OPEN = "open", "To review"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Not duplicates"


class DuplicateCluster(models.Model):
    record_type = models.CharField(max_length=40)
    scan = models.ForeignKey(
        DuplicateScan, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField()
    size = models.PositiveIntegerField()
    record_ids = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=ClusterStatus.choices, default=ClusterStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        indexes = [
            models.Index(
                fields=["record_type", "status", "-score", "id"], name="dq_cluster_queue_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.size} {self.record_type} records ({self.score:.2f})"


class DuplicatePair(models.Model):
    cluster = models.ForeignKey(DuplicateCluster, on_delete=models.CASCADE, related_name="pairs")
    record_type = models.CharField(max_length=40)
    left_id = models.BigIntegerField()
    right_id = models.BigIntegerField()
    score = models.FloatField()
    # Field-by-field similarities that made the score, for the review page.
    reasons = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["record_type", "left_id"], name="dq_pair_left_idx")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.left_id} ~ {self.right_id} ({self.score:.2f})"


class MergeRecord(models.Model):
    record_type = models.CharField(max_length=40)
    survivor_id = models.BigIntegerField()
    merged_id = models.BigIntegerField()
    # Before-images: {"survivor": {...}, "merged": {...}, "moved": [{"model", "field", "ids"}]}.
    snapshot = models.JSONField(default=dict)
    chosen = models.JSONField(default=dict, blank=True)
    cluster = models.ForeignKey(
        DuplicateCluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [
            models.Index(fields=["record_type", "survivor_id"], name="dq_merge_survivor_idx"),
            models.Index(fields=["record_type", "merged_id"], name="dq_merge_merged_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.merged_id} into {self.survivor_id}"
