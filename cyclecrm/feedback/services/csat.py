"""The CSAT survey sent when a case is resolved, for queues that have one (`QueueSurvey`).

Subscribed to `case.updated` (delivered after commit), so support knows nothing of surveys and a
rolled-back resolution sends nothing. A case resolved, reopened and resolved again is asked once."""

import logging

from cyclecrm.core.errors import CrmError
from cyclecrm.core.events import Event
from cyclecrm.feedback.models import QueueSurvey, SurveyInvitation
from cyclecrm.identity.system import system_actor

logger = logging.getLogger(__name__)


def on_case_updated(event: Event) -> None:
    """Runs after the resolution committed: a failure to send must not fail the agent's
    request, so it is logged instead."""
    if "status" not in event.data.get("changed", ()):
        return
    try:
        csat_send_for_case(case_id=event.object_id)
    except CrmError:
        logger.exception("CSAT survey for case %s not sent", event.object_id)


def csat_send_for_case(*, case_id: int) -> bool:
    """Send the queue's CSAT survey for a resolved case; True when an invitation went out."""
    from cyclecrm.support.models import Case, CaseStatus

    case = Case.objects.select_related("contact").filter(pk=case_id).first()
    if case is None or case.status != CaseStatus.RESOLVED or case.contact is None:
        return False
    setting = (
        QueueSurvey.objects.select_related("survey")
        .filter(team_id=case.team_id, survey__is_active=True)
        .first()
    )
    if setting is None or SurveyInvitation.objects.filter(case=case).exists():
        return False
    from cyclecrm.feedback.services.sending import survey_send

    result = survey_send(
        actor=system_actor(), survey=setting.survey, contacts=[case.contact], case=case
    )
    if result.skipped:
        logger.info("CSAT for case %s not sent: %s", case.number, result.skipped)
    return bool(result.invitations)
