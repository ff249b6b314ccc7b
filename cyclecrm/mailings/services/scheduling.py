"""Starting scheduled mailings when their time comes (the per-minute job)."""

import logging

from django.utils import timezone

from cyclecrm.core.errors import CrmError
from cyclecrm.identity.system import system_actor
from cyclecrm.mailings.models import Mailing, MailingStatus
from cyclecrm.mailings.services.audience import mailing_start

logger = logging.getLogger(__name__)


def mailings_start_due() -> int:
    """Start every scheduled mailing that is due, as its owner (whose readable contacts make
    the audience); returns how many started."""
    due = Mailing.objects.filter(
        status=MailingStatus.SCHEDULED, scheduled_at__lte=timezone.now()
    ).select_related("owner")
    started = 0
    for mailing in due:
        try:
            mailing_start(actor=mailing.owner or system_actor(), mailing=mailing)
            started += 1
        except CrmError as exc:
            logger.warning("Scheduled mailing %s not started: %s", mailing.pk, exc)
    return started
