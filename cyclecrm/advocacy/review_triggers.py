"""Domain events that create review requests, one handler per trigger (subscribed in apps.py).

- `opportunity.won`: the deal's contact, with the deal's account (opportunities have one contact).
- `onboarding.completed`: the contact of the deal the onboarding came from, else the account's
  first contact with an e-mail address (the account's primary contact: accounts have no explicit
  one, and the oldest contact is the one the relationship started with).
- `survey.answered` with category `promoter`: the contact who answered.

Handlers run after the triggering change committed; a contact who may not be asked is logged
and skipped, never an error for the person who won the deal or answered the survey."""

import logging
from typing import Any

from cyclecrm.advocacy.models import ReviewPolicy, ReviewTrigger
from cyclecrm.advocacy.review_requests import review_request_create
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import CrmError
from cyclecrm.core.events import Event

logger = logging.getLogger(__name__)


def _ask(trigger: str, contact: Contact | None, links: dict[str, Any]) -> int:
    """Create a request for each active policy of `trigger`; the quiet period makes the second
    policy a no-op for the same contact. Returns how many requests were created."""
    if contact is None:
        return 0
    created = 0
    for policy in ReviewPolicy.objects.filter(trigger=trigger, is_active=True).order_by("id"):
        try:
            review_request_create(policy=policy, contact=contact, trigger=trigger, links=links)
        except CrmError as exc:
            logger.info("No review request (%s) to contact %s: %s", trigger, contact.pk, exc)
            continue
        created += 1
    return created


def on_opportunity_won(event: Event) -> int:
    from cyclecrm.pipeline.models import Opportunity

    opportunity = Opportunity.objects.select_related("contact").filter(pk=event.object_id).first()
    if opportunity is None:
        return 0
    links = {"opportunity_id": opportunity.pk, "account_id": opportunity.account_id}
    return _ask(ReviewTrigger.OPPORTUNITY_WON, opportunity.contact, links)


def onboarding_contact(onboarding: Any) -> Contact | None:
    opportunity = onboarding.opportunity
    if opportunity is not None and opportunity.contact_id:
        return opportunity.contact
    return (
        Contact.objects.filter(account_id=onboarding.account_id)
        .exclude(email="")
        .order_by("created_at", "id")
        .first()
    )


def on_onboarding_completed(event: Event) -> int:
    from cyclecrm.pipeline.models import Onboarding

    onboarding = (
        Onboarding.objects.select_related("opportunity__contact")
        .filter(pk=event.data.get("onboarding_id"))
        .first()
    )
    if onboarding is None:
        return 0
    links = {"account_id": onboarding.account_id, "opportunity_id": onboarding.opportunity_id}
    return _ask(ReviewTrigger.ONBOARDING_COMPLETED, onboarding_contact(onboarding), links)


def on_survey_answered(event: Event) -> int:
    if event.data.get("category") != "promoter":
        return 0
    contact = Contact.objects.filter(pk=event.object_id).first()
    return _ask(ReviewTrigger.NPS_PROMOTER, contact, {})


SUBSCRIPTIONS = {
    "opportunity.won": on_opportunity_won,
    "onboarding.completed": on_onboarding_completed,
    "survey.answered": on_survey_answered,
}
