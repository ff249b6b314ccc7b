"""Marking SLA breaches and escalating, run every minute by the periodic job in `tasks.py`
(and by `cyclecrm support_check_sla`).

A clock is breached when its due time has passed while it runs (first response: no response
yet; resolution: case new or open). The breach time stored is the due time itself. On the
first breach of a case whose policy escalates, the case is escalated once (`escalated_at`):
its priority is raised to the policy's `escalate_to_priority` (never lowered) and, when the
policy says so, the queue's manager gets a task and an e-mail. Each case is handled under a
row lock and re-checked, so overlapping runs neither mark nor escalate twice.
"""

import datetime as dt
import logging
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.reminders import base_url
from cyclecrm.core.records import record_update
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.support import sla
from cyclecrm.support.models import ACTIVE_STATUSES, PRIORITY_RANK, Case, CaseStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def _breach_q(now: dt.datetime) -> Q:
    first = Q(
        first_responded_at__isnull=True,
        first_response_breached_at__isnull=True,
        first_response_due__lte=now,
    )
    resolution = Q(
        status__in=(CaseStatus.NEW, CaseStatus.OPEN),
        resolution_breached_at__isnull=True,
        resolution_due__lte=now,
    )
    return Q(status__in=ACTIVE_STATUSES, next_due_at__lte=now) & (first | resolution)


def breach_changes(case: Case, now: dt.datetime) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    running = case.status in ACTIVE_STATUSES
    if (
        running
        and case.first_responded_at is None
        and case.first_response_breached_at is None
        and case.first_response_due is not None
        and case.first_response_due <= now
    ):
        changes["first_response_breached_at"] = case.first_response_due
    if (
        case.status in (CaseStatus.NEW, CaseStatus.OPEN)
        and case.resolution_breached_at is None
        and case.resolution_due is not None
        and case.resolution_due <= now
    ):
        changes["resolution_breached_at"] = case.resolution_due
    return changes


def _escalation_changes(case: Case, now: dt.datetime) -> dict[str, Any]:
    policy = case.sla_policy
    if case.escalated_at is not None or policy is None:
        return {}
    changes: dict[str, Any] = {"escalated_at": now}
    target = policy.escalate_to_priority
    if target and PRIORITY_RANK[target] < PRIORITY_RANK[case.priority]:
        changes["priority"] = target
        changes["priority_rank"] = PRIORITY_RANK[target]
    return changes


def _notify_manager(actor: User, case: Case, breached: list[str]) -> None:
    manager = case.team.manager if case.team_id else None
    if manager is None or not manager.is_active:
        return
    from cyclecrm.activities.services import task_create

    what = " and ".join(breached)
    task_create(
        actor=actor,
        data={
            "title": f"Escalated {case.number}: {what} breached"[:200],
            "description": f"{case.number} {case.subject}",
            "priority": "urgent",
            "due_at": timezone.now(),
            "owner_id": manager.pk,
            "contact_id": case.contact_id,
        },
    )
    if manager.email:
        url = base_url() + reverse("case_detail", args=[case.pk])
        transaction.on_commit(
            lambda: send_mail(
                subject=f"[{case.number}] SLA breached: {case.subject}"[:200],
                message=(
                    f"The {what} target of case {case.number} ({case.subject}) was missed.\n"
                    f"Queue: {case.team}\nPriority: {case.priority}\n\n{url}\n"
                ),
                from_email=None,
                recipient_list=[manager.email],
                fail_silently=True,
            )
        )


def _handle(actor: User, case_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("sla_policy", "team__manager")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            return False
        changes = breach_changes(case, now)
        if not changes:
            return False
        escalation = _escalation_changes(case, now)
        changes.update(escalation)
        changes["next_due_at"] = sla.next_due({**sla.case_values(case), **changes})
        case = record_update(actor=actor, instance=case, data=changes, version=case.version)
        policy = case.sla_policy
        if escalation and policy is not None and policy.notify_manager:
            breached = [
                label
                for name, label in (
                    ("first_response_breached_at", "first response"),
                    ("resolution_breached_at", "resolution"),
                )
                if name in changes
            ]
            _notify_manager(actor, case, breached)
    return True


def sla_breaches_mark(now: dt.datetime | None = None) -> int:
    """Mark every newly breached case (and escalate it per its policy); returns how many cases
    changed. Safe to run any number of times."""
    now = now or timezone.now()
    actor = system_actor()
    changed = 0
    seen: set[int] = set()
    while True:
        ids = list(
            Case.objects.filter(_breach_q(now))
            .exclude(pk__in=seen)
            .order_by("next_due_at", "id")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            break
        for case_id in ids:
            seen.add(case_id)
            try:
                changed += _handle(actor, case_id, now)
            except Exception:
                logger.exception("SLA check of case %s failed", case_id)
    if changed:
        logger.info("Marked SLA breaches on %s case(s)", changed)
    return changed
