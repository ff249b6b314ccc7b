"""Signals for advocacy tests, written straight into the models (the review and referral
services belong to other parts and need not exist for these tests)."""

import datetime as dt

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.advocacy.models import Review, ReviewStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.feedback.models import Survey, SurveyKind, SurveyResponse, score_category
from cyclecrm.loyalty.models import Referral, ReferralSource, ReferralStatus

NOW = dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)


def months_ago(months: int, day: int = 10) -> dt.datetime:
    """A moment in the calendar month `months` before NOW's."""
    index = NOW.year * 12 + NOW.month - 1 - months
    return dt.datetime(index // 12, index % 12 + 1, day, 9, 0, tzinfo=dt.UTC)


def nps(contact: Contact, score: int, at: dt.datetime = NOW) -> SurveyResponse:
    survey = Survey.objects.filter(kind=SurveyKind.NPS).first() or Survey.objects.create(
        name="NPS", kind=SurveyKind.NPS, question="Would you recommend us?", email_subject="S"
    )
    return SurveyResponse.objects.create(
        survey=survey,
        contact=contact,
        score=score,
        category=score_category(SurveyKind.NPS, score),
        answered_at=at,
    )


def review(
    contact: Contact,
    rating: int,
    *,
    status: str = ReviewStatus.APPROVED,
    consent: bool = False,
    at: dt.datetime = NOW,
) -> Review:
    return Review.objects.create(
        contact=contact, rating=rating, status=status, publish_consent=consent, submitted_at=at
    )


def referral(
    referrer: Contact, status: str = ReferralStatus.CONVERTED, at: dt.datetime = NOW
) -> Referral:
    return Referral.objects.create(
        referrer=referrer,
        source=ReferralSource.MANUAL,
        status=status,
        created_at=at,
        converted_at=at if status == ReferralStatus.CONVERTED else None,
    )


def mention(
    contact: Contact, direction: str = Direction.INBOUND, at: dt.datetime = NOW
) -> Interaction:
    return Interaction.objects.create(
        channel=Channel.SOCIAL, direction=direction, contact=contact, occurred_at=at
    )
