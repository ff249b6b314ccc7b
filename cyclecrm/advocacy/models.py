"""Reviews, testimonials and advocates.

A `ReviewPolicy` says when a review request goes out (after a won deal, a completed onboarding or
a promoter NPS answer) and what the e-mail says. A `ReviewRequest` is one tokenized link (only the
token's SHA-256 is stored, as for surveys). A `Review` is what the customer wrote, with an explicit
permission to publish; marketing moderates it (approve, reject, feature) and approved reviews with
that permission are the testimonials exported for a website. `AdvocateScore` ranks contacts by
promoter answers, reviews, referrals and social mentions (docs/advocacy.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import BaseRecord


class ReviewTrigger(models.TextChoices):
    OPPORTUNITY_WON = "opportunity_won", "Deal won"
    ONBOARDING_COMPLETED = "onboarding_completed", "Onboarding completed"
    NPS_PROMOTER = "nps_promoter", "Promoter NPS answer"
    MANUAL = "manual", "Sent by hand"


class ReviewPolicy(BaseRecord):
    name = models.CharField(max_length=200)
    trigger = models.CharField(max_length=24, choices=ReviewTrigger.choices)
    is_active = models.BooleanField(default=True)
    delay_days = models.PositiveSmallIntegerField(default=0)
    # A contact is not asked again within this many days of the last request.
    quiet_days = models.PositiveSmallIntegerField(default=90)
    link_valid_days = models.PositiveSmallIntegerField(default=30)
    email_subject = models.CharField(max_length=200)
    email_intro = models.TextField(blank=True, max_length=5000)

    record_type = "review_policy"

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ReviewRequest(models.Model):
    policy = models.ForeignKey(
        ReviewPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    trigger = models.CharField(max_length=24, choices=ReviewTrigger.choices)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="review_requests"
    )
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # Due: when the request is to be sent (trigger time + delay); sent_at once it went out.
    due_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    email = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-created_at"], name="advocacy_req_contact_idx"),
            models.Index(fields=["sent_at", "due_at"], name="advocacy_req_due_idx"),
            models.Index(fields=["-created_at", "-id"], name="advocacy_req_created_idx"),
        ]

    def __str__(self) -> str:
        return f"review request to {self.contact_id}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Awaiting moderation"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Review(BaseRecord):
    request = models.OneToOneField(
        ReviewRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="review"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="reviews"
    )
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True, max_length=5000)
    # What the customer allowed: publishing at all, with their name, with their company.
    publish_consent = models.BooleanField(default=False)
    publish_name = models.BooleanField(default=False)
    publish_company = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    featured = models.BooleanField(default=False)
    rejection_reason = models.CharField(max_length=300, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    record_type = "review"
    derived_fields = frozenset({"status", "featured", "moderated_at", "moderated_by"})

    class Meta(BaseRecord.Meta):
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(
                fields=["status", "-submitted_at", "-id"], name="advocacy_review_status_idx"
            ),
            models.Index(fields=["-submitted_at", "-id"], name="advocacy_review_submitted_idx"),
            models.Index(fields=["account", "status"], name="advocacy_review_account_idx"),
            models.Index(fields=["product", "status"], name="advocacy_review_product_idx"),
            models.Index(fields=["contact", "-submitted_at"], name="advocacy_review_contact_idx"),
        ]
        constraints = [
            *BaseRecord.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="advocacy_review_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ by {self.contact_id}"


class AdvocateScore(models.Model):
    """A contact's advocacy score and the counts it is built from, refreshed by a job."""

    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, related_name="advocate_score"
    )
    score = models.FloatField(default=0)
    promoter_answers = models.PositiveIntegerField(default=0)
    reviews = models.PositiveIntegerField(default=0)
    referrals = models.PositiveIntegerField(default=0)
    mentions = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "-id"]
        indexes = [models.Index(fields=["-score", "-id"], name="advocacy_score_rank_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.score:.1f}"
