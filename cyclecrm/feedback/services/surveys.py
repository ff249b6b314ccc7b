"""Survey configuration through the shared write path (rights, history, version check).

A CSAT survey may name the queues (teams) whose resolved cases it is sent for; each queue has
at most one such survey, so naming a queue moves it from the survey that had it."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.feedback.models import QueueSurvey, Survey, SurveyKind
from cyclecrm.identity.models import Team, User

SURVEY_FIELDS = {
    "name", "kind", "question", "email_subject", "email_intro", "link_valid_days", "is_active",
    "target_contact_ids", "schedule_days", "owner_id", "team_id", "queue_ids",
}  # fmt: skip
MAX_VALID_DAYS = 365
MAX_TARGETS = 5000
DEFAULT_QUESTIONS = {
    SurveyKind.NPS: "How likely are you to recommend us to a friend or colleague?",
    SurveyKind.CSAT: "How satisfied are you with the help you received?",
}
KIND_FIXED = "The kind of a survey cannot change once created."
QUEUES_CSAT_ONLY = "Only a CSAT survey is sent on case resolution."


def _clean_text(data: dict[str, Any], name: str, errors: FieldErrors, required: bool) -> None:
    if name in data:
        data[name] = " ".join(str(data[name] or "").split())
    if required and not data.get(name):
        errors.add(name, "This field is required.")


def _normalize(data: dict[str, Any], current: Survey | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in sorted(set(data) - SURVEY_FIELDS):
        errors.add(name, "Unknown field.")
    creating = current is None
    if creating and data.get("kind") not in SurveyKind.values:
        errors.add("kind", f"Use one of {', '.join(SurveyKind.values)}.")
    elif not creating and "kind" in data and data["kind"] != current.kind:
        errors.add("kind", KIND_FIXED)
    kind = data.get("kind") or (current.kind if current else "")
    if creating and not data.get("question") and kind in DEFAULT_QUESTIONS:
        data["question"] = DEFAULT_QUESTIONS[kind]
    _clean_text(data, "name", errors, required=creating or "name" in data)
    _clean_text(data, "question", errors, required=creating or "question" in data)
    _clean_text(data, "email_subject", errors, required=creating or "email_subject" in data)
    if "email_intro" in data:
        data["email_intro"] = str(data["email_intro"] or "").strip()
    days = data.get("link_valid_days")
    if days is not None and not (isinstance(days, int) and 1 <= days <= MAX_VALID_DAYS):
        errors.add("link_valid_days", f"Between 1 and {MAX_VALID_DAYS} days.")
    schedule = data.get("schedule_days")
    if schedule is not None and not (isinstance(schedule, int) and 0 <= schedule <= 366):
        errors.add("schedule_days", "Between 0 (no schedule) and 366 days.")
    if "target_contact_ids" in data:
        ids = list(dict.fromkeys(int(pk) for pk in data["target_contact_ids"] or []))
        if len(ids) > MAX_TARGETS:
            errors.add("target_contact_ids", f"At most {MAX_TARGETS} contacts.")
        elif len(set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True))) < len(ids):
            errors.add("target_contact_ids", "Some of these contacts do not exist.")
        data["target_contact_ids"] = ids
    queue_ids = data.get("queue_ids")
    if queue_ids:
        if kind != SurveyKind.CSAT:
            errors.add("queue_ids", QUEUES_CSAT_ONLY)
        elif Team.objects.filter(pk__in=queue_ids).count() < len(set(queue_ids)):
            errors.add("queue_ids", "Some of these teams do not exist.")
    errors.raise_if_any()
    return data


def _set_queues(survey: Survey, queue_ids: Iterable[int] | None) -> None:
    if queue_ids is None:
        return
    ids = set(queue_ids)
    QueueSurvey.objects.filter(survey=survey).exclude(team_id__in=ids).delete()
    for team_id in ids:
        QueueSurvey.objects.update_or_create(team_id=team_id, defaults={"survey": survey})


def survey_create(*, actor: User, data: dict[str, Any]) -> Survey:
    """Create a survey; `queue_ids` (CSAT) names the queues it is sent for on resolution."""
    data = _normalize(data, None)
    queue_ids = data.pop("queue_ids", None)
    with transaction.atomic():
        survey = record_create(actor=actor, model=Survey, data=data)
        _set_queues(survey, queue_ids)
    return survey


def survey_update(
    *, actor: User, survey: Survey, data: dict[str, Any], version: int | None = None
) -> Survey:
    data = _normalize(data, survey)
    data.pop("kind", None)
    queue_ids = data.pop("queue_ids", None)
    with transaction.atomic():
        survey = record_update(
            actor=actor,
            instance=survey,
            data=data,
            version=survey.version if version is None else version,
        )
        _set_queues(survey, queue_ids)
    return survey


def survey_delete(*, actor: User, survey: Survey) -> None:
    record_delete(actor=actor, instance=survey)
