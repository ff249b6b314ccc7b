"""Workflow rules (trigger, conditions, actions) with their run log, and outgoing webhook
subscriptions with their delivery log. See docs/automation.md."""

from django.db import models
from django.utils import timezone

from cyclecrm.automation import signing
from cyclecrm.core.models import BaseRecord


class Trigger(models.TextChoices):
    CREATED = "created", "Record created"
    UPDATED = "updated", "Record updated"
    STAGE_CHANGED = "stage_changed", "Stage changed"
    FORM_SUBMITTED = "form_submitted", "Form submitted"
    # A contact's churn-risk band became high (intelligence: `contact.churn_risk_high`).
    CHURN_RISK_HIGH = "churn_risk_high", "Churn risk became high"
    # A contact's advocacy score crossed the advocate threshold (`contact.advocate_reached`).
    ADVOCATE_REACHED = "advocate_reached", "Became an advocate"
    SCHEDULE = "schedule", "On a schedule"


class WorkflowRule(BaseRecord):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    active = models.BooleanField(default=True)
    record_type_key = models.CharField(max_length=40)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    # Trigger options: {"field", "value"} (updated), {"from_stage", "to_stage"} (stage_changed),
    # {"form"} (form_submitted), {"at": "HH:MM"} or {"every_hours": N} (schedule).
    trigger_config = models.JSONField(default=dict, blank=True)
    # The domain event the rule listens to ("" for schedule rules); derived from the trigger.
    event = models.CharField(max_length=60, blank=True, editable=False)
    conditions = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list, blank=True)
    last_scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)

    record_type = "workflow"
    derived_fields = frozenset({"last_scheduled_at"})
    history_exclude = BaseRecord.history_exclude | derived_fields

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="automation_rule_name_idx"),
            models.Index(fields=["event", "active"], name="automation_rule_event_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class RunOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    SKIPPED = "skipped", "Skipped (conditions not met)"
    FAILED = "failed", "Failed"
    LOOP_BLOCKED = "loop_blocked", "Loop blocked"


class WorkflowRun(models.Model):
    rule = models.ForeignKey(WorkflowRule, on_delete=models.CASCADE, related_name="runs")
    record_type_key = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    event = models.CharField(max_length=60)
    event_data = models.JSONField(default=dict, blank=True)
    chain = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=15, choices=RunOutcome.choices)
    results = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    # The id of the `run_rule` job that made this run ("" for runs outside a job): a job run
    # again (resumed after its worker was killed, a stray second queue message) finds its run
    # here and acts no more. Written in the transaction of the run's actions (engine.py).
    job_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["rule", "id"], name="automation_run_rule_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["job_key"],
                condition=~models.Q(job_key=""),
                name="automation_run_job_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.record_type_key}:{self.object_id}:{self.outcome}"


class WebhookSubscription(BaseRecord):
    url = models.URLField(max_length=1000)
    description = models.TextField(blank=True, max_length=2000)
    events = models.JSONField(default=list)
    # The signing secret, encrypted (automation/signing.py seal); `secret` reads it in clear.
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)

    record_type = "webhook"
    derived_fields = frozenset({"consecutive_failures", "disabled_reason", "secret_encrypted"})
    history_exclude = BaseRecord.history_exclude | derived_fields

    class Meta(BaseRecord.Meta):
        ordering = ["url", "id"]
        indexes = [models.Index(fields=["active"], name="automation_hook_active_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return signing.unseal(self.secret_encrypted)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40)
    event = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["subscription", "id"], name="automation_delivery_sub_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="automation_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.event}:{self.status}"
