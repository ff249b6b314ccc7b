"""Support cases with SLA tracking, business-hours calendars per queue, SLA policies and the
knowledge base. A queue is an `identity.Team`: the case's `team` is its queue and its `owner`
the assignee, so the role matrix scopes cases like every other record."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone as djtz

from cyclecrm.core.models import BaseRecord, Versioned


class CaseChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    WEB = "web", "Web"
    CHAT = "chat", "Chat"


class CasePriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


PRIORITY_RANK = {
    CasePriority.URGENT: 1,
    CasePriority.HIGH: 2,
    CasePriority.NORMAL: 3,
    CasePriority.LOW: 4,
}
ACTIVE_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING)
# Sort key of a case with no running SLA clock (keyset pagination needs a non-null column).
NO_DUE_KEY = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class BusinessCalendar(Versioned):
    """Working time of one queue. A queue without one uses `DEFAULT_CALENDAR` (see `hours.py`).

    `working_days` holds ISO weekday numbers 0 (Monday) to 6; `holidays` ISO dates
    (`YYYY-MM-DD`) in the calendar's time zone, on which no business time passes.
    """

    team = models.OneToOneField(
        "identity.Team", on_delete=models.CASCADE, related_name="business_calendar"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    working_days = models.JSONField(default=default_working_days)
    start_time = models.TimeField(default=dt.time(9, 0))
    end_time = models.TimeField(default=dt.time(17, 0))
    holidays = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=djtz.now)

    record_type = "business_calendar"

    class Meta:
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"{self.team} ({self.timezone})"


class SlaPolicy(Versioned):
    """Targets for one priority, for one queue (`team`) or as the default (`team` empty)."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        "identity.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    priority = models.CharField(max_length=10, choices=CasePriority.choices)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    escalate_to_priority = models.CharField(max_length=10, choices=CasePriority.choices, blank=True)
    notify_manager = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=djtz.now)

    record_type = "sla_policy"

    class Meta:
        ordering = ["team_id", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "priority"],
                condition=models.Q(team__isnull=False),
                name="support_sla_team_priority_uniq",
            ),
            models.UniqueConstraint(
                fields=["priority"],
                condition=models.Q(team__isnull=True),
                name="support_sla_default_priority_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Case(BaseRecord):
    number = models.CharField(max_length=20, unique=True)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=50000)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    channel = models.CharField(max_length=10, choices=CaseChannel.choices, default=CaseChannel.WEB)
    priority = models.CharField(
        max_length=10, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.NEW)
    status_changed_at = models.DateTimeField(default=djtz.now)

    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Set while the case is pending: the resolution clock is paused (see docs/support.md).
    paused_at = models.DateTimeField(null=True, blank=True)

    articles = models.ManyToManyField(
        "support.Article", through="support.CaseArticle", blank=True, related_name="cases"
    )

    # Derived by the services; never set by callers.
    next_due_at = models.DateTimeField(default=NO_DUE_KEY, editable=False)
    priority_rank = models.PositiveSmallIntegerField(
        default=PRIORITY_RANK[CasePriority.NORMAL], editable=False
    )

    record_type = "case"
    rich_text_fields = frozenset({"description"})
    history_exclude = BaseRecord.history_exclude | {"next_due_at", "priority_rank"}

    class Meta(BaseRecord.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="support_case_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="support_case_updated_idx"),
            models.Index(fields=["next_due_at", "id"], name="support_case_due_idx"),
            models.Index(fields=["owner", "next_due_at", "id"], name="support_case_owner_due_idx"),
            models.Index(fields=["team", "next_due_at", "id"], name="support_case_team_due_idx"),
            models.Index(
                fields=["priority_rank", "next_due_at", "id"], name="support_case_priority_idx"
            ),
            models.Index(fields=["status", "-created_at"], name="support_case_status_idx"),
            # KPI periods: cases resolved and resolution time count by resolution date.
            models.Index(fields=["resolved_at"], name="support_case_resolved_at_idx"),
            models.Index(fields=["contact", "-created_at"], name="support_case_contact_idx"),
            models.Index(fields=["account", "-created_at"], name="support_case_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class CaseStatusChange(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=djtz.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at"], name="support_status_change_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class ArticleCategory(Versioned):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)

    record_type = "article_category"

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "article categories"

    def __str__(self) -> str:
        return self.name


class Article(BaseRecord):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    body = models.TextField(blank=True, max_length=200000)
    # Plain text of title and body kept by the services for search.
    search_text = models.TextField(blank=True, editable=False)
    category = models.ForeignKey(
        ArticleCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    status = models.CharField(
        max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)

    record_type = "article"
    rich_text_fields = frozenset({"body"})
    history_exclude = BaseRecord.history_exclude | {"search_text"}

    class Meta(BaseRecord.Meta):
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="support_article_updated_idx"),
            models.Index(fields=["title", "id"], name="support_article_title_idx"),
            models.Index(fields=["status", "-published_at"], name="support_article_status_idx"),
            models.Index(fields=["category", "title"], name="support_article_category_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class CaseArticle(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="article_links")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="case_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=djtz.now)

    class Meta:
        ordering = ["-linked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "article"], name="support_case_article_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ↔ {self.article_id}"
