"""Reads for the pipeline app, always starting from the permission gate.

Opportunities are business records (own/team/all levels); pipelines, stages, exchange rates
and onboarding templates are configuration everyone with the `pipeline` (or
`onboarding_template`) read right sees; an onboarding is visible with its account.
"""

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from cyclecrm.activities.models import Task
from cyclecrm.contacts.models import Account
from cyclecrm.core.custom_fields import custom_filter_q
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.pipeline.filters import OpportunityFilters
from cyclecrm.pipeline.models import (
    ExchangeRate,
    Onboarding,
    OnboardingStepTemplate,
    OnboardingTemplate,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
)
from cyclecrm.pipeline.services.onboarding import step_counts

OPPORTUNITY_ORDERINGS = orderings_with_reverse(
    {
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
        "name": ("name", "id"),
        "expected_close_date": ("expected_close_date", "id"),
        "amount": ("amount", "id"),
    }
)
DEFAULT_OPPORTUNITY_ORDERING = "-created_at"


def _pk(value: Any) -> int | None:
    return int(value) if str(value).isdigit() and int(value) < 2**63 else None


# -- opportunities ----------------------------------------------------------------------------


def opportunity_list(
    *,
    actor: User,
    filters: OpportunityFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Opportunity]:
    queryset = access.restrict(Opportunity.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
    if custom:
        queryset = queryset.filter(custom_filter_q(Opportunity.record_type, custom))
    return with_tags(
        queryset.select_related("owner", "team", "account", "contact", "pipeline", "stage")
    )


def opportunity_get(*, actor: User, pk: Any, action: str = Action.READ) -> Opportunity:
    queryset = with_tags(
        access.restrict(Opportunity.objects.all(), actor, action).select_related(
            "owner", "team", "account", "contact", "pipeline", "stage", "created_by", "updated_by"
        )
    )
    pk = _pk(pk)
    opportunity = queryset.filter(pk=pk).first() if pk is not None else None
    if opportunity is None:
        raise NotFound("No opportunity with this id.")
    return opportunity


def with_tags(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def stage_change_list(*, actor: User, opportunity: Opportunity) -> QuerySet[StageChange]:
    """The opportunity's moves, oldest first (the caller fetched it through a selector)."""
    return StageChange.objects.filter(opportunity=opportunity).select_related(
        "from_stage", "to_stage", "actor"
    )


# -- pipelines --------------------------------------------------------------------------------


def pipeline_list(*, actor: User, include_inactive: bool = True) -> QuerySet[Pipeline]:
    queryset = access.restrict(Pipeline.objects.all(), actor)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    stages = Stage.objects.order_by("position", "id")
    return queryset.order_by("position", "id").prefetch_related(Prefetch("stages", stages))


def pipeline_get(*, actor: User, pk: Any) -> Pipeline:
    pk = _pk(pk)
    pipeline = pipeline_list(actor=actor).filter(pk=pk).first() if pk is not None else None
    if pipeline is None:
        raise NotFound("No pipeline with this id.")
    return pipeline


def stage_get(*, actor: User, pipeline: Pipeline, pk: Any) -> Stage:
    pk = _pk(pk)
    stage = Stage.objects.filter(pipeline=pipeline, pk=pk).select_related("pipeline").first()
    if pk is None or stage is None:
        raise NotFound("No stage with this id in the pipeline.")
    return stage


def pipeline_counts() -> dict[int, int]:
    """Opportunities per pipeline (all of them), for the administrators' settings page."""
    rows = Opportunity.objects.order_by().values("pipeline_id").annotate(n=Count("id"))
    return {row["pipeline_id"]: row["n"] for row in rows}


def stage_counts(*, pipeline: Pipeline) -> dict[int, int]:
    """Opportunities per stage (all of them, whoever may see them: deleting a stage depends on
    every opportunity in it). For the administrators' settings page."""
    rows = (
        Opportunity.objects.filter(pipeline=pipeline)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("id"))
    )
    return {row["stage_id"]: row["n"] for row in rows}


# -- exchange rates ---------------------------------------------------------------------------


def exchange_rate_list(*, actor: User, currency: str | None = None) -> QuerySet[ExchangeRate]:
    """Rates, newest first per currency (readable with the `pipeline` read right)."""
    if access.level(actor, Pipeline.record_type, Action.READ) == "none":
        return ExchangeRate.objects.none()
    queryset = ExchangeRate.objects.order_by("currency", "-valid_from", "-id")
    if currency:
        queryset = queryset.filter(currency=currency.strip().upper())
    return queryset


def exchange_rate_get(*, actor: User, pk: Any) -> ExchangeRate:
    pk = _pk(pk)
    rate = exchange_rate_list(actor=actor).filter(pk=pk).first() if pk is not None else None
    if rate is None:
        raise NotFound("No exchange rate with this id.")
    return rate


# -- onboarding -------------------------------------------------------------------------------


def onboarding_template_list(*, actor: User) -> QuerySet[OnboardingTemplate]:
    steps = OnboardingStepTemplate.objects.select_related("default_assignee").order_by(
        "position", "id"
    )
    return (
        access.restrict(OnboardingTemplate.objects.all(), actor)
        .order_by("name", "id")
        .prefetch_related(Prefetch("steps", steps))
    )


def onboarding_template_get(*, actor: User, pk: Any) -> OnboardingTemplate:
    pk = _pk(pk)
    found = onboarding_template_list(actor=actor).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound("No onboarding template with this id.")
    return found


def onboarding_list(*, actor: User, account_id: int | None = None) -> QuerySet[Onboarding]:
    """Onboardings of accounts the actor may read, with `steps_total` / `steps_done`."""
    accounts = access.restrict(Account.objects.all(), actor).values("pk")
    queryset = Onboarding.objects.filter(account__in=accounts)
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    return queryset.select_related("account", "opportunity", "template").annotate(**step_counts())


def onboarding_get(*, actor: User, pk: Any) -> Onboarding:
    pk = _pk(pk)
    found = onboarding_list(actor=actor).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFound("No onboarding with this id.")
    return found


def onboarding_steps(*, actor: User, onboarding: Onboarding) -> QuerySet[Task]:
    """The onboarding's step tasks the actor may see (progress counts every step)."""
    return (
        access.restrict(Task.objects.filter(onboarding=onboarding), actor)
        .select_related("owner")
        .order_by("due_at", "id")
    )


def account_onboardings(*, actor: User, account: Account) -> list[Onboarding]:
    """The account's onboardings, newest first, each with `visible_steps` (the step tasks the
    actor may see) and step counts: two queries whatever the number of onboardings."""
    onboardings = list(onboarding_list(actor=actor, account_id=account.pk).order_by("-started_at"))
    steps = access.restrict(
        Task.objects.filter(onboarding__in=[o.pk for o in onboardings]), actor
    ).select_related("owner")
    by_onboarding: dict[int, list[Task]] = {}
    for task in steps.order_by("due_at", "id") if onboardings else []:
        by_onboarding.setdefault(task.onboarding_id, []).append(task)
    for onboarding in onboardings:
        onboarding.visible_steps = by_onboarding.get(onboarding.pk, [])
    return onboardings
