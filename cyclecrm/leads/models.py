"""Leads as captured, their status history, capture forms, assignment and scoring rules."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from cyclecrm.core.models import BaseRecord, Versioned
from cyclecrm.core.money import currency_field, money_field


class LeadStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    UNQUALIFIED = "unqualified", "Unqualified"


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", "Web form"
    IMPORT = "import", "Import"
    API = "api", "API"
    REFERRAL = "referral", "Referral"
    EVENT = "event", "Event"
    CAMPAIGN = "campaign", "Campaign"
    MANUAL = "manual", "Manual"
    PARTNER = "partner", "Partner"
    OTHER = "other", "Other"


class Authority(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    INFLUENCER = "influencer", "Influencer"
    NONE = "none", "None"


class NeedLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class TimelineHorizon(models.TextChoices):
    NOW = "now", "Now"
    QUARTER = "quarter", "Within 3 months"
    HALF_YEAR = "half_year", "3 to 6 months"
    YEAR = "year", "6 to 12 months"
    LATER = "later", "Later than a year"
    UNKNOWN = "unknown", "Unknown"


class Lead(BaseRecord):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=150, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    website = models.URLField(max_length=300, blank=True)
    description = models.TextField(blank=True, max_length=10000)

    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    unqualified_reason = models.CharField(max_length=200, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=LeadSource.choices, default=LeadSource.MANUAL)
    campaign_name = models.CharField(max_length=200, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    # The referral code the lead arrived with (see loyalty.referrals); blank when none.
    referral_code = models.CharField(max_length=20, blank=True)
    capture_form = models.ForeignKey(
        "leads.CaptureForm", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    # The campaign that brought the lead in (campaigns app); touches record every campaign since.
    source_campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sourced_leads",
    )

    budget = money_field(null=True, blank=True)
    budget_currency = currency_field(blank=True)
    authority = models.CharField(max_length=20, choices=Authority.choices, blank=True)
    need = models.TextField(blank=True, max_length=5000)
    need_level = models.CharField(max_length=10, choices=NeedLevel.choices, blank=True)
    timeline_date = models.DateField(null=True, blank=True)
    timeline_horizon = models.CharField(max_length=20, choices=TimelineHorizon.choices, blank=True)

    consent_email = models.BooleanField(default=False)
    consent_email_at = models.DateTimeField(null=True, blank=True)
    consent_text = models.TextField(blank=True, max_length=2000)

    score = models.IntegerField(default=0)
    grade = models.CharField(max_length=2, blank=True)
    score_breakdown = models.JSONField(default=list, blank=True)
    score_updated_at = models.DateTimeField(null=True, blank=True)
    # When the lead first reached a grade band that marks it marketing-qualified.
    mql_at = models.DateTimeField("MQL since", null=True, blank=True)

    converted_at = models.DateTimeField(null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    converted_opportunity = models.ForeignKey(
        "pipeline.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    record_type = "lead"
    # The score and its explanation are derived from the other fields and the rules; history
    # keeps the grade and the MQL milestone, which are what people act on.
    history_exclude = BaseRecord.history_exclude | {
        "score",
        "score_breakdown",
        "score_updated_at",
    }

    class Meta(BaseRecord.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="leads_lead_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="leads_lead_updated_idx"),
            models.Index(fields=["-score", "-id"], name="leads_lead_score_idx"),
            models.Index(fields=["last_name", "first_name", "id"], name="leads_lead_name_idx"),
            models.Index(fields=["company", "id"], name="leads_lead_company_idx"),
            models.Index(fields=["email"], name="leads_lead_email_idx"),
            # The likely-duplicate lookups on every save (dataquality/duplicates/matching.py).
            models.Index(Lower("email"), name="leads_lead_email_ci_idx"),
            models.Index(Lower("last_name"), Lower("first_name"), name="leads_lead_name_ci_idx"),
            models.Index(fields=["phone"], name="leads_lead_phone_idx"),
            models.Index(fields=["status", "-created_at"], name="leads_lead_status_idx"),
            models.Index(fields=["source"], name="leads_lead_source_idx"),
            # KPI periods: lead-to-MQL / MQL-to-SQL count by MQL date, conversion by its date.
            models.Index(fields=["mql_at"], name="leads_lead_mql_at_idx"),
            models.Index(fields=["converted_at"], name="leads_lead_converted_at_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company or self.email or f"Lead {self.pk}"

    @property
    def is_converted(self) -> bool:
        return self.converted_at is not None


class LeadStatusChange(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "-at"], name="leads_status_change_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_status} → {self.to_status}"


class CaptureForm(Versioned):
    """A web-to-lead form: its public page and JSON endpoint are addressed by `public_key`."""

    name = models.CharField(max_length=100)
    public_key = models.CharField(max_length=32, unique=True)
    fields = models.JSONField(default=list, help_text="Lead fields shown, in order.")
    required_fields = models.JSONField(default=list)
    consent_text = models.TextField(blank=True, max_length=2000)
    double_opt_in = models.BooleanField(default=False)
    thank_you_message = models.TextField(blank=True, max_length=2000)
    redirect_url = models.URLField(max_length=500, blank=True)
    source = models.CharField(
        max_length=20, choices=LeadSource.choices, default=LeadSource.WEB_FORM
    )
    campaign_name = models.CharField(max_length=200, blank=True)
    max_per_ip_per_hour = models.PositiveIntegerField(default=10)
    max_per_hour = models.PositiveIntegerField(default=500)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "capture_form"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubmissionStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    PENDING = "pending", "Waiting for e-mail confirmation"
    REJECTED = "rejected", "Rejected"


class FormSubmission(models.Model):
    """Every submission, kept for rate limiting, double opt-in and audit."""

    form = models.ForeignKey(CaptureForm, on_delete=models.CASCADE, related_name="submissions")
    ip_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=SubmissionStatus.choices)
    reason = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    confirmation_token = models.CharField(max_length=64, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["form", "ip_hash", "at"], name="leads_submission_ip_idx"),
            models.Index(fields=["form", "at"], name="leads_submission_form_idx"),
            models.Index(fields=["confirmation_token"], name="leads_submission_token_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id} {self.status} {self.at:%Y-%m-%d %H:%M}"


class FormView(models.Model):
    """How many times a capture form's public page was shown on one UTC day (for the form
    conversion rate); incremented atomically by `core.db.counters.increment`."""

    form = models.ForeignKey(CaptureForm, on_delete=models.CASCADE, related_name="daily_views")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["form", "day"], name="leads_form_view_unique")
        ]
        indexes = [models.Index(fields=["day", "form"], name="leads_form_view_day_idx")]

    def __str__(self) -> str:
        return f"{self.form_id} {self.day}: {self.views}"


class AssignmentKind(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round-robin (every lead)"
    TERRITORY = "territory", "By territory (country / region)"
    SOURCE = "source", "By source"


class AssignmentRule(Versioned):
    """Rules are tried in `position` order on lead creation; the first that matches assigns."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=AssignmentKind.choices)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    countries = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "assignment_rule"

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ScoringCategory(models.TextChoices):
    FIT = "fit", "Fit"
    BANT = "bant", "BANT"
    ENGAGEMENT = "engagement", "Engagement"


class ScoringOperator(models.TextChoices):
    EQUALS = "equals", "equals"
    IN = "in", "is one of"
    CONTAINS = "contains", "contains"
    GTE = "gte", "at least"
    LTE = "lte", "at most"
    IS_SET = "is_set", "is set"


class ScoringRule(Versioned):
    """`points` when the lead's `field` meets `operator` `value`; the score is the sum."""

    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=ScoringCategory.choices)
    field = models.CharField(max_length=50)
    operator = models.CharField(max_length=10, choices=ScoringOperator.choices)
    value = models.JSONField(default=None, null=True, blank=True)
    points = models.IntegerField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "scoring_rule"

    class Meta:
        ordering = ["category", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"


class LeadGrade(Versioned):
    """A lead whose score reaches `min_score` gets `letter`; the highest band reached wins.
    A band with `marks_mql` makes the lead (and its contact once converted) marketing-qualified."""

    letter = models.CharField(max_length=2, unique=True)
    min_score = models.IntegerField()
    marks_mql = models.BooleanField(default=False)

    class Meta:
        ordering = ["-min_score"]

    def __str__(self) -> str:
        return f"{self.letter} ≥ {self.min_score}"
