"""Tasks, and interactions (the omnichannel timeline: e-mails, calls, meetings, chats, ...)."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
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


# -- interactions ---------------------------------------------------------------------------------


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    CHAT = "chat", "Chat"
    SOCIAL = "social", "Social"
    SMS = "sms", "SMS"
    NOTE = "note", "Note"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CallOutcome(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left voicemail"
    BUSY = "busy", "Busy"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    CALL_BACK = "call_back", "Asked to call back"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


def _new_ical_uid() -> str:
    return f"{uuid.uuid4()}@cyclecrm"


class Interaction(BaseRecord):
    """One exchange with a customer on any channel, shown on the timelines of the records it
    links. The record's `owner` is who logged it (or who it was logged for).

    Channel-specific fields stay empty on other channels: calls have a duration and an outcome,
    meetings a time span, a place and attendees, e-mails their headers and delivery state (the
    e-mail integration fills those; the services here only store them).
    """

    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, max_length=100000, help_text="Sanitized HTML.")
    occurred_at = models.DateTimeField(default=timezone.now)
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    account = models.ForeignKey(
        "contacts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    case = models.ForeignKey(
        "support.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    # Calls
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices, blank=True)
    # Meetings
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    attendees = models.ManyToManyField(
        "contacts.Contact", blank=True, related_name="meetings_attended"
    )
    attendee_emails = models.JSONField(default=list, blank=True)
    ical_uid = models.CharField(max_length=100, default=_new_ical_uid, editable=False)
    # E-mail (filled by the e-mail integration)
    message_id = models.CharField(max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True, help_text="Message-IDs, space-separated.")
    thread_key = models.CharField(
        max_length=255, blank=True, help_text="The Message-ID of the first message of the thread."
    )
    from_address = models.CharField(max_length=254, blank=True)
    to_addresses = models.JSONField(default=list, blank=True)
    cc_addresses = models.JSONField(default=list, blank=True)
    bcc_addresses = models.JSONField(default=list, blank=True)
    delivery_status = models.CharField(max_length=10, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.TextField(blank=True, max_length=5000)

    record_type = "interaction"
    rich_text_fields = frozenset({"body"})
    history_exclude = BaseRecord.history_exclude | {"ical_uid"}

    class Meta(BaseRecord.Meta):
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="activities_int_occurred_idx"),
            models.Index(
                fields=["contact", "occurred_at", "id"], name="activities_int_contact_idx"
            ),
            models.Index(
                fields=["account", "occurred_at", "id"], name="activities_int_account_idx"
            ),
            models.Index(fields=["lead", "occurred_at", "id"], name="activities_int_lead_idx"),
            models.Index(
                fields=["opportunity", "occurred_at", "id"], name="activities_int_opp_idx"
            ),
            models.Index(fields=["case", "occurred_at", "id"], name="activities_int_case_idx"),
            models.Index(fields=["owner", "occurred_at", "id"], name="activities_int_owner_idx"),
            models.Index(fields=["channel"], name="activities_int_channel_idx"),
            models.Index(fields=["message_id"], name="activities_int_msgid_idx"),
            models.Index(fields=["thread_key"], name="activities_int_thread_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


def attachment_storage() -> FileSystemStorage:
    """Attachments live under the data directory (`CYCLECRM_DATA_DIR/attachments`)."""
    return FileSystemStorage(location=settings.DATA_DIR / "attachments")


class InteractionAttachment(models.Model):
    """A file that came with an interaction (an e-mail attachment, a call recording...).
    Seen by whoever may see the interaction."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="%Y/%m/", storage=attachment_storage, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    content_id = models.CharField(
        max_length=255, blank=True, help_text="Content-ID of an inline part (cid: references)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["interaction", "id"]

    def __str__(self) -> str:
        return self.filename
