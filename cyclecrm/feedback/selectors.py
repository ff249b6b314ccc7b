"""Reads for surveys, starting from the permission gate: surveys by the `survey` record type,
responses and invitations through the contacts the reader may see (a response is part of its
contact's record)."""

from typing import Any

from django.db.models import QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.feedback.models import Survey, SurveyKind, SurveyResponse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User


def survey_list(*, actor: User, action: str = Action.READ) -> QuerySet[Survey]:
    return access.restrict(Survey.objects.all(), actor, action).select_related("owner")


def survey_get(*, actor: User, pk: Any, action: str = Action.READ) -> Survey:
    survey = None
    if str(pk).isdigit():
        survey = survey_list(actor=actor, action=action).filter(pk=pk).first()
    if survey is None:
        raise NotFound("No survey with this id.")
    return survey


def visible_contacts(*, actor: User) -> QuerySet[Contact]:
    return access.restrict(Contact.objects.all(), actor)


def response_list(
    *, actor: User, survey: Survey | None = None, contact: Contact | None = None
) -> QuerySet[SurveyResponse]:
    """Responses of contacts the actor may read, newest first."""
    queryset = SurveyResponse.objects.filter(contact__in=visible_contacts(actor=actor))
    if survey is not None:
        queryset = queryset.filter(survey=survey)
    if contact is not None:
        queryset = queryset.filter(contact=contact)
    return queryset.select_related("survey", "contact", "case")


def contact_latest_scores(*, actor: User, contact: Contact) -> dict[str, SurveyResponse]:
    """The contact's latest NPS and CSAT responses (`{"nps": ..., "csat": ...}`, missing kinds
    left out); two small indexed queries."""
    latest: dict[str, SurveyResponse] = {}
    for kind in SurveyKind.values:
        response = (
            response_list(actor=actor, contact=contact)
            .filter(survey__kind=kind)
            .order_by("-answered_at", "-id")
            .first()
        )
        if response is not None:
            latest[kind] = response
    return latest
