"""What winning an opportunity sets off, and onboarding templates.

On entering a won stage (inside the move's transaction, by the system actor so it happens
whatever the mover may edit, and attributed to "system" in the history):
- the opportunity's contact (or, without one, the account's oldest contact) moves to lifecycle
  stage `customer`, never back from `evangelist`;
- the account gets the tag `customer` (accounts have no lifecycle stage of their own);
- an onboarding starts from the default template (a standard one is created when there is
  none), with one task per step: due `due_offset_days` after today, assigned to the step's
  default assignee or else the opportunity's owner, linked to the account, the opportunity
  and the onboarding. An opportunity gets at most one onboarding, however often it is won.

`onboarding_progress` counts steps (tasks, cancelled ones left out) and done steps;
`onboarding_refresh` sets `completed_at` when the last step is done and clears it when a step
reopens. Whatever changes a step calls `onboarding_refresh` (the task services do, after commit,
on create, status change and delete).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from cyclecrm.activities.models import Task, TaskStatus
from cyclecrm.activities.services import task_create
from cyclecrm.contacts.models import Account, Contact, LifecycleStage
from cyclecrm.contacts.services import account_update, contact_update
from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_version
from cyclecrm.core.signals import rows_changed_send
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.identity.system import system_actor
from cyclecrm.pipeline.models import (
    Onboarding,
    OnboardingStepTemplate,
    OnboardingTemplate,
    Opportunity,
)

CUSTOMER_TAG = "customer"
STANDARD_TEMPLATE = "Standard onboarding"
STANDARD_STEPS = [
    ("Kick-off call with the customer", 0),
    ("Set up the customer's account and users", 3),
    ("Training session", 7),
    ("First check-in: is everything working?", 30),
]
STEP_DUE_TIME = dt.time(17, 0)  # a step is due at the end of its day (local time)
TEMPLATE_FIELDS = {"name", "is_default", "steps"}
STEP_FIELDS = {"title", "due_offset_days", "default_assignee_id"}
MAX_OFFSET_DAYS = 3650


# -- won --------------------------------------------------------------------------------------


def opportunity_won_effects(*, opportunity: Opportunity) -> Onboarding | None:
    """Customer lifecycle and onboarding for a just-won opportunity (call inside the move's
    transaction); returns the onboarding (None without an account)."""
    system = system_actor()
    contact = _primary_contact(opportunity)
    if contact is not None:
        _make_customer_contact(system, contact)
    if opportunity.account_id is not None:
        _tag_customer_account(system, opportunity.account_id)
    return onboarding_start(opportunity=opportunity)


def _primary_contact(opportunity: Opportunity) -> Contact | None:
    if opportunity.contact_id is not None:
        return Contact.objects.filter(pk=opportunity.contact_id).first()
    if opportunity.account_id is None:
        return None
    contacts = Contact.objects.filter(account_id=opportunity.account_id)
    return contacts.order_by("created_at", "id").first()


def _make_customer_contact(system: User, contact: Contact) -> None:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.lifecycle_stage in (LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST):
        return
    contact_update(
        actor=system,
        contact=contact,
        data={"lifecycle_stage": LifecycleStage.CUSTOMER},
        version=contact.version,
    )


def _tag_customer_account(system: User, account_id: int) -> None:
    account = Account.objects.select_for_update().get(pk=account_id)
    names = [tag.name for tag in account.tags.all()]
    if CUSTOMER_TAG in names:
        return
    account_update(
        actor=system, account=account, data={}, version=account.version, tags=[*names, CUSTOMER_TAG]
    )


# -- onboardings ------------------------------------------------------------------------------


def onboarding_start(
    *, opportunity: Opportunity, template: OnboardingTemplate | None = None
) -> Onboarding | None:
    """The opportunity's onboarding, created with its step tasks if it has none yet."""
    if opportunity.account_id is None:
        return None
    existing = Onboarding.objects.filter(opportunity=opportunity).first()
    if existing is not None:
        return existing
    template = template or onboarding_template_default()
    system = system_actor()
    with transaction.atomic():
        onboarding = Onboarding.objects.create(
            account_id=opportunity.account_id, opportunity=opportunity, template=template
        )
        steps = list(template.steps.select_related("default_assignee").order_by("position", "id"))
        today = timezone.localdate()
        for number, step in enumerate(steps, start=1):
            task_create(actor=system, data=_step_task(opportunity, onboarding, step, today, number))
    return onboarding


def _step_task(
    opportunity: Opportunity,
    onboarding: Onboarding,
    step: OnboardingStepTemplate,
    today: dt.date,
    number: int,
) -> dict[str, Any]:
    assignee = step.default_assignee
    owner_id = assignee.pk if assignee is not None and assignee.is_active else opportunity.owner_id
    due_day = today + dt.timedelta(days=step.due_offset_days)
    return {
        "title": step.title,
        "description": f"Onboarding step {number} for “{opportunity}”.",
        "due_at": timezone.make_aware(dt.datetime.combine(due_day, STEP_DUE_TIME)),
        "owner_id": owner_id,
        "account_id": opportunity.account_id,
        "opportunity_id": opportunity.pk,
        "onboarding_id": onboarding.pk,
    }


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Done steps in percent, rounded half up (0 for an onboarding without steps)."""
        if not self.total:
            return 0
        value = Decimal(100 * self.done) / Decimal(self.total)
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total


def step_counts() -> dict[str, Count]:
    """Annotations counting an onboarding's steps (`steps_total`) and done ones (`steps_done`);
    cancelled steps count in neither."""
    live = ~Q(steps__status=TaskStatus.CANCELLED)
    return {
        "steps_total": Count("steps", filter=live, distinct=True),
        "steps_done": Count("steps", filter=Q(steps__status=TaskStatus.DONE), distinct=True),
    }


def onboarding_progress(onboarding: Onboarding) -> Progress:
    """Done steps / steps (uses `step_counts` annotations when the selector added them)."""
    if hasattr(onboarding, "steps_total"):
        return Progress(done=onboarding.steps_done, total=onboarding.steps_total)
    counts = Task.objects.filter(onboarding=onboarding).aggregate(
        total=Count("id", filter=~Q(status=TaskStatus.CANCELLED)),
        done=Count("id", filter=Q(status=TaskStatus.DONE)),
    )
    return Progress(done=counts["done"], total=counts["total"])


def onboarding_refresh(onboarding: Onboarding) -> Onboarding:
    """Set `completed_at` once every step is done, clear it when one reopens. Idempotent; call
    it after changing a step task's status."""
    fresh = Onboarding.objects.get(pk=onboarding.pk)
    complete = onboarding_progress(fresh).complete
    if complete and fresh.completed_at is None:
        fresh.completed_at = timezone.now()
    elif not complete and fresh.completed_at is not None:
        fresh.completed_at = None
    else:
        return fresh
    Onboarding.objects.filter(pk=fresh.pk).update(completed_at=fresh.completed_at)
    rows_changed_send(Onboarding)
    if fresh.completed_at is not None:
        data = {"onboarding_id": fresh.pk, "opportunity_id": fresh.opportunity_id}
        emit(Event("onboarding.completed", "account", fresh.account_id, None, data))
    return fresh


# -- templates --------------------------------------------------------------------------------


def onboarding_template_default() -> OnboardingTemplate:
    """The default template, else the first one, else a standard template created now."""
    template = (
        OnboardingTemplate.objects.filter(is_default=True).first()
        or OnboardingTemplate.objects.order_by("name", "id").first()
    )
    if template is None:
        with transaction.atomic():
            template = OnboardingTemplate.objects.create(name=STANDARD_TEMPLATE, is_default=True)
            OnboardingStepTemplate.objects.bulk_create(
                OnboardingStepTemplate(
                    template=template, title=title, position=i, due_offset_days=days
                )
                for i, (title, days) in enumerate(STANDARD_STEPS)
            )
    return template


def _require_admin(actor: User, action: str) -> None:
    if access.level(actor, OnboardingTemplate.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} onboarding templates.")


def _clean_steps(specs: Any, errors: FieldErrors) -> list[dict[str, Any]]:
    if not isinstance(specs, list | tuple):
        errors.add("steps", "A list of steps.")
        return []
    cleaned = []
    for i, raw in enumerate(specs):
        spec = dict(raw)
        prefix = f"steps.{i}."
        for name in sorted(set(spec) - STEP_FIELDS):
            errors.add(prefix + name, "Unknown field.")
        title = " ".join(str(spec.get("title") or "").split())
        if not title or len(title) > 200:
            errors.add(prefix + "title", "Between 1 and 200 characters.")
        days = spec.get("due_offset_days") or 0
        if not isinstance(days, int) or not 0 <= days <= MAX_OFFSET_DAYS:
            errors.add(prefix + "due_offset_days", f"Whole days from 0 to {MAX_OFFSET_DAYS}.")
        assignee_id = spec.get("default_assignee_id")
        if (
            assignee_id is not None
            and not User.objects.filter(pk=assignee_id, is_active=True).exists()
        ):
            errors.add(prefix + "default_assignee_id", "No active user with this id.")
        cleaned.append(
            {"title": title, "due_offset_days": days, "default_assignee_id": assignee_id}
        )
    return cleaned


def _template_snapshot(template: OnboardingTemplate) -> dict[str, Any]:
    state: dict[str, Any] = {"name": template.name, "is_default": template.is_default}
    for i, step in enumerate(template.steps.order_by("position", "id"), start=1):
        who = f" → user {step.default_assignee_id}" if step.default_assignee_id else ""
        state[f"step.{i}"] = f"{step.title} (+{step.due_offset_days} d){who}"
    return state


def _save_template(template: OnboardingTemplate, steps: list[dict[str, Any]] | None) -> None:
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        raise Duplicate(fields={"name": ["This name is already used."]}) from exc
    if template.is_default:
        OnboardingTemplate.objects.exclude(pk=template.pk).update(is_default=False)
    if steps is not None:
        template.steps.all().delete()
        OnboardingStepTemplate.objects.bulk_create(
            OnboardingStepTemplate(template=template, position=i, **spec)
            for i, spec in enumerate(steps)
        )


def _clean_template(data: dict[str, Any], errors: FieldErrors, *, creating: bool) -> dict:
    for name in sorted(set(data) - TEMPLATE_FIELDS):
        errors.add(name, "Unknown field.")
    clean: dict[str, Any] = {}
    if creating or "name" in data:
        clean["name"] = " ".join(str(data.get("name") or "").split())
        if not clean["name"] or len(clean["name"]) > 100:
            errors.add("name", "Between 1 and 100 characters.")
    if "is_default" in data:
        clean["is_default"] = bool(data["is_default"])
    if "steps" in data:
        clean["steps"] = _clean_steps(data["steps"], errors)
    return clean


def onboarding_template_create(*, actor: User, data: dict[str, Any]) -> OnboardingTemplate:
    """A template with its steps (`steps`: [{title, due_offset_days, default_assignee_id}], in
    order). The first template, or one created with `is_default`, becomes the default."""
    _require_admin(actor, Action.CREATE)
    errors = FieldErrors()
    clean = _clean_template(dict(data), errors, creating=True)
    errors.raise_if_any()
    with transaction.atomic():
        template = OnboardingTemplate(
            name=clean["name"],
            is_default=clean.get("is_default", False) or not OnboardingTemplate.objects.exists(),
        )
        _save_template(template, clean.get("steps", []))
        changes = diff({}, _template_snapshot(template))
        history_record(actor=actor, instance=template, action=HistoryAction.CREATE, changes=changes)
    return template


def onboarding_template_update(
    *, actor: User, template: OnboardingTemplate, data: dict[str, Any], version: int | None
) -> OnboardingTemplate:
    """Rename, make default, or replace the steps (`steps` replaces the whole list; onboardings
    already started keep their tasks)."""
    _require_admin(actor, Action.EDIT)
    errors = FieldErrors()
    clean = _clean_template(dict(data), errors, creating=False)
    if clean.get("is_default") is False and template.is_default:
        errors.add("is_default", "Make another template the default instead.")
    errors.raise_if_any()
    with transaction.atomic():
        before = _template_snapshot(template)
        template.name = clean.get("name", template.name)
        template.is_default = template.is_default or clean.get("is_default", False)
        claim_version(template, version)
        _save_template(template, clean.get("steps"))
        changes = diff(before, _template_snapshot(template))
        if changes:
            history_record(
                actor=actor, instance=template, action=HistoryAction.UPDATE, changes=changes
            )
    return template


def onboarding_template_delete(*, actor: User, template: OnboardingTemplate) -> None:
    """Delete a template (onboardings started from it keep their tasks). When the default goes,
    the first remaining template becomes the default."""
    _require_admin(actor, Action.DELETE)
    with transaction.atomic():
        changes = diff(_template_snapshot(template), {})
        history_record(actor=actor, instance=template, action=HistoryAction.DELETE, changes=changes)
        was_default = template.is_default
        template.delete()
        if was_default:
            successor = OnboardingTemplate.objects.order_by("name", "id").first()
            if successor is not None:
                OnboardingTemplate.objects.filter(pk=successor.pk).update(is_default=True)
