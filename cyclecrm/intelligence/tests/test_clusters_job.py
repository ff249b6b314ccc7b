"""The clusters job on CRM data: refusal, the cluster column, saving a cluster as a segment."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cyclecrm.activities.models import Interaction
from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.core.errors import Forbidden
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.intelligence.cluster_services import cluster_segment_create
from cyclecrm.intelligence.clusters import MIN_CUSTOMERS, feature_matrix
from cyclecrm.intelligence.models import CustomerInsight, ModelKind, RunStatus
from cyclecrm.intelligence.services import model_run_train_now
from cyclecrm.pipeline.currency import base_currency
from cyclecrm.pipeline.models import ExchangeRate
from cyclecrm.segments.selectors import segment_members

pytestmark = pytest.mark.django_db
_numbers = iter(range(1, 10**6))


def order(contact, total, days_ago, status=OrderStatus.PAID, currency=None):
    currency = currency or base_currency()
    return Order.objects.create(
        number=f"CL-{next(_numbers)}", contact=contact, total=Decimal(total), status=status,
        currency=currency,
        ordered_at=timezone.now() - dt.timedelta(days=days_ago),
    )  # fmt: skip


def build_customers(owner, per_group=20):
    """Two behaviours far apart: frequent big recent buyers and one-off small lapsed ones."""
    big, small = [], []
    for i in range(per_group):
        contact = make_contact(owner, last_name=f"Big{i}")
        for n in range(5 + i % 3):
            order(contact, 900 + 10 * i + n, 3 + i % 4 + 30 * n)
        Interaction.objects.create(contact=contact, channel="email", subject="Hi",
                                   occurred_at=timezone.now() - dt.timedelta(days=5))  # fmt: skip
        big.append(contact.pk)
        contact = make_contact(owner, last_name=f"Small{i}")
        order(contact, 15 + i, 250 + 3 * i)
        small.append(contact.pk)
    return big, small


@pytest.fixture
def customers(admin):
    return build_customers(admin)


def test_refuses_under_the_minimum(admin):
    build_customers(admin, per_group=MIN_CUSTOMERS // 2 - 1)
    run = model_run_train_now(kind=ModelKind.CLUSTERS)
    assert run.status == RunStatus.REFUSED
    assert f"at least {MIN_CUSTOMERS} customers" in run.message
    assert not CustomerInsight.objects.filter(cluster__isnull=False).exists()


def test_features_count_only_paid_and_fulfilled_orders(admin, customers):
    big, _ = customers
    anna = make_contact(admin, last_name="Anna")
    order(anna, 100, 10, OrderStatus.FULFILLED)
    order(anna, 300, 40)
    order(anna, 5000, 1, OrderStatus.CANCELLED)
    order(anna, 5000, 1, OrderStatus.PENDING)
    ExchangeRate.objects.create(currency="XTS", rate=Decimal("2"), valid_from=dt.date(2000, 1, 1))
    order(anna, 50, 20, currency="XTS")
    order(anna, 7000, 20, currency="XTR")  # no rate: left out
    make_contact(admin, last_name="Prospect")
    ids, matrix = feature_matrix(now=timezone.now())
    assert len(ids) == 2 * 20 + 1
    row = matrix[ids.index(anna.pk)]
    assert row[1:4].tolist() == [3.0, 500.0, 500.0 / 3]
    assert row[0] == pytest.approx(10, abs=0.01) and row[4] == pytest.approx(40, abs=0.01)
    assert matrix[ids.index(big[0]), 5] == 1.0


def test_clusters_are_written_and_recorded(admin, customers):
    big, small = customers
    stale = make_contact(admin, last_name="Former")
    CustomerInsight.objects.create(contact=stale, cluster=5)
    kept = CustomerInsight.objects.create(contact_id=big[0], rfm_group="champions")

    run = model_run_train_now(kind=ModelKind.CLUSTERS)

    assert run.status == RunStatus.SUCCEEDED, run.message
    clusters = dict(CustomerInsight.objects.values_list("contact_id", "cluster"))
    big_clusters = {clusters[pk] for pk in big}
    small_clusters = {clusters[pk] for pk in small}
    assert not big_clusters & small_clusters
    assert clusters[stale.pk] is None
    kept.refresh_from_db()
    assert kept.rfm_group == "champions"
    assert run.trained_on == run.scored == 40
    k = run.parameters["k"]
    assert run.metrics["by_k"][str(k)] == max(run.metrics["by_k"].values())
    profiles = run.parameters["profiles"]
    assert [p["number"] for p in profiles] == list(range(k))
    for profile in profiles:
        members = [pk for pk, number in clusters.items() if number == profile["number"]]
        assert profile["size"] == len(members)


def test_saved_segment_holds_exactly_the_cluster(admin, marketer, customers):
    model_run_train_now(kind=ModelKind.CLUSTERS)
    number = CustomerInsight.objects.get(contact_id=customers[1][0]).cluster
    expected = set(
        CustomerInsight.objects.filter(cluster=number).values_list("contact_id", flat=True)
    )

    segment = cluster_segment_create(actor=marketer, number=number)

    assert segment.rules == {"all": [{"field": "insight.cluster", "op": "eq", "value": number}]}
    assert segment.name.startswith(f"Cluster {number}: ")
    assert set(segment_members(actor=admin, segment=segment).values_list("pk", flat=True)) == (
        expected
    )


def test_a_sales_rep_cannot_save_a_cluster(rep_a, customers):
    model_run_train_now(kind=ModelKind.CLUSTERS)
    with pytest.raises(Forbidden):
        cluster_segment_create(actor=rep_a, number=0)
