"""NPS and CSAT surveys: the survey (configuration), one invitation per contact asked (a
tokenized link; only the token's SHA-256 is stored), and the response given through it.

Scores, categories and the metric formulas are described in docs/surveys.md."""

from django.db import models
from django.utils import timezone

from cyclecrm.core.models import BaseRecord


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS (0-10)"
    CSAT = "csat", "CSAT (1-5)"


class Category(models.TextChoices):
    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"
    SATISFIED = "satisfied", "Satisfied"
    NEUTRAL = "neutral", "Neutral"
    UNSATISFIED = "unsatisfied", "Unsatisfied"


SCALES = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5)}
# Categories that open a follow-up task for the contact's owner.
NEGATIVE = (Category.DETRACTOR, Category.UNSATISFIED)


def score_category(kind: str, score: int) -> str:
    """NPS: 9-10 promoter, 7-8 passive, 0-6 detractor. CSAT: 4-5 satisfied, 3 neutral,
    1-2 unsatisfied."""
    if kind == SurveyKind.NPS:
        if score >= 9:
            return Category.PROMOTER
        return Category.PASSIVE if score >= 7 else Category.DETRACTOR
    if score >= 4:
        return Category.SATISFIED
    return Category.NEUTRAL if score == 3 else Category.UNSATISFIED


class Survey(BaseRecord):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SurveyKind.choices)
    question = models.CharField(max_length=500)
    email_subject = models.CharField(max_length=200)
    email_intro = models.TextField(blank=True, max_length=5000)
    link_valid_days = models.PositiveSmallIntegerField(default=14)
    is_active = models.BooleanField(default=True)
    # NPS target: contact ids (a segment later). Schedule: days between automatic sends (0: none).
    target_contact_ids = models.JSONField(default=list, blank=True)
    schedule_days = models.PositiveSmallIntegerField(default=0)
    last_scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)

    record_type = "survey"

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class QueueSurvey(models.Model):
    """The CSAT survey sent when a case of this queue (team) is resolved."""

    team = models.OneToOneField(
        "identity.Team", on_delete=models.CASCADE, related_name="csat_setting"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="queue_settings")

    def __str__(self) -> str:
        return f"{self.team} → {self.survey}"


class SurveyInvitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    case = models.ForeignKey(
        "support.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    email = models.ForeignKey(
        "activities.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["survey", "sent_at"], name="feedback_inv_survey_sent_idx")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact}"


class SurveyResponse(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        SurveyInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="survey_responses"
    )
    case = models.ForeignKey(
        "support.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=5000)
    category = models.CharField(max_length=12, choices=Category.choices)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "answered_at"], name="feedback_resp_survey_at_idx"),
            models.Index(fields=["contact", "answered_at"], name="feedback_resp_contact_at_idx"),
            # KPI periods: NPS and CSAT over every survey of a kind, by answer date.
            models.Index(fields=["answered_at"], name="feedback_resp_answered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.score}"
