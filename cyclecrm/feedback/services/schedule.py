"""Scheduled NPS sends: a survey with `schedule_days` > 0 and a target list is sent to its
targets again once that many days have passed since the last scheduled send.

The hourly job claims a due survey by moving `last_scheduled_at` forward in the same locked
transaction that sends, so a second run (or a second consumer) finds nothing due; contacts who
asked not to be contacted are skipped as in any send."""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.feedback.models import Survey, SurveyKind
from cyclecrm.identity.system import system_actor

logger = logging.getLogger(__name__)


def _due(survey: Survey, now: dt.datetime) -> bool:
    last = survey.last_scheduled_at
    return last is None or last + dt.timedelta(days=survey.schedule_days) <= now


def surveys_send_scheduled(*, now: dt.datetime | None = None) -> int:
    """Send every due scheduled survey; returns how many surveys were sent."""
    from cyclecrm.feedback.services.sending import survey_send

    now = now or timezone.now()
    candidates = Survey.objects.filter(
        kind=SurveyKind.NPS, is_active=True, schedule_days__gt=0
    ).filter(~Q(target_contact_ids=[]))
    sent = 0
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            survey = Survey.objects.select_for_update().filter(pk=pk).first()
            if survey is None or not survey.target_contact_ids or not _due(survey, now):
                continue
            contacts = list(Contact.objects.filter(pk__in=survey.target_contact_ids))
            Survey.objects.filter(pk=pk).update(last_scheduled_at=now)
            if not contacts:
                continue
            result = survey_send(actor=system_actor(), survey=survey, contacts=contacts)
            logger.info(
                "Scheduled survey %s: %s sent, %s skipped",
                survey.pk,
                len(result.invitations),
                len(result.skipped),
            )
            sent += 1
    return sent
