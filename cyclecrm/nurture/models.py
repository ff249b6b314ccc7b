"""Nurture sequences: ordered steps (send e-mail, wait, branch, ...) that contacts walk through
one at a time, driven by a per-minute job; see docs/nurture-sequences.md and ADR 16."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cyclecrm.core.models import BaseRecord, Versioned


class SequenceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class Sequence(BaseRecord):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    status = models.CharField(
        max_length=10, choices=SequenceStatus.choices, default=SequenceStatus.DRAFT
    )
    exit_on_reply = models.BooleanField(default=True)
    exit_on_conversion = models.BooleanField(default=True)
    exit_on_unsubscribe = models.BooleanField(default=True)
    # Submissions of this capture form enroll their lead (or the contact with its address).
    enroll_form = models.ForeignKey(
        "leads.CaptureForm",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sequences",
    )

    record_type = "sequence"

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="nurture_sequence_name_idx"),
            models.Index(fields=["-updated_at", "-id"], name="nurture_sequence_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class StepType(models.TextChoices):
    SEND_EMAIL = "send_email", "Send e-mail"
    WAIT = "wait", "Wait"
    BRANCH = "branch", "Branch"
    CREATE_TASK = "create_task", "Create task"
    SET_LEAD_STATUS = "set_lead_status", "Set lead status"
    SET_LIFECYCLE_STAGE = "set_lifecycle_stage", "Set lifecycle stage"
    ADD_TO_LIST = "add_to_list", "Add to list"
    NOTIFY_OWNER = "notify_owner", "Notify owner"


class SequenceStep(Versioned):
    """One step; positions are 1..M without gaps, branch targets name positions."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    type = models.CharField(max_length=20, choices=StepType.choices)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["sequence", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "position"], name="nurture_step_position_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_type_display()}"


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    EXITED = "exited", "Exited"


class EnrollmentSource(models.TextChoices):
    HAND = "hand", "By hand"
    SEGMENT = "segment", "Segment"
    FORM = "form", "Form"
    WORKFLOW = "workflow", "Workflow"


class ExitReason(models.TextChoices):
    REPLIED = "replied", "Replied"
    CONVERTED = "converted", "Converted"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed / do not contact"
    MANUAL = "manual", "Removed by hand"
    SEQUENCE_ARCHIVED = "sequence_archived", "Sequence archived"


OPEN_STATES = (EnrollmentState.ACTIVE, EnrollmentState.PAUSED)


class Enrollment(models.Model):
    """A contact (or a lead not yet converted) walking through a sequence.

    `position` is the step to run next (None once finished); `visit` counts the steps entered
    and keys the step runs, so a repeated execution of the same visit cannot act twice."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sequence_enrollments",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sequence_enrollments",
    )
    state = models.CharField(
        max_length=10, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE
    )
    exit_reason = models.CharField(max_length=20, choices=ExitReason.choices, blank=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    visit = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=EnrollmentSource.choices)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(lead__isnull=False),
                name="nurture_enrollment_person",
            ),
            models.UniqueConstraint(
                fields=["sequence", "contact"],
                condition=Q(state__in=["active", "paused"]),
                name="nurture_enrollment_open_contact_uniq",
            ),
            models.UniqueConstraint(
                fields=["sequence", "lead"],
                condition=Q(state__in=["active", "paused"], contact__isnull=True),
                name="nurture_enrollment_open_lead_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_run_at"], name="nurture_enrollment_due_idx"),
            models.Index(fields=["sequence", "-enrolled_at", "-id"], name="nurture_enr_seq_idx"),
            models.Index(fields=["contact", "state"], name="nurture_enrollment_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence_id}:{self.contact_id or self.lead_id} {self.state}"


class RunStatus(models.TextChoices):
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class StepRun(models.Model):
    """One execution of a step for an enrollment: the per-step statistics and the idempotency
    key (enrollment, step, attempt) where attempt is the enrollment's visit number."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="runs")
    step = models.ForeignKey(SequenceStep, on_delete=models.CASCADE, related_name="runs")
    attempt = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RunStatus.choices)
    outcome = models.CharField(max_length=200, blank=True)
    interaction = models.ForeignKey(
        "activities.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sequence_runs",
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "step", "attempt"], name="nurture_steprun_attempt_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["step", "status"], name="nurture_steprun_step_idx"),
            models.Index(fields=["enrollment", "-at"], name="nurture_steprun_enr_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}/{self.step_id}#{self.attempt} {self.status}"
