"""Marketing campaigns: the campaign record, its cost entries, members, saved UTM links and the
touches attribution is computed from (see docs/campaigns.md and ADR 0012).

Budgets, costs and attributed revenue are in the base currency
(`settings.CYCLECRM["DEFAULT_CURRENCY"]`); won opportunities in other currencies are converted
at their close day's exchange rate."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cyclecrm.core.models import BaseRecord
from cyclecrm.core.money import money_field


class CampaignType(models.TextChoices):
    EMAIL = "email", "E-mail"
    ADS = "ads", "Ads"
    SOCIAL = "social", "Social"
    CONTENT = "content", "Content"
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Campaign(BaseRecord):
    name = models.CharField(max_length=200)
    # The `utm_campaign` value links carry and capture forms match (lower-case slug, unique).
    code = models.SlugField(max_length=100, unique=True)
    type = models.CharField(max_length=10, choices=CampaignType.choices)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    budget = money_field(default=0)
    expected_revenue = money_field(default=0)
    goal = models.TextField(blank=True, max_length=2000)
    target_leads = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True, max_length=10000)

    record_type = "campaign"

    class Meta(BaseRecord.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="campaigns_created_idx"),
            models.Index(fields=["name", "id"], name="campaigns_name_idx"),
            models.Index(fields=["type", "status", "id"], name="campaigns_type_status_idx"),
            models.Index(fields=["status", "id"], name="campaigns_status_idx"),
        ]
        constraints = [
            *BaseRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="campaigns_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaigns_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class CostCategory(models.TextChoices):
    MEDIA = "media", "Media / ad spend"
    PRODUCTION = "production", "Production"
    VENUE = "venue", "Venue and travel"
    TOOLS = "tools", "Tools and software"
    FEES = "fees", "Agency and fees"
    OTHER = "other", "Other"


class CampaignCost(models.Model):
    """One actual cost entry; a campaign's actual cost is the sum of its entries."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    date = models.DateField(default=timezone.localdate)
    amount = money_field()
    category = models.CharField(
        max_length=12, choices=CostCategory.choices, default=CostCategory.OTHER
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["campaign", "-date", "-id"], name="campaigns_cost_idx"),
            # Cost per lead and campaign ROI sum the costs dated in a period.
            models.Index(fields=["date", "campaign"], name="campaigns_cost_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="campaigns_cost_positive")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.amount} on {self.date}"


class MemberStatus(models.TextChoices):
    SENT = "sent", "Sent"
    RESPONDED = "responded", "Responded"
    CONVERTED = "converted", "Converted"


class CampaignMember(models.Model):
    """A contact or a lead (exactly one) targeted by a campaign, with how far they got."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="campaign_memberships",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="campaign_memberships",
    )
    status = models.CharField(
        max_length=10, choices=MemberStatus.choices, default=MemberStatus.SENT
    )
    added_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(contact__isnull=False) & Q(lead__isnull=True))
                | (Q(contact__isnull=True) & Q(lead__isnull=False)),
                name="campaigns_member_one_person",
            ),
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=Q(contact__isnull=False),
                name="campaigns_member_contact_uniq",
            ),
            models.UniqueConstraint(
                fields=["campaign", "lead"],
                condition=Q(lead__isnull=False),
                name="campaigns_member_lead_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="campaigns_member_status_idx"),
            models.Index(fields=["campaign", "id"], name="campaigns_member_page_idx"),
        ]

    def __str__(self) -> str:
        who = f"contact {self.contact_id}" if self.contact_id else f"lead {self.lead_id}"
        return f"{self.campaign_id}: {who} ({self.status})"

    @property
    def person(self) -> models.Model | None:
        return self.contact if self.contact_id else self.lead

    @property
    def name(self) -> str:
        return str(self.person or "")


class UtmLink(models.Model):
    """A saved tracked link: the base URL with the campaign's UTM parameters added."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="utm_links")
    base_url = models.URLField(max_length=2000)
    utm_source = models.CharField(max_length=200)
    utm_medium = models.CharField(max_length=200)
    utm_campaign = models.CharField(max_length=200)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "-id"], name="campaigns_utm_idx")]

    def __str__(self) -> str:
        return self.url


class TouchChannel(models.TextChoices):
    WEB_FORM = "web_form", "Web form"
    EMAIL_OPEN = "email_open", "E-mail open"
    EMAIL_CLICK = "email_click", "E-mail click"
    AD_CLICK = "ad_click", "Ad click"
    SOCIAL = "social", "Social"
    EVENT = "event", "Event attendance"
    IMPORT = "import", "Import"
    AUTOMATION = "automation", "Automation"
    MANUAL = "manual", "Manual"


class CampaignTouch(models.Model):
    """A campaign reaching a person (a lead, a contact) or a deal at one moment.

    `person_key` ("l<lead>:c<contact>:o<opportunity>" as recorded) and `day` make recording
    idempotent per campaign, person, channel and day; the links may later be completed (a
    converted lead's touches gain its contact and opportunity) without changing the key."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="touches")
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="touches"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="campaign_touches",
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="campaign_touches",
    )
    channel = models.CharField(max_length=12, choices=TouchChannel.choices)
    touched_at = models.DateTimeField(default=timezone.now)
    day = models.DateField()
    person_key = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["touched_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead__isnull=False)
                | Q(contact__isnull=False)
                | Q(opportunity__isnull=False),
                name="campaigns_touch_has_subject",
            ),
            models.UniqueConstraint(
                fields=["campaign", "person_key", "channel", "day"],
                name="campaigns_touch_once_a_day",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "touched_at", "id"], name="campaigns_touch_camp_idx"),
            models.Index(fields=["lead", "touched_at"], name="campaigns_touch_lead_idx"),
            models.Index(fields=["contact", "touched_at"], name="campaigns_touch_contact_idx"),
            models.Index(fields=["opportunity", "touched_at"], name="campaigns_touch_opp_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.channel} {self.person_key} at {self.touched_at}"
