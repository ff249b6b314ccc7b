"""The demo data builder behind `cyclecrm demo`: a coherent, realistic data set for a trial.

The build is the list `STEPS`, each a function taking the shared `DemoContext`; a new domain
appends its step (e.g. opportunities for the accounts and contacts built before it). Each step
draws from its own random stream, seeded from the run's seed and the step's name, so the same
seed gives the same data and adding a step does not change what earlier steps build.

Rows are written with `bulk_create`, their bookkeeping fields (owner, team, created_by) set
directly: demo data is not a user's change, so it goes around services and history.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from faker import Faker

from cyclecrm.core.demo import (
    acquisition,
    advocates,
    automation,
    campaigns,
    directory,
    intelligence,
    interactions,
    loyalty,
    mailings,
    nurture,
    onboarding,
    quotas,
    records,
    referrals,
    reviews,
    rewards,
    sales,
    sales_costs,
    segments,
    service_history,
    support,
    surveys,
)
from cyclecrm.core.demo.context import DemoContext, DemoOptions, Step
from cyclecrm.core.demo.data import COUNTRIES

STEPS: list[tuple[str, Step]] = [
    ("teams", directory.build_teams),
    ("users", directory.build_users),
    ("tags", directory.build_tags),
    ("custom fields", directory.build_custom_fields),
    ("accounts", records.build_accounts),
    ("contacts", records.build_contacts),
    ("products", sales.build_products),
    ("opportunities", sales.build_opportunities),
    ("leads", sales.build_leads),
    ("quotes", sales.build_quotes),
    ("orders", sales.build_orders),
    ("tasks", sales.build_tasks),
    ("interactions", interactions.build_interactions),
    ("onboardings", onboarding.build_onboardings),
    ("quotas", quotas.build_quotas),
    ("support", support.build_support),
    ("surveys", surveys.build_surveys),
    ("segments", segments.build_segments),
    ("nurture", nurture.build_nurture),
    ("mailings", mailings.build_mailings),
    ("campaigns", campaigns.build_campaigns),
    ("sales costs", sales_costs.build_sales_costs),
    ("automation", automation.build_automation),
    ("loyalty", loyalty.build_loyalty),
    ("rewards", rewards.build_rewards),
    ("referrals", referrals.build_referrals),
    ("reviews", reviews.build_reviews),
    ("advocates", advocates.build_advocates),
    ("acquisition", acquisition.build_acquisition),
    # Last: the models learn from everything built above.
    ("intelligence", intelligence.build_intelligence),
    # After the models: history for the service dashboard that changes nothing built above.
    ("service history", service_history.build_service_history),
]


def demo_build(options: DemoOptions, *, log: Callable[[str], None] = print) -> DemoContext:
    """Run every step in one transaction; returns the context (counts, users, ...)."""
    context = DemoContext(
        options=options,
        now=timezone.now(),
        log=log,
        faker=Faker([country.locale for country in COUNTRIES]),
    )
    with transaction.atomic():
        for name, step in STEPS:
            context.seed_faker(name)
            step(context)
    return context


def demo_is_needed() -> bool:
    """`--if-empty`: build only on a database without contacts."""
    from cyclecrm.contacts.models import Contact

    return not Contact.objects.exists()


__all__ = ["STEPS", "DemoContext", "DemoOptions", "demo_build", "demo_is_needed"]
