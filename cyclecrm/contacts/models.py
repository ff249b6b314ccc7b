"""Accounts (customer organizations) and contacts (people)."""

from django.db import models
from django.db.models.functions import Lower

from cyclecrm.core.models import BaseRecord


class Account(BaseRecord):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    website = models.URLField(max_length=300, blank=True)
    description = models.TextField(blank=True, max_length=10000)
    billing_street = models.CharField(max_length=200, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_region = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True)
    shipping_street = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_region = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subsidiaries"
    )

    record_type = "account"

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="contacts_account_name_idx"),
            models.Index(fields=["domain"], name="contacts_account_domain_idx"),
            models.Index(Lower("name"), name="contacts_account_name_ci_idx"),
            models.Index(Lower("domain"), name="contacts_account_domain_ci_idx"),
            models.Index(fields=["phone"], name="contacts_account_phone_idx"),
            models.Index(fields=["-created_at", "-id"], name="contacts_account_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="contacts_account_updated_idx"),
            models.Index(fields=["billing_country"], name="contacts_account_country_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MQL = "mql", "Marketing qualified lead"
    SQL = "sql", "Sales qualified lead"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    EVANGELIST = "evangelist", "Evangelist"
    CHURNED = "churned", "Churned"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NON_BINARY = "non_binary", "Non-binary"
    OTHER = "other", "Other"
    UNDISCLOSED = "undisclosed", "Prefer not to say"


class Contact(BaseRecord):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    email = models.CharField(max_length=254, blank=True)
    other_emails = models.JSONField(default=list, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    mobile = models.CharField(max_length=32, blank=True)
    title = models.CharField(max_length=150, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    birth_date = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=10, blank=True)
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.LEAD
    )
    consent_email = models.BooleanField(default=False)
    consent_email_at = models.DateTimeField(null=True, blank=True)
    consent_email_source = models.CharField(max_length=100, blank=True)
    consent_phone = models.BooleanField(default=False)
    consent_phone_at = models.DateTimeField(null=True, blank=True)
    consent_phone_source = models.CharField(max_length=100, blank=True)
    consent_sms = models.BooleanField(default=False)
    consent_sms_at = models.DateTimeField(null=True, blank=True)
    consent_sms_source = models.CharField(max_length=100, blank=True)
    do_not_contact = models.BooleanField(default=False)
    interests = models.JSONField(default=list, blank=True)
    values = models.JSONField(default=list, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True, max_length=10000)
    # The referral code the contact arrived with (see loyalty.referrals); blank when none.
    referral_code = models.CharField(max_length=20, blank=True)
    # Engagement, derived from the contact's interactions by `activities.engagement` (ADR 8):
    # never written by callers nor by a contact update, so a stale edit cannot roll it back.
    last_interaction_at = models.DateTimeField(null=True, blank=True, editable=False)
    interactions_30d = models.PositiveIntegerField(default=0, editable=False)
    interactions_90d = models.PositiveIntegerField(default=0, editable=False)
    engagement = models.JSONField(default=dict, blank=True, editable=False)

    record_type = "contact"
    derived_fields = frozenset(
        {"last_interaction_at", "interactions_30d", "interactions_90d", "engagement"}
    )
    history_exclude = BaseRecord.history_exclude | derived_fields

    class Meta(BaseRecord.Meta):
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(
                fields=["last_name", "first_name", "id"], name="contacts_contact_name_idx"
            ),
            models.Index(fields=["first_name", "id"], name="contacts_contact_first_idx"),
            models.Index(fields=["email"], name="contacts_contact_email_idx"),
            models.Index(fields=["phone"], name="contacts_contact_phone_idx"),
            models.Index(fields=["mobile"], name="contacts_contact_mobile_idx"),
            models.Index(fields=["last_interaction_at"], name="contacts_contact_last_int_idx"),
            models.Index(fields=["interactions_30d"], name="contacts_contact_int30_idx"),
            models.Index(fields=["interactions_90d"], name="contacts_contact_int90_idx"),
            models.Index(fields=["-created_at", "-id"], name="contacts_contact_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="contacts_contact_updated_idx"),
            models.Index(fields=["lifecycle_stage"], name="contacts_contact_stage_idx"),
            models.Index(fields=["country", "region"], name="contacts_contact_geo_idx"),
            # Segment rules combine country and city (docs/performance.md, "Segments").
            models.Index(fields=["country", "city"], name="contacts_contact_city_idx"),
            # The likely-duplicate lookups on every save (dataquality/duplicates/matching.py).
            models.Index(Lower("email"), name="contacts_contact_email_ci_idx"),
            models.Index(
                Lower("last_name"), Lower("first_name"), name="contacts_contact_name_ci_idx"
            ),
            models.Index(fields=["birth_date"], name="contacts_contact_birth_idx"),
            models.Index(fields=["postal_code"], name="contacts_contact_postal_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
