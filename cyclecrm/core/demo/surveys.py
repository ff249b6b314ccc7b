"""Demo step for feedback: an NPS and a CSAT survey (sent on resolution by the Support queue)
with about 150 answers over the last six months, bulk-inserted with their invitations. Scores
drift slightly upwards so the trend chart has something to show."""

import datetime as dt
import random

from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.feedback.models import (
    QueueSurvey,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    score_category,
)
from cyclecrm.feedback.tokens import token_new
from cyclecrm.identity.models import Team
from cyclecrm.support.models import Case, CaseStatus

NPS_ANSWERS = 90
CSAT_ANSWERS = 60
DAYS = 182
# Weights of scores 0..10 (NPS) and 1..5 (CSAT) at the start of the period.
NPS_WEIGHTS = [2, 1, 1, 2, 2, 3, 5, 8, 12, 14, 12]
CSAT_WEIGHTS = [2, 3, 6, 14, 16]
# survey, contact id, case id, when the case was resolved
Pair = tuple[Survey, int, int | None, dt.datetime | None]
NPS_COMMENTS = ["Great product and helpful people.", "Onboarding took too long.", "", "", ""]
CSAT_COMMENTS = ["Quick and friendly.", "Had to explain the issue twice.", "", "", ""]


def build_surveys(context: DemoContext) -> None:
    rng = context.rng("surveys")
    owner = context.users.get("admin")
    nps = Survey.objects.create(
        name="Quarterly NPS",
        kind=SurveyKind.NPS,
        question="How likely are you to recommend us to a friend or colleague?",
        email_subject="One quick question",
        email_intro="We would love to hear how we are doing.",
        owner=owner,
        created_by=owner,
    )
    csat = Survey.objects.create(
        name="Support CSAT",
        kind=SurveyKind.CSAT,
        question="How satisfied are you with the help you received?",
        email_subject="How did we do?",
        link_valid_days=7,
        owner=owner,
        created_by=owner,
    )
    support = Team.objects.filter(name="Support").first()
    if support is not None:
        QueueSurvey.objects.update_or_create(team=support, defaults={"survey": csat})
    contacts = list(Contact.objects.order_by("id").values_list("id", flat=True)[:400])
    resolved = list(
        Case.objects.filter(
            status__in=(CaseStatus.RESOLVED, CaseStatus.CLOSED),
            contact__isnull=False,
            resolved_at__isnull=False,
        ).values_list("id", "contact_id", "resolved_at")
    )
    if not contacts:
        return
    pairs: list[Pair] = [
        (nps, contact, None, None) for contact in rng.choices(contacts, k=NPS_ANSWERS)
    ]
    # CSAT: every resolved demo case answered after its resolution; the rest of the answers come
    # from earlier cases not in the demo, spread over the period without a case link.
    answered_cases = rng.sample(resolved, min(len(resolved), CSAT_ANSWERS // 3))
    pairs += [(csat, contact, case, at) for case, contact, at in answered_cases]
    rest = CSAT_ANSWERS - len(answered_cases)
    pairs += [(csat, contact, None, None) for contact in rng.choices(contacts, k=rest)]
    _answers(context, rng, pairs)


def _score(rng: random.Random, survey: Survey, progress: float) -> int:
    weights = NPS_WEIGHTS if survey.kind == SurveyKind.NPS else CSAT_WEIGHTS
    # later answers lean a little more to the top of the scale
    tilted = [w * (1 + 0.6 * progress * i / len(weights)) for i, w in enumerate(weights)]
    low = 0 if survey.kind == SurveyKind.NPS else 1
    return low + rng.choices(range(len(weights)), weights=tilted)[0]


def _times(
    context: DemoContext, rng: random.Random, resolved_at: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """When the invitation went out and when it was answered (never in the future)."""
    if resolved_at is not None:
        sent = resolved_at + dt.timedelta(minutes=rng.uniform(1, 10))
    else:
        sent = context.now - dt.timedelta(days=rng.uniform(0, DAYS), hours=rng.uniform(1, 48))
    answered = min(sent + dt.timedelta(hours=rng.uniform(0.2, 30)), context.now)
    return min(sent, answered), answered


def _answers(context: DemoContext, rng: random.Random, pairs: list[Pair]) -> None:
    invitations, responses = [], []
    for survey, contact_id, case_id, resolved_at in pairs:
        sent, answered = _times(context, rng, resolved_at)
        age = (context.now - answered).total_seconds() / 86400
        score = _score(rng, survey, max(0.0, 1 - age / DAYS))
        invitation = SurveyInvitation(
            survey=survey,
            contact_id=contact_id,
            case_id=case_id,
            token_hash=token_new()[1],
            sent_at=sent,
            expires_at=sent + dt.timedelta(days=survey.link_valid_days),
            answered_at=answered,
        )
        invitations.append(invitation)
        comments = NPS_COMMENTS if survey.kind == SurveyKind.NPS else CSAT_COMMENTS
        responses.append(
            SurveyResponse(
                survey=survey,
                invitation=invitation,
                contact_id=contact_id,
                case_id=case_id,
                score=score,
                comment=rng.choice(comments),
                category=score_category(survey.kind, score),
                answered_at=answered,
            )
        )
    SurveyInvitation.objects.bulk_create(invitations)
    SurveyResponse.objects.bulk_create(responses)
    context.counts["survey responses"] = len(responses)
    context.log(f"  2 surveys, {len(responses)} answers")
