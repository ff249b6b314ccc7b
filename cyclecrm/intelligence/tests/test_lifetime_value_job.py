"""The CLV and RFM jobs on the CRM's orders: what counts as a purchase, conversion to the base
currency, same-day merging, the scores they write, the hold-out figures, and refusals."""

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.core.management import call_command

from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.intelligence import clv, rfm
from cyclecrm.intelligence.models import CustomerInsight, ModelKind, RunStatus
from cyclecrm.intelligence.services import model_run_train_now
from cyclecrm.intelligence.trainers import load_all
from cyclecrm.intelligence.transactions import daily, summarise
from cyclecrm.pipeline.models import ExchangeRate

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)
START = dt.date(2024, 7, 1)
EUR_RATE = Decimal("1.25")


@pytest.fixture(autouse=True)
def _trainers():
    load_all()


def _moment(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _base() -> str:
    return settings.CYCLECRM["DEFAULT_CURRENCY"].upper()


def _population(customers: int, seed: int = 3) -> pd.DataFrame:
    """Customers buying at their own rate until they drop out; returns the purchases the job
    should count (customer, date, amount in the base currency)."""
    rng = np.random.default_rng(seed)
    contacts = Contact.objects.bulk_create(
        [Contact(last_name=f"Customer {i}") for i in range(customers)]
    )
    orders, expected = [], []
    foreign = "EUR" if _base() != "EUR" else "USD"
    ExchangeRate.objects.create(currency=foreign, valid_from=START, rate=EUR_RATE)
    for contact in contacts:
        day = START + dt.timedelta(days=int(rng.integers(0, 400)))
        rate, dropout = rng.gamma(1.5, 1 / 60), rng.beta(1, 4)
        currency = foreign if rng.random() < 0.2 else _base()
        while day <= AS_OF:
            total = Decimal(int(rng.integers(20, 400)))
            orders.append((contact, day, total, currency, OrderStatus.PAID))
            factor = EUR_RATE if currency == foreign else 1
            expected.append((str(contact.pk), pd.Timestamp(day), float(total * factor)))
            if rng.random() < dropout:
                break
            day += dt.timedelta(days=max(1, int(rng.exponential(1 / rate))))
    Order.objects.bulk_create(
        [
            Order(
                number=f"T-{number}",
                contact=contact,
                ordered_at=_moment(day),
                total=total,
                currency=currency,
                status=status,
            )
            for number, (contact, day, total, currency, status) in enumerate(orders)
        ]
    )
    return pd.DataFrame(expected, columns=["customer", "date", "amount"])


def _insight(contact_id: int) -> CustomerInsight:
    return CustomerInsight.objects.get(contact_id=contact_id)


def test_clv_job_scores_customers_as_the_models_predict():
    purchases = _population(160)
    first = Contact.objects.order_by("pk").first()
    # Not purchases: cancelled, pending, no contact, a currency without a rate.
    for number, status in enumerate([OrderStatus.CANCELLED, OrderStatus.PENDING]):
        Order.objects.create(
            number=f"X-{number}", contact=first, ordered_at=_moment(AS_OF), total=999, status=status
        )
    Order.objects.create(
        number="X-9", ordered_at=_moment(AS_OF), total=999, status="paid", currency=_base()
    )
    Order.objects.create(
        number="X-10", contact=first, ordered_at=_moment(AS_OF), total=9, currency="JPY",
        status="paid",
    )  # fmt: skip
    # A second order on a purchase day merges into that day.
    day = purchases[purchases["customer"] == str(first.pk)]["date"].iloc[0].date()
    Order.objects.create(
        number="X-11", contact=first, ordered_at=_moment(day, 15), total=50, currency=_base(),
        status="fulfilled",
    )  # fmt: skip
    purchases.loc[len(purchases)] = [str(first.pk), pd.Timestamp(day), 50.0]

    run = model_run_train_now(kind=ModelKind.CLV, options={"as_of": AS_OF.isoformat()})

    assert run.status == RunStatus.SUCCEEDED, run.message
    summary = summarise(daily(purchases), calibration_end=AS_OF, period_days=7)
    models = clv.fit_models(
        summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    )
    for name, value in models.bgnbd.params.as_dict().items():
        assert run.parameters[name] == pytest.approx(value, rel=1e-4)
    assert run.trained_on == run.scored == len(summary) == 160
    assert run.metrics["orders_without_rate"] == 1

    mine = summary.loc[str(first.pk)]
    insight = _insight(first.pk)
    own_orders = purchases[purchases["customer"] == str(first.pk)]
    assert insight.orders_count == len(own_orders)
    assert insight.purchase_days == own_orders["date"].nunique() == mine["purchase_days"]
    assert insight.revenue == Decimal(str(round(own_orders["amount"].sum(), 2)))
    assert insight.average_order_value == (insight.revenue / insight.orders_count).quantize(
        Decimal("0.01")
    )
    assert insight.first_order_at == _moment(own_orders["date"].min().date())
    x, t_x, T = mine["frequency"], mine["recency"], mine["T"]
    params = models.bgnbd.params
    assert insight.p_alive == pytest.approx(
        float(clv.bgnbd_probability_alive(params, [x], [t_x], [T])[0]), rel=1e-3
    )
    assert insight.expected_purchases == pytest.approx(
        float(clv.bgnbd_conditional_expected_purchases(params, 53, x, t_x, T)), rel=1e-3
    )
    assert insight.predicted_clv > 0


def test_clv_job_reports_the_holdout_figures():
    _population(200, seed=5)
    run = model_run_train_now(
        kind=ModelKind.CLV, options={"as_of": AS_OF.isoformat(), "holdout_days": 120}
    )
    assert run.status == RunStatus.SUCCEEDED, run.message
    holdout = run.metrics["holdout"]
    assert holdout["holdout_days"] == 120
    assert holdout["calibration_end"] == (AS_OF - dt.timedelta(days=120)).isoformat()
    assert run.evaluated_on == holdout["customers"] > 0
    assert holdout["actual_purchases"] > 0
    assert holdout["predicted_purchases"] == pytest.approx(holdout["actual_purchases"], rel=0.5)
    assert holdout["mean_absolute_error"] > 0


def test_clv_job_refuses_with_too_few_repeat_buyers():
    contacts = Contact.objects.bulk_create([Contact(last_name=f"C{i}") for i in range(60)])
    Order.objects.bulk_create(
        Order(
            number=f"N-{i}",
            contact=c,
            ordered_at=_moment(AS_OF),
            total=10,
            status="paid",
            currency=_base(),
        )
        for i, c in enumerate(contacts)
    )
    run = model_run_train_now(kind=ModelKind.CLV, options={"as_of": AS_OF.isoformat()})
    assert run.status == RunStatus.REFUSED
    assert "at least 50 customers" in run.message and "there are 60 and 0" in run.message
    assert not CustomerInsight.objects.exists()


def test_rfm_job_writes_scores_and_groups_and_clears_old_figures():
    purchases = _population(40, seed=11)
    gone = Contact.objects.create(last_name="Gone")
    CustomerInsight.objects.create(contact=gone, orders_count=3, rfm_group="champions")
    run = model_run_train_now(kind=ModelKind.RFM, options={"as_of": AS_OF.isoformat()})
    assert run.status == RunStatus.SUCCEEDED, run.message

    history = summarise(daily(purchases), calibration_end=AS_OF, period_days=1)
    expected = rfm.score(
        (pd.Timestamp(AS_OF) - history["last"]).dt.days,
        history["purchase_days"],
        history["revenue"],
    )
    insights = {str(i.contact_id): i for i in CustomerInsight.objects.exclude(contact=gone)}
    assert len(insights) == run.scored == 40
    for customer, row in expected.iterrows():
        insight = insights[customer]
        scores = (insight.recency_score, insight.frequency_score, insight.monetary_score)
        assert scores == (row["recency_score"], row["frequency_score"], row["monetary_score"])
        assert insight.rfm_group == row["rfm_group"]
    assert sum(run.metrics["groups"].values()) == 40
    stale = _insight(gone.pk)
    assert (stale.orders_count, stale.rfm_group, stale.recency_score) == (0, "", None)


def test_rfm_job_refuses_below_ten_customers():
    contacts = Contact.objects.bulk_create([Contact(last_name=f"C{i}") for i in range(9)])
    Order.objects.bulk_create(
        Order(
            number=f"R-{i}",
            contact=c,
            ordered_at=_moment(AS_OF),
            total=10,
            status="paid",
            currency=_base(),
        )
        for i, c in enumerate(contacts)
    )
    run = model_run_train_now(kind=ModelKind.RFM, options={"as_of": AS_OF.isoformat()})
    assert run.status == RunStatus.REFUSED
    assert run.message == "RFM groups need at least 10 customers with a paid order; there are 9."


def test_demo_orders_give_both_models_enough_to_learn():
    call_command(
        "demo", "--contacts", "300", "--accounts", "30", stdout=io.StringIO(), stderr=io.StringIO()
    )
    rfm_run = model_run_train_now(kind=ModelKind.RFM)
    clv_run = model_run_train_now(kind=ModelKind.CLV)
    assert (rfm_run.status, clv_run.status) == (RunStatus.SUCCEEDED, RunStatus.SUCCEEDED), (
        rfm_run.message + clv_run.message
    )
    assert clv_run.parameters["repeat_customers"] >= clv.MIN_REPEAT_CUSTOMERS
    assert clv_run.metrics["orders_without_rate"] == 0
    assert clv_run.scored == rfm_run.scored == CustomerInsight.objects.count()
