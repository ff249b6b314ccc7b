"""Tasks (interactions and the timeline arrive with the engagement issue)."""

import datetime as dt

from django.db import models
from django.utils import timezone

from cyclecrm.core.models import BaseRecord


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


ACTIVE_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)

# Sort keys kept by the services, because keyset pagination needs non-null columns: a task
# without a due date sorts after every dated one, and priorities sort most urgent first.
NO_DUE_KEY = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
PRIORITY_RANK = {
    TaskPriority.URGENT: 1,
    TaskPriority.HIGH: 2,
    TaskPriority.NORMAL: 3,
    TaskPriority.LOW: 4,
}


class Task(BaseRecord):
    """A to-do. The record's `owner` is the assignee, so the permission levels apply to it."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10000)
    due_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(
        max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(max_length=15, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    onboarding = models.ForeignKey(
        "pipeline.Onboarding", null=True, blank=True, on_delete=models.CASCADE, related_name="steps"
    )
    # Derived from due_at / priority by the services (see above); never set by callers.
    due_key = models.DateTimeField(default=NO_DUE_KEY, editable=False)
    priority_rank = models.PositiveSmallIntegerField(
        default=PRIORITY_RANK[TaskPriority.NORMAL], editable=False
    )

    record_type = "task"
    history_exclude = BaseRecord.history_exclude | {"due_key", "priority_rank"}

    class Meta(BaseRecord.Meta):
        ordering = ["due_key", "id"]
        indexes = [
            models.Index(fields=["owner", "due_key", "id"], name="activities_task_owner_due_idx"),
            models.Index(fields=["due_key", "id"], name="activities_task_due_idx"),
            models.Index(
                fields=["priority_rank", "due_key", "id"], name="activities_task_priority_idx"
            ),
            models.Index(fields=["-created_at", "-id"], name="activities_task_created_idx"),
            models.Index(fields=["status", "remind_at"], name="activities_task_remind_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in ACTIVE_STATUSES
            and self.due_at is not None
            and self.due_at < timezone.now()
        )
