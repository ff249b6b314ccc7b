"""An import: one uploaded file, its mapping and options, and the job's progress.

Rows are written in chunks; each chunk's rows and the `rows_done` checkpoint commit in one
transaction, so a killed worker leaves whole chunks and a re-run resumes after the last one.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import Versioned


class ImportStatus(models.TextChoices):
    DRAFT = "draft", "Mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportMode(models.TextChoices):
    VALID_ROWS = "valid-rows", "Import the valid rows"
    ALL_OR_NOTHING = "all-or-nothing", "All or nothing"


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", "Skip the row"
    UPDATE = "update", "Update the existing record"
    CREATE = "create", "Create anyway"


class ImportJob(Versioned):
    record_type = models.CharField(max_length=40)
    file_name = models.CharField(max_length=255)
    # Path of the stored upload, relative to settings.DATA_DIR.
    file_path = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_format = models.CharField(max_length=10, default="csv")
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    preset = models.CharField(max_length=40, blank=True)
    # {source column: target field}; a column mapped to "" is ignored.
    mapping = models.JSONField(default=dict, blank=True)
    # Parsing and cleansing options: default phone region, date order, decimal separator...
    options = models.JSONField(default=dict, blank=True)
    mode = models.CharField(
        max_length=20, choices=ImportMode.choices, default=ImportMode.VALID_ROWS
    )
    on_duplicate = models.CharField(
        max_length=10, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.DRAFT
    )
    cancel_requested = models.BooleanField(default=False)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    # Checkpoint: data rows (after the header) fully handled and committed.
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # The first problems, for the page: [{"row", "column", "value", "reason"}].
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="dq_import_created_idx"),
            models.Index(fields=["created_by", "-created_at"], name="dq_import_user_idx"),
            models.Index(fields=["status"], name="dq_import_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.record_type}, {self.file_name})"


class SavedMapping(models.Model):
    """A named column mapping a user can apply to later files of the same shape."""

    name = models.CharField(max_length=100)
    record_type = models.CharField(max_length=40)
    mapping = models.JSONField(default=dict)
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record_type", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "name"], name="dq_saved_mapping_name_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name
