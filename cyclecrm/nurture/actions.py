"""What each step type does for one enrollment. Every action runs as the system actor (history
says "system"), except that e-mail goes out in the name of the sequence's owner so replies
reach them; an action returns what happened and never decides the next step (engine.py does).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cyclecrm.activities.models import Interaction
from cyclecrm.activities.services import task_create
from cyclecrm.contacts.services import contact_update
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.integrations.services.outbound import email_send
from cyclecrm.integrations.templating import merge_context, render_text
from cyclecrm.leads.models import Lead
from cyclecrm.leads.services.lifecycle import lead_change_status
from cyclecrm.nurture.models import Enrollment, RunStatus, SequenceStep, StepRun, StepType
from cyclecrm.segments.models import Segment
from cyclecrm.segments.rules import compile_rules
from cyclecrm.segments.services import segment_members_add


@dataclass(frozen=True)
class Outcome:
    status: str
    outcome: str = ""
    interaction: Interaction | None = None


Action = Callable[[Enrollment, SequenceStep, dt.datetime], Outcome]
DONE = RunStatus.DONE


def _skip(reason: str) -> Outcome:
    return Outcome(RunStatus.SKIPPED, reason)


def _sender(enrollment: Enrollment) -> User:
    owner = enrollment.sequence.owner
    return owner if owner is not None and owner.is_active else system_actor()


def send_email(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    """Marketing e-mail: skipped without an address, for do-not-contact, and without e-mail
    consent (the exit conditions run before, so do-not-contact exits when the sequence says so).
    """
    person: Any = enrollment.contact or enrollment.lead
    if not person.email:
        return _skip("no_address")
    if getattr(person, "do_not_contact", False):
        return _skip("do_not_contact")
    if not person.consent_email:
        return _skip("no_consent")
    sender = _sender(enrollment)
    kind = "contact" if enrollment.contact_id else "lead"
    # Steps saved before the flag existed have no `track`: on, like new ones.
    data: dict[str, Any] = {
        kind: person.pk,
        "marketing": True,
        "track": step.config.get("track", True),
    }
    if step.config.get("template_id"):
        data["template"] = step.config["template_id"]
    else:
        context = merge_context(record=person, sender=sender)
        data["subject"] = render_text(step.config["subject"], context, field="subject")
        data["body"] = render_text(step.config["body"], context, field="body")
    interaction = email_send(actor=sender, data=data)
    return Outcome(DONE, "sent", interaction)


def wait(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    return Outcome(DONE, "waiting")


def _lead(enrollment: Enrollment) -> Lead | None:
    if enrollment.lead_id:
        return enrollment.lead
    return (
        Lead.objects.filter(converted_contact_id=enrollment.contact_id)
        .order_by("-converted_at", "-id")
        .first()
    )


def _condition_met(enrollment: Enrollment, condition: dict[str, Any]) -> bool:
    kind = condition.get("type")
    if kind in ("opened", "clicked"):
        last = (
            StepRun.objects.filter(enrollment=enrollment, interaction__isnull=False)
            .order_by("-at", "-id")
            .first()
        )
        return last is not None and getattr(last, f"{kind}_at") is not None
    if kind == "score_gte":
        lead = _lead(enrollment)
        return lead is not None and lead.score >= condition["value"]
    if kind == "rules" and enrollment.contact_id:
        contacts = type(enrollment.contact).objects.filter(pk=enrollment.contact_id)
        return compile_rules(condition["rules"]).apply(contacts).exists()
    return False


def branch(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    return Outcome(DONE, "yes" if _condition_met(enrollment, step.config["condition"]) else "no")


def _owner_of(enrollment: Enrollment, assignee: str) -> User | None:
    person: Any = enrollment.contact or enrollment.lead
    if assignee == "contact_owner" and person.owner_id:
        return person.owner
    return enrollment.sequence.owner


def _task(enrollment: Enrollment, title: str, description: str, due: dt.datetime, owner: Any):
    data: dict[str, Any] = {"title": title, "description": description, "due_at": due}
    if owner is not None:
        data["owner_id"] = owner.pk
    if enrollment.contact_id:
        data["contact_id"] = enrollment.contact_id
    if enrollment.lead_id:
        data["lead_id"] = enrollment.lead_id
    return task_create(actor=system_actor(), data=data)


def create_task(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    config = step.config
    due = now + dt.timedelta(days=config.get("due_in_days", 1))
    owner = _owner_of(enrollment, config.get("assign_to", "contact_owner"))
    task = _task(enrollment, config["title"], config.get("description", ""), due, owner)
    return Outcome(DONE, f"task {task.pk}")


def notify_owner(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    """There is no notification centre yet: the owner gets a task due now, which their task
    list and reminders show."""
    owner = _owner_of(enrollment, "contact_owner")
    title = f"{enrollment.sequence.name}: {step.config['message']}"[:200]
    task = _task(enrollment, title, "", now, owner)
    return Outcome(DONE, f"task {task.pk}")


def set_lead_status(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    lead = _lead(enrollment)
    status = step.config["status"]
    if lead is None or lead.converted_at is not None:
        return _skip("no_open_lead")
    if lead.status == status:
        return _skip("unchanged")
    lead_change_status(
        actor=system_actor(),
        lead=lead,
        status=status,
        reason="Nurture sequence",
        version=lead.version,
    )
    return Outcome(DONE, status)


def set_lifecycle_stage(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    contact = enrollment.contact
    if contact is None:
        return _skip("no_contact")
    stage = step.config["stage"]
    if contact.lifecycle_stage == stage:
        return _skip("unchanged")
    contact_update(
        actor=system_actor(),
        contact=contact,
        data={"lifecycle_stage": stage},
        version=contact.version,
    )
    return Outcome(DONE, stage)


def add_to_list(enrollment: Enrollment, step: SequenceStep, now: dt.datetime) -> Outcome:
    segment = Segment.objects.filter(pk=step.config["segment_id"]).first()
    if enrollment.contact_id is None or segment is None:
        return _skip("no_contact" if segment else "no_list")
    added = segment_members_add(
        actor=system_actor(), segment=segment, contact_ids=[enrollment.contact_id]
    )
    return Outcome(DONE, "added" if added else "already_listed")


ACTIONS: dict[str, Action] = {
    StepType.SEND_EMAIL: send_email,
    StepType.WAIT: wait,
    StepType.BRANCH: branch,
    StepType.CREATE_TASK: create_task,
    StepType.NOTIFY_OWNER: notify_owner,
    StepType.SET_LEAD_STATUS: set_lead_status,
    StepType.SET_LIFECYCLE_STAGE: set_lifecycle_stage,
    StepType.ADD_TO_LIST: add_to_list,
}
