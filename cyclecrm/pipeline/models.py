"""Pipelines and stages, opportunities with their stage history, exchange rates, onboarding."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import BaseRecord, Versioned
from cyclecrm.core.money import currency_field, money_field, round_money

# An opportunity created without an expected close date is expected to close this many days later.
DEFAULT_CLOSE_DAYS = 30


def default_close_date() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=DEFAULT_CLOSE_DAYS)


class Pipeline(Versioned):
    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "pipeline"

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Closed won"
    LOST = "lost", "Closed lost"


class Stage(Versioned):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    probability = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    kind = models.CharField(max_length=10, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="pipeline_stage_name_uniq"),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0) & models.Q(probability__lte=100),
                name="pipeline_stage_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name} / {self.name}" if self.pipeline_id else self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class ExchangeRate(Versioned):
    """How many units of the base currency one unit of `currency` was worth from `valid_from`."""

    currency = currency_field()
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=20, decimal_places=10)

    record_type = "exchange_rate"  # its history rows; the rights are those of `pipeline`

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="pipeline_rate_uniq"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="pipeline_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} from {self.valid_from}"


class Opportunity(BaseRecord):
    name = models.CharField(max_length=200)
    account = models.ForeignKey(
        "contacts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="opportunities")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    amount = money_field(default=0)
    currency = currency_field()
    # Never empty (forecasts place every open opportunity in a month, and keyset pages cannot
    # order by a nullable column); defaults to DEFAULT_CLOSE_DAYS after creation.
    expected_close_date = models.DateField(default=default_close_date)
    probability = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    source_campaign = models.CharField(max_length=200, blank=True)
    # The campaign record that sourced the deal (`source_campaign` above is the free-text name
    # kept from before campaigns existed); set on lead conversion from the lead's source campaign.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sourced_opportunities",
    )
    lost_reason = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True, max_length=10000)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    record_type = "opportunity"

    class Meta(BaseRecord.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="pipeline_opp_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="pipeline_opp_updated_idx"),
            models.Index(fields=["name", "id"], name="pipeline_opp_name_idx"),
            models.Index(fields=["expected_close_date", "id"], name="pipeline_opp_close_idx"),
            models.Index(fields=["-amount", "-id"], name="pipeline_opp_amount_idx"),
            models.Index(fields=["pipeline", "stage"], name="pipeline_opp_stage_idx"),
            # KPI periods: win rate, deal size and cycle length count deals closed in the period.
            models.Index(fields=["closed_at"], name="pipeline_opp_closed_at_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def amount_label(self) -> str:
        """The amount as people read it: `12,500.00 EUR`."""
        return f"{round_money(self.amount, self.currency):,} {self.currency}"

    @property
    def stage_name(self) -> str:
        return self.stage.name if self.stage_id else ""


class StageChange(models.Model):
    """One move of an opportunity between stages; consecutive rows give the time in each stage."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, null=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["opportunity", "at", "id"]
        indexes = [models.Index(fields=["opportunity", "at"], name="pipeline_stage_change_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"


class OnboardingTemplate(Versioned):
    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "onboarding_template"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OnboardingStepTemplate(models.Model):
    template = models.ForeignKey(OnboardingTemplate, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    due_offset_days = models.PositiveIntegerField(default=0)
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["template", "position", "id"]

    def __str__(self) -> str:
        return self.title


class Onboarding(models.Model):
    """The checklist of a new customer; its steps are tasks (`activities.Task.onboarding`)."""

    account = models.ForeignKey(
        "contacts.Account", on_delete=models.CASCADE, related_name="onboardings"
    )
    opportunity = models.OneToOneField(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="onboarding"
    )
    template = models.ForeignKey(
        OnboardingTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Onboarding of account {self.account_id}"
