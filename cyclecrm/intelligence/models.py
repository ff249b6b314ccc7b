"""Stored results of the customer-intelligence models (see docs/intelligence.md, ADR 18).

A `ModelRun` is one training (or computation) of one kind of model: its status and progress
while a job runs it, then how many records it learned from and was checked on, its quality
figures on held-out data and its fitted parameters as JSON (coefficients, BG/NBD parameters,
cluster centres...). The newest succeeded run of a kind is the one in use.

Scores live in one row per scored record, in indexed columns so lists ("customers at risk",
"best customers", "hot leads") and segment rules are plain indexed queries: `CustomerInsight`
per contact, `LeadInsight` per lead, and `Offer` rows for the next products to offer. Each job
writes only its own columns, so the models can be retrained independently.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

# Days without a purchase after which a customer counts as churned: the churn model's default
# window (intelligence/churn.py) and the churn rate KPI (analytics/kpis/retention.py).
CHURN_WINDOW_DAYS = 180


class ModelKind(models.TextChoices):
    LEAD_CONVERSION = "lead_conversion", "Lead conversion"
    CHURN = "churn", "Churn risk"
    CLV = "clv", "Lifetime value"
    RFM = "rfm", "RFM groups"
    CLUSTERS = "clusters", "Customer clusters"
    RECOMMENDATIONS = "recommendations", "Cross-sell and upsell"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    # Not enough data to train: `message` says what is missing; the previous model stays.
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


FINISHED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.REFUSED, RunStatus.FAILED)


class ModelRun(models.Model):
    record_type = "model_run"

    kind = models.CharField(max_length=20, choices=ModelKind.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # 0..100 while running, with a short note of the current step ("Scoring 40,000 of 100,000").
    progress = models.PositiveSmallIntegerField(default=0)
    progress_note = models.CharField(max_length=200, blank=True)
    # Records the model was fitted on, records of the hold-out it was checked on, records scored.
    trained_on = models.PositiveIntegerField(default=0)
    evaluated_on = models.PositiveIntegerField(default=0)
    scored = models.PositiveIntegerField(default=0)
    # Options the run used (churn window, horizon, discount rate, hold-out cut-off...).
    options = models.JSONField(default=dict, blank=True)
    # Quality on held-out data: {"roc_auc": 0.81, "calibration": [...], ...}.
    metrics = models.JSONField(default=dict, blank=True)
    # The fitted model in plain JSON: coefficients and scaling, BG/NBD parameters, centres...
    parameters = models.JSONField(default=dict, blank=True)
    # Why a run was refused or failed, in a sentence for the model page.
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-created_at", "-id"], name="intel_run_kind_created"),
            models.Index(fields=["kind", "status", "-finished_at"], name="intel_run_kind_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} run {self.pk} ({self.status})"


class CustomerInsight(models.Model):
    """What the models say about one contact as a customer. Columns are null until the job
    that owns them has run; the order history columns are filled by the RFM/CLV jobs."""

    contact = models.OneToOneField(
        "contacts.Contact", primary_key=True, on_delete=models.CASCADE, related_name="insight"
    )
    # Order history (base currency): the historical CLTV.
    orders_count = models.PositiveIntegerField(default=0)
    purchase_days = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    average_order_value = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True
    )
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    # RFM: quintile scores 1..5 (5 best) and the named group.
    recency_score = models.PositiveSmallIntegerField(null=True, blank=True)
    frequency_score = models.PositiveSmallIntegerField(null=True, blank=True)
    monetary_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_group = models.CharField(max_length=24, blank=True)
    # BG/NBD + Gamma-Gamma over the run's horizon.
    p_alive = models.FloatField(null=True, blank=True)
    expected_purchases = models.FloatField(null=True, blank=True)
    predicted_clv = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    # Churn model: probability, band (low/medium/high) and the factors behind it.
    churn_probability = models.FloatField(null=True, blank=True)
    churn_band = models.CharField(max_length=8, blank=True)
    churn_factors = models.JSONField(default=list, blank=True)
    # k-means cluster number (0-based) of the newest clusters run.
    cluster = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["-churn_probability", "contact"], name="intel_cust_churn"),
            models.Index(fields=["churn_band"], name="intel_cust_churn_band"),
            models.Index(fields=["-predicted_clv", "contact"], name="intel_cust_clv"),
            models.Index(fields=["rfm_group"], name="intel_cust_rfm"),
            models.Index(fields=["cluster"], name="intel_cust_cluster"),
            models.Index(fields=["-revenue", "contact"], name="intel_cust_revenue"),
        ]

    def __str__(self) -> str:
        return f"Insight for contact {self.contact_id}"


class LeadInsight(models.Model):
    """The lead-conversion model's probability for one lead and the factors behind it."""

    lead = models.OneToOneField(
        "leads.Lead", primary_key=True, on_delete=models.CASCADE, related_name="insight"
    )
    conversion_probability = models.FloatField()
    # [{"feature": "bant_budget", "label": "Budget confirmed", "value": "yes",
    #   "contribution": 0.42}, ...] strongest first; contributions are in log-odds.
    factors = models.JSONField(default=list, blank=True)
    model_run = models.ForeignKey(
        ModelRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["-conversion_probability", "lead"], name="intel_lead_prob"),
        ]

    def __str__(self) -> str:
        return f"Lead {self.lead_id}: {self.conversion_probability:.2f}"


class OfferKind(models.TextChoices):
    CROSS_SELL = "cross_sell", "Cross-sell"
    UPSELL = "upsell", "Upsell"


class Offer(models.Model):
    """A product to offer a contact or an account next, ranked (1 = best)."""

    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="offers"
    )
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="offers"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=OfferKind.choices)
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    # Why, in words: "Often bought with Widget (lift 3.4, confidence 42 %)".
    reason = models.CharField(max_length=300, blank=True)
    model_run = models.ForeignKey(
        ModelRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["rank", "id"]
        indexes = [
            models.Index(fields=["contact", "rank"], name="intel_offer_contact"),
            models.Index(fields=["account", "rank"], name="intel_offer_account"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(account__isnull=False),
                name="intel_offer_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer {self.product_id} #{self.rank}"
