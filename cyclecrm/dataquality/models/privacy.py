"""Privacy rights: consent given or withdrawn per contact and purpose, and retention policies.

Consent rows are append-only evidence (what was shown, where, when); the contact's
`consent_*` flags are the current state derived from the latest row per purpose."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import Versioned


class ConsentPurpose(models.TextChoices):
    EMAIL = "email", "E-mail marketing"
    PHONE = "phone", "Phone calls"
    SMS = "sms", "Text messages"
    PROFILING = "profiling", "Profiling and scoring"


class ConsentRecord(models.Model):
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="consent_records"
    )
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=100, blank=True)
    text_shown = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["contact", "purpose", "-recorded_at"], name="dq_consent_contact_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'granted' if self.granted else 'withdrawn'}"


class RetentionAction(models.TextChoices):
    ANONYMIZE = "anonymize", "Anonymize"
    DELETE = "delete", "Delete"


class RetentionPolicy(Versioned):
    record_type = models.CharField(max_length=40)
    # Records untouched (by the policy's date field) for longer than this are handled.
    max_age_days = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=RetentionAction.choices)
    is_active = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record_type"]
        constraints = [
            models.UniqueConstraint(fields=["record_type"], name="dq_retention_type_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.record_type}: {self.action} after {self.max_age_days} days"


class RetentionRun(models.Model):
    """One run of a retention policy (or a dry run): how many records matched and were handled."""

    policy = models.ForeignKey(RetentionPolicy, on_delete=models.CASCADE, related_name="runs")
    dry_run = models.BooleanField(default=False)
    matched = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    action = models.CharField(max_length=10, choices=RetentionAction.choices)
    ran_at = models.DateTimeField(default=timezone.now)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-ran_at", "-id"]
        indexes = [models.Index(fields=["policy", "-ran_at"], name="dq_retention_run_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.handled}/{self.matched}"


class SuppressedAddress(models.Model):
    """The SHA-256 of an erased contact's normalized e-mail: imports and capture forms can refuse
    to bring the person back, without the CRM keeping the address itself."""

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=40, default="erasure")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.email_hash
