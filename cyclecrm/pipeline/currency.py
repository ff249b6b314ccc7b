"""Exchange rates and conversion to the base currency.

A rate says how many units of the base currency (`settings.CYCLECRM["DEFAULT_CURRENCY"]`) one
unit of a currency was worth from its `valid_from` day on. The rate of a day is the one with the
latest `valid_from` on or before that day; the base currency is always worth 1. A day before the
first rate of a currency has no rate: converting then raises `MissingExchangeRate` naming the
currency and the day, rather than guessing.

`to_base` converts one amount in Python. Reports convert in the database: `with_base_amounts`
annotates each opportunity with its rate (a correlated subquery) and its amount in the base
currency, so sums are aggregates over already converted amounts.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from cyclecrm.core.errors import CrmError
from cyclecrm.core.money import round_money
from cyclecrm.pipeline.models import ExchangeRate

RATE_FIELD = DecimalField(max_digits=20, decimal_places=10)
AMOUNT_FIELD = DecimalField(max_digits=30, decimal_places=10)


class MissingExchangeRate(CrmError):
    status = 422
    code = "missing_exchange_rate"

    def __init__(self, currency: str, on: dt.date) -> None:
        self.currency = currency
        self.on = on
        message = (
            f"No exchange rate for {currency} on {on.isoformat()}: add a {currency} rate valid "
            f"from {on.isoformat()} or earlier (Settings → Exchange rates)."
        )
        super().__init__(message, fields={"currency": [message]})


def base_currency() -> str:
    return settings.CYCLECRM["DEFAULT_CURRENCY"].upper()


def rate_on(currency: str, on: dt.date) -> Decimal:
    """Base units per unit of `currency` on day `on`."""
    currency = currency.upper()
    if currency == base_currency():
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency=currency, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise MissingExchangeRate(currency, on)
    return rate


def to_base(amount: Decimal, currency: str, on: dt.date) -> Decimal:
    """`amount` of `currency` in the base currency at the rate of day `on`, rounded to the base
    currency's minor unit (half up)."""
    return round_money(Decimal(amount) * rate_on(currency, on), base_currency())


def rate_expression(*, currency: str, day: str) -> Case:
    """Per-row rate for annotations: 1 for the base currency, else the latest rate valid on the
    row's `day` (the name of a date field or annotation), NULL when there is none."""
    latest = (
        ExchangeRate.objects.filter(currency=OuterRef(currency), valid_from__lte=OuterRef(day))
        .order_by("-valid_from")
        .values("rate")[:1]
    )
    return Case(
        When(Q(**{currency: base_currency()}), then=Value(Decimal(1), output_field=RATE_FIELD)),
        default=Subquery(latest, output_field=RATE_FIELD),
        output_field=RATE_FIELD,
    )


def report_day_expression(today: dt.date) -> Case:
    """The day an opportunity's amount is converted at: its close day once closed (won or lost),
    else its expected close date (today when missing)."""
    return Case(
        When(closed_at__isnull=False, then=TruncDate("closed_at")),
        default=Coalesce("expected_close_date", Value(today, output_field=DateField())),
        output_field=DateField(),
    )


def with_base_amounts(queryset: QuerySet, *, today: dt.date) -> QuerySet:
    """Annotate opportunities with `report_day`, `fx_rate` (NULL when missing), `base_amount`
    (amount * rate) and `base_weighted` (amount * rate * probability / 100)."""
    return queryset.annotate(
        report_day=report_day_expression(today),
        fx_rate=rate_expression(currency="currency", day="report_day"),
        base_amount=ExpressionWrapper(F("amount") * F("fx_rate"), output_field=AMOUNT_FIELD),
        base_weighted=ExpressionWrapper(
            F("amount") * F("fx_rate") * F("probability") / Value(Decimal(100)),
            output_field=AMOUNT_FIELD,
        ),
    )


def require_rates(annotated: QuerySet) -> None:
    """Raise MissingExchangeRate for the first row of `with_base_amounts` without a rate."""
    missing = (
        annotated.filter(fx_rate__isnull=True)
        .order_by("currency", "report_day")
        .values_list("currency", "report_day")
        .first()
    )
    if missing is not None:
        currency, day = missing
        if isinstance(day, str):  # SQLite hands computed dates back as text
            day = dt.date.fromisoformat(day)
        raise MissingExchangeRate(currency, day)


def base_total(value: Decimal | None) -> Decimal:
    """A sum of base amounts, rounded to the base currency's minor unit (None counts as 0)."""
    return round_money(Decimal(value or 0), base_currency())
