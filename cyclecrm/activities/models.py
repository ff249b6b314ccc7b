"""Tasks (interactions and the timeline arrive with the engagement issue)."""

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

    record_type = "task"

    class Meta(BaseRecord.Meta):
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="activities_task_mine_idx"),
            models.Index(fields=["-created_at", "-id"], name="activities_task_created_idx"),
            models.Index(fields=["status", "remind_at"], name="activities_task_remind_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
            and self.due_at is not None
            and self.due_at < timezone.now()
        )
