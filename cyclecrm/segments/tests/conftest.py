"""Fixtures for segments: a few contacts with everything a rule can test."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.feedback.models import Survey, SurveyKind, SurveyResponse, score_category

_numbers = iter(range(1, 10**6))


def add_order(contact: Contact, total: str, *, days_ago: int = 1, status: str = "paid") -> Order:
    return Order.objects.create(
        number=f"SO-{next(_numbers)}",
        contact=contact,
        total=Decimal(total),
        ordered_at=timezone.now() - dt.timedelta(days=days_ago),
        status=status,
    )


def add_nps(contact: Contact, score: int, *, days_ago: int = 1) -> SurveyResponse:
    survey = Survey.objects.filter(kind=SurveyKind.NPS).first() or Survey.objects.create(
        name="NPS", kind=SurveyKind.NPS, question="Q?", email_subject="S"
    )
    return SurveyResponse.objects.create(
        survey=survey,
        contact=contact,
        score=score,
        category=score_category(SurveyKind.NPS, score),
        answered_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def years_before(years: int, days: int = 0) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - dt.timedelta(days=days)


@pytest.fixture
def people(admin) -> dict[str, Contact]:
    """Anna (DE, engaged customer, big spender), Ben (DE prospect), Chloé (FR, no data)."""
    acme = make_account(admin, name="Acme", industry="Software", employees=250,
                        annual_revenue=Decimal("5000000"), billing_country="DE")  # fmt: skip
    shop = make_account(admin, name="Shop", industry="Retail", employees=8)
    now = timezone.now()
    anna = make_contact(
        admin, first_name="Anna", last_name="Alt", country="DE", city="Berlin",
        postal_code="10115", language="de", gender="female", lifecycle_stage="customer",
        title="Head of Sales", account=acme, birth_date=years_before(40, 10),
        interests=["golf", "wine"], values=["sustainability"], custom={},
    )  # fmt: skip
    ben = make_contact(
        admin, first_name="Ben", last_name="Brandt", country="DE", city="Munich",
        postal_code="80331", language="de", lifecycle_stage="lead", account=shop,
        birth_date=years_before(25, -10), interests=["wine"],
    )  # fmt: skip
    chloe = make_contact(admin, first_name="Chloé", last_name="Cohen", country="FR")
    Contact.objects.filter(pk=anna.pk).update(
        interactions_30d=5, interactions_90d=9, last_interaction_at=now - dt.timedelta(days=2),
        engagement={"30d": {"email": 4, "call": 1}, "90d": {"email": 7, "call": 2}},
    )  # fmt: skip
    Contact.objects.filter(pk=ben.pk).update(
        interactions_30d=0, interactions_90d=1, last_interaction_at=now - dt.timedelta(days=60),
        engagement={"30d": {}, "90d": {"email": 1}},
    )  # fmt: skip
    add_order(anna, "1200.00", days_ago=3)
    add_order(anna, "800.00", days_ago=100)
    add_order(anna, "5000.00", days_ago=5, status=OrderStatus.CANCELLED)
    add_order(ben, "50.00", days_ago=200)
    add_nps(anna, 3, days_ago=30)
    add_nps(anna, 10, days_ago=2)
    add_nps(ben, 5, days_ago=10)
    return {"anna": anna, "ben": ben, "chloe": chloe}


def names(queryset: Any) -> set[str]:
    return {contact.first_name for contact in queryset}
