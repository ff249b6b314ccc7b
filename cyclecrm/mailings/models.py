"""E-mail campaigns ("mailings"): one message sent to a segment's contacts, with a recipient row
per contact that carries its delivery state, tracking token and engagement.

See docs/email-campaigns.md and ADR 0013 (at-most-once sending)."""

from django.db import models
from django.utils import timezone

from cyclecrm.core.models import BaseRecord


class MailingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class AbMetric(models.TextChoices):
    OPEN = "open", "Unique opens"
    CLICK = "click", "Unique clicks"
    CONVERSION = "conversion", "Conversions"


class AbState(models.TextChoices):
    NONE = "", "No A/B test"
    TESTING = "testing", "Sending the test groups"
    WAITING = "waiting", "Waiting for results"
    AWAITING_CHOICE = "awaiting_choice", "Waiting for a manual choice"
    WINNER_SENT = "winner_sent", "Winner sent to the rest"


class Mailing(BaseRecord):
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=300)
    from_name = models.CharField(max_length=200, blank=True)
    from_email = models.EmailField(blank=True, help_text="Defaults to the server's sender.")
    reply_to = models.EmailField(blank=True)
    template = models.ForeignKey(
        "integrations.EmailTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Used when the mailing has no HTML body of its own.",
    )
    html_body = models.TextField(blank=True, max_length=200000, help_text="Sanitized HTML.")
    text_body = models.TextField(
        blank=True, max_length=100000, help_text="Plain-text part; derived from HTML when empty."
    )
    # The audience; a sent mailing keeps its recipients when the segment is deleted later.
    segment = models.ForeignKey(
        "segments.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sending makes the recipients campaign members; clicks become campaign touches.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailings",
    )
    rate_per_minute = models.PositiveIntegerField(default=60)
    status = models.CharField(
        max_length=10, choices=MailingStatus.choices, default=MailingStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The sending worker's lease (see services/sending.py): one worker per mailing at a time.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Who holds it: the send job's task id, so that job resumed after its worker was killed
    # takes its own lease over at once instead of waiting for it to expire (ADR 0033).
    lease_holder = models.CharField(max_length=64, blank=True, editable=False)
    # When the last batch ended: the watchdog restarts a mailing whose worker went silent.
    batch_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Suppressed recipients by reason, counted when the audience was snapshot.
    suppressed = models.JSONField(default=dict, blank=True, editable=False)
    # A/B test (docs/ab-testing.md): active when the mailing has two or more variants.
    ab_test_share = models.PositiveSmallIntegerField(
        default=20, help_text="Percent of the eligible audience split between the variants."
    )
    ab_metric = models.CharField(max_length=10, choices=AbMetric.choices, default=AbMetric.OPEN)
    ab_wait_hours = models.PositiveSmallIntegerField(default=4)
    ab_auto_winner = models.BooleanField(
        default=True, help_text="Send a declared winner to the rest without a click."
    )
    ab_seed = models.CharField(max_length=64, blank=True, help_text="Defaults to the mailing id.")
    ab_alpha = models.FloatField(default=0.05)
    ab_min_sample = models.PositiveIntegerField(default=100)
    ab_min_effect = models.FloatField(
        default=0.02, help_text="Smallest absolute change of the rate worth detecting."
    )
    ab_state = models.CharField(
        max_length=16, choices=AbState.choices, default=AbState.NONE, blank=True, editable=False
    )
    ab_evaluate_at = models.DateTimeField(null=True, blank=True, editable=False)
    ab_winner = models.CharField(max_length=20, blank=True, editable=False)
    ab_reason = models.CharField(max_length=500, blank=True, editable=False)

    record_type = "mailing"
    derived_fields = frozenset(
        {
            "started_at", "finished_at", "lease_until", "lease_holder", "batch_at", "suppressed",
            "ab_state", "ab_evaluate_at", "ab_winner", "ab_reason",
        }
    )  # fmt: skip
    history_exclude = BaseRecord.history_exclude | derived_fields

    class Meta(BaseRecord.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="mailings_mailing_created_idx"),
            models.Index(fields=["status", "scheduled_at"], name="mailings_mailing_status_idx"),
            models.Index(fields=["ab_state", "ab_evaluate_at"], name="mailings_mailing_ab_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status in (MailingStatus.DRAFT, MailingStatus.SCHEDULED)


class MailingVariant(models.Model):
    """One arm of a mailing's A/B test; blank fields fall back to the mailing's own. The first
    variant by label (A) is the control."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=20)
    subject = models.CharField(max_length=300, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    html_body = models.TextField(blank=True, max_length=200000, help_text="Sanitized HTML.")

    class Meta:
        ordering = ["mailing", "label"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "label"], name="mailings_variant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mailing_id}:{self.label}"


class RecipientState(models.TextChoices):
    PENDING = "pending", "Pending"
    HELD = "held", "Held back for the A/B winner"
    SUPPRESSED = "suppressed", "Suppressed"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"


class SuppressionReason(models.TextChoices):
    NO_EMAIL = "no_email", "No e-mail address"
    DO_NOT_CONTACT = "do_not_contact", "Do not contact"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    NO_CONSENT = "no_consent", "No e-mail consent"
    BOUNCED = "bounced", "Bounced before"
    DUPLICATE = "duplicate", "Duplicate address"


class BounceKind(models.TextChoices):
    HARD = "hard", "Hard (permanent)"
    SOFT = "soft", "Soft (temporary)"


class MailingRecipient(models.Model):
    """One contact of a mailing's audience, snapshot when sending starts.

    `token` (random, 128 bits) names the recipient in tracking, unsubscribe and bounce
    addresses; public URLs carry it signed (see `tokens.py`). `variant` is reserved for A/B
    tests (null: the mailing's own content)."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="mailing_receipts"
    )
    email = models.CharField(max_length=254, blank=True)
    token = models.CharField(max_length=32, unique=True)
    variant = models.CharField(max_length=20, null=True, blank=True)
    held_back = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=RecipientState.choices, default=RecipientState.PENDING
    )
    reason = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    first_clicked_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)
    # The "Opened" / "Clicked" timeline entries: inbound e-mail rows that are no reply.
    open_note = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    click_note = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_kind = models.CharField(max_length=4, choices=BounceKind.choices, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "contact"], name="mailings_recipient_unique")
        ]
        indexes = [
            models.Index(fields=["mailing", "state", "id"], name="mailings_recipient_state_idx"),
            models.Index(fields=["contact", "state"], name="mailings_recipient_contact_idx"),
            models.Index(fields=["message_id"], name="mailings_recipient_msgid_idx"),
            models.Index(fields=["email"], name="mailings_recipient_email_idx"),
            # KPI periods: open, click, bounce and unsubscribe rates count e-mails sent then.
            models.Index(fields=["sent_at"], name="mailings_recipient_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mailing_id}:{self.email}"


class MailingLink(models.Model):
    """A URL of a mailing's HTML rewritten into a tracked redirect."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)
    url_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "url_hash"], name="mailings_link_unique")
        ]

    def __str__(self) -> str:
        return self.url


class EventKind(models.TextChoices):
    OPEN = "open", "Opened"
    CLICK = "click", "Clicked"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
    BOUNCE = "bounce", "Bounced"


class MailingEvent(models.Model):
    """Every open, click, unsubscribe and bounce (the recipient row keeps the unique firsts)."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="events")
    recipient = models.ForeignKey(MailingRecipient, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    link = models.ForeignKey(
        MailingLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    detail = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["mailing", "kind"], name="mailings_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.recipient_id}"
