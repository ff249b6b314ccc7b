"""Inputs the KPIs need that no other domain records, and each user's pinned KPIs.

- `Quota`: a sales target in the base currency for one user or one team over a period; the
  `forecast_vs_quota` metric sets won and weighted pipeline against it.
- `SalesCost`: sales spend (salaries, commissions, tools...) on a day, for the customer
  acquisition cost; marketing spend is the campaigns' `CampaignCost` rows.
- `PinnedKpi`: a metric with its chart settings on a user's home dashboard.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from cyclecrm.core.models import Versioned
from cyclecrm.core.money import money_field


class Quota(Versioned):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField()  # inclusive
    amount = money_field()  # base currency
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    record_type = "quota"  # its audit history rows

    class Meta:
        indexes = [
            models.Index(fields=["period_start", "period_end"]),
            models.Index(fields=["user", "period_start"]),
            models.Index(fields=["team", "period_start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(team__isnull=False), name="quota_has_target"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="quota_period_order"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quota_amount_not_negative"),
        ]

    def __str__(self) -> str:
        target = f"user {self.user_id}" if self.user_id else f"team {self.team_id}"
        return f"Quota of {target}, {self.period_start} to {self.period_end}"


class SalesCostCategory(models.TextChoices):
    SALARIES = "salaries", "Salaries"
    COMMISSIONS = "commissions", "Commissions"
    TOOLS = "tools", "Tools"
    TRAVEL = "travel", "Travel"
    OTHER = "other", "Other"


class SalesCost(Versioned):
    date = models.DateField()
    amount = money_field()  # base currency
    category = models.CharField(
        max_length=20, choices=SalesCostCategory.choices, default=SalesCostCategory.OTHER
    )
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    record_type = "sales_cost"
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["date"]), models.Index(fields=["team", "date"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_cost_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount} on {self.date}"


class PinnedKpi(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pinned_kpis"
    )
    metric = models.CharField(max_length=60)
    # The panel's settings: {"chart": "line", "group_by": "month", "range": "last_90_days", ...}
    options = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["user", "position"])]

    def __str__(self) -> str:
        return f"{self.metric} pinned by user {self.user_id}"
