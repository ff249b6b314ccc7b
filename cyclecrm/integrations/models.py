"""E-mail configuration and bookkeeping: IMAP mailboxes polled for incoming mail, templates for
outgoing mail, and the ledger of messages already ingested (what makes polling idempotent).

The e-mails themselves are `activities.Interaction` rows on channel `email`."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import Versioned


class MailboxSecurity(models.TextChoices):
    NONE = "none", "None (plain text, local servers only)"
    STARTTLS = "starttls", "STARTTLS"
    SSL = "ssl", "SSL/TLS"


class MailboxPurpose(models.TextChoices):
    SALES = "sales", "Sales: log on contacts and leads"
    SUPPORT = "support", "Support: open or update cases"


class Mailbox(Versioned):
    """An IMAP folder the poll job reads. `uidvalidity`/`last_uid` are the cursor: only UIDs
    above `last_uid` are fetched, and a new UIDVALIDITY restarts from zero (the ledger keeps the
    restart from logging a message twice)."""

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(
        max_length=10, choices=MailboxSecurity.choices, default=MailboxSecurity.SSL
    )
    username = models.CharField(max_length=254)
    # Fernet token (see `secrets.py` and ADR 8); never returned by the API.
    password_encrypted = models.TextField(blank=True)
    password_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of an environment variable holding the password.",
    )
    folder = models.CharField(max_length=200, default="INBOX")
    purpose = models.CharField(
        max_length=10, choices=MailboxPurpose.choices, default=MailboxPurpose.SALES
    )
    create_leads_from_unknown = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Owner of the interactions, leads and cases created from this mailbox.",
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    record_type = "mailbox"
    # The password never enters the history; neither does the poll bookkeeping.
    history_exclude = frozenset(
        {
            "password_encrypted",
            "uidvalidity",
            "last_uid",
            "last_polled_at",
            "last_success_at",
            "last_error",
            "failure_count",
            "next_poll_at",
            "created_at",
            "updated_at",
        }
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class EmailTemplate(Versioned):
    """Subject and body with merge fields (`{{ contact.first_name }}`), rendered by
    `templating.py` with only the record's own context."""

    name = models.CharField(max_length=100, unique=True)
    subject = models.CharField(max_length=300)
    body = models.TextField(max_length=50000)
    is_marketing = models.BooleanField(
        default=False, help_text="Marketing mail: only to contacts who consented to e-mail."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    record_type = "email_template"
    history_exclude = frozenset({"created_at", "updated_at"})

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class InboundOutcome(models.TextChoices):
    LOGGED = "logged", "Logged"
    CASE = "case", "Case opened or updated"
    LEAD = "lead", "Lead created"
    UNMATCHED = "unmatched", "No matching record"
    BOUNCE = "bounce", "Campaign bounce or unsubscribe"
    FAILED = "failed", "Could not be logged (skipped)"


class InboundMessage(models.Model):
    """One message a mailbox has ingested. `message_key` (a hash of the Message-ID, or of the
    raw message when it has none) is unique per mailbox: a re-fetch after a UIDVALIDITY change
    or a crash between the commit and the cursor update finds it here and skips it."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    message_key = models.CharField(max_length=64)
    message_id = models.CharField(max_length=998, blank=True)
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    outcome = models.CharField(max_length=10, choices=InboundOutcome.choices)
    interaction = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_key"], name="integrations_inbound_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.message_id or self.message_key


class EmailTracking(models.Model):
    """Opens and clicks of one tracked outgoing e-mail (a one-to-one or sequence e-mail; bulk
    mailings keep theirs on `MailingRecipient`). Created when the e-mail is queued with tracking
    on; `links` are the e-mail's http(s) links in order, filled when it is sent: a click URL
    names its link by position inside the signed token. The first times make the unique counts
    (set once by a conditional UPDATE), the counts include repeats."""

    interaction = models.OneToOneField(
        "activities.Interaction", on_delete=models.CASCADE, related_name="tracking"
    )
    links = models.JSONField(default=list, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    first_clicked_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)
    # The "Opened" / "Clicked" timeline notes, known so no one takes them for a reply.
    open_note = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    click_note = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["first_opened_at"], name="integrations_trk_opened_idx"),
            models.Index(fields=["first_clicked_at"], name="integrations_trk_clicked_idx"),
        ]

    def __str__(self) -> str:
        return f"Tracking of e-mail {self.interaction_id}"
