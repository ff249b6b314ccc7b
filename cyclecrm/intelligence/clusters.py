"""The clusters job: groups customers by behaviour and writes `CustomerInsight.cluster`.

A customer is a contact with at least one paid or fulfilled order. Their features are
aggregated in one SQL query (orders grouped per contact, amounts converted to the base
currency at the rate of the order day; orders in a currency without a rate that day are left
out), streamed with `.iterator()`; only the feature matrix (six numbers per customer) is held
in memory. The numerics are in `clustering.py`; see docs/intelligence/clusters-and-segments.md.

Cluster numbers are those of the newest run: a retrained model may number the same group
differently, so every contact's cluster is rewritten (and cleared for contacts that are no
longer customers) in one transaction.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Max, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cyclecrm.activities.engagement import counted_q
from cyclecrm.activities.models import Interaction
from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.core.db.vendor import upsert_rows
from cyclecrm.intelligence import clustering
from cyclecrm.intelligence.models import CustomerInsight, ModelKind, ModelRun
from cyclecrm.intelligence.trainers import NotEnoughData, Progress, trainer
from cyclecrm.pipeline.currency import AMOUNT_FIELD, rate_expression

# Fewer customers than this give clusters of a handful of people each: not worth a segment.
MIN_CUSTOMERS = 30
COUNTED_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
INTERACTION_WINDOW_DAYS = 90
WRITE_BATCH = 2000
CHUNK = 2000


def customer_rows(*, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """Per customer, in contact order: contact_id, orders, revenue (base currency), first and
    last order time, interactions in the 90 days before `now` (one query, streamed)."""
    since = now - dt.timedelta(days=INTERACTION_WINDOW_DAYS)
    interactions = (
        Interaction.objects.filter(
            counted_q(), contact=OuterRef("contact_id"), occurred_at__gt=since, occurred_at__lte=now
        )
        .order_by()
        .values("contact")
        .annotate(n=Count("id"))
        .values("n")
    )
    counted = Order.objects.filter(
        status__in=COUNTED_STATUSES, contact__isnull=False, ordered_at__lte=now
    )
    orders = (
        counted.annotate(order_day=TruncDate("ordered_at"))
        .annotate(fx_rate=rate_expression(currency="currency", day="order_day"))
        .filter(fx_rate__isnull=False)
        .order_by()
        .values("contact_id")
        .annotate(
            orders=Count("id"),
            revenue=Sum(F("total") * F("fx_rate"), output_field=AMOUNT_FIELD),
            first=Min("ordered_at"),
            last=Max("ordered_at"),
            interactions=Coalesce(Subquery(interactions), Value(0)),
        )
        .order_by("contact_id")
    )
    yield from orders.iterator(chunk_size=CHUNK)


def feature_matrix(*, now: dt.datetime) -> tuple[list[int], np.ndarray]:
    """Contact ids and the matrix of `clustering.CUSTOMER_FEATURES` (original units)."""
    ids: list[int] = []
    values: list[tuple[float, ...]] = []
    for row in customer_rows(now=now):
        revenue = float(row["revenue"] or 0)
        ids.append(row["contact_id"])
        values.append(
            (
                max((now - row["last"]).total_seconds() / 86400, 0.0),
                float(row["orders"]),
                revenue,
                revenue / row["orders"],
                max((now - row["first"]).total_seconds() / 86400, 0.0),
                float(row["interactions"]),
            )
        )
    matrix = np.array(values, dtype=float).reshape(len(values), len(clustering.CUSTOMER_FEATURES))
    return ids, matrix


def write_clusters(contact_ids: list[int], labels: np.ndarray) -> None:
    """Replace every contact's cluster: clear the old numbers, upsert the new ones (creating
    insight rows where a customer has none yet), in one transaction."""
    with transaction.atomic():
        CustomerInsight.objects.filter(cluster__isnull=False).update(cluster=None)
        for start in range(0, len(contact_ids), WRITE_BATCH):
            rows = [
                CustomerInsight(contact_id=pk, cluster=int(label))
                for pk, label in zip(
                    contact_ids[start : start + WRITE_BATCH],
                    labels[start : start + WRITE_BATCH],
                    strict=True,
                )
            ]
            upsert_rows(CustomerInsight, rows, unique_fields=["contact"], update_fields=["cluster"])


def _k_range(options: dict[str, Any]) -> range:
    low = int(options.get("min_k", clustering.DEFAULT_K_RANGE.start))
    high = int(options.get("max_k", clustering.DEFAULT_K_RANGE.stop - 1))
    if not 2 <= low <= high <= 20:
        raise NotEnoughData("Choose min_k and max_k with 2 ≤ min_k ≤ max_k ≤ 20.")
    return range(low, high + 1)


@trainer(ModelKind.CLUSTERS)
def train(run: ModelRun, progress: Progress) -> None:
    now = timezone.now()
    k_range = _k_range(run.options)
    progress(5, "Aggregating orders per customer", force=True)
    ids, matrix = feature_matrix(now=now)
    if len(ids) < MIN_CUSTOMERS:
        raise NotEnoughData(
            f"Clustering needs at least {MIN_CUSTOMERS} customers with a paid or fulfilled "
            f"order; there are {len(ids)}."
        )

    def report(k: int) -> None:
        done = (k - k_range.start) / len(k_range)
        progress(20 + 60 * done, f"Fitting k = {k} on {len(ids):,} customers")

    try:
        result = clustering.cluster_customers(matrix, k_range=k_range, report=report)
    except ValueError as error:
        raise NotEnoughData(str(error)) from error
    progress(85, f"Writing the clusters of {len(ids):,} customers", force=True)
    write_clusters(ids, result.labels)
    _record(run, result, len(ids), now)


def _record(run: ModelRun, result: clustering.ClusterResult, customers: int, now: Any) -> None:
    run.trained_on = customers
    run.evaluated_on = min(customers, clustering.SILHOUETTE_SAMPLE)
    run.scored = customers
    silhouettes = {str(k): round(score, 4) for k, score in result.silhouettes.items()}
    run.metrics = {"k": result.k, "silhouette": silhouettes[str(result.k)], "by_k": silhouettes}
    run.parameters = {
        "as_of": now.isoformat(),
        "k": result.k,
        "features": [
            {"key": f.key, "label": f.label, "log1p": f.log} for f in clustering.CUSTOMER_FEATURES
        ],
        "scaler": {"mean": result.scaler_mean, "scale": result.scaler_scale},
        "centres_scaled": result.scaled_centres,
        "overall_mean": result.overall_mean,
        "profiles": [profile.as_dict() for profile in result.profiles],
        "names": {str(p.number): p.name for p in result.profiles},
        "silhouette_sample": clustering.SILHOUETTE_SAMPLE,
        "n_init": clustering.N_INIT,
        "random_state": clustering.RANDOM_STATE,
        "min_customers": MIN_CUSTOMERS,
    }
