"""Churn risk: the probability that a customer buys nothing more within the churn window,
learned from the CRM's order history (docs/intelligence/lead-scoring-and-churn.md).

Customer: a contact with at least one paid or fulfilled order. Churned at the end of a window
of `window_days` (default 180) after a snapshot date when they bought nothing in that window,
or, for the window that ends today, when their lifecycle stage is "Churned" (an explicit churn;
the stage has no date, so it can label only the latest window).

Out-of-time hold-out: features as of S1 = today - 2 x window, labelled by purchases in
(S1, S1 + window], train the model; features as of S2 = today - window, labelled by (S2, today],
test it. Only customers still active at the snapshot (a purchase within the window before it,
not explicitly churned) are at risk and are learned from. The model is then refitted on both
snapshots and scores every current customer with features as of today.

Bands (options): high from `high_threshold` (0.6), medium from `medium_threshold` (0.3), low
below. When a customer's band becomes high, `contact.churn_risk_high` is emitted (a workflow
trigger) with `{"probability", "previous_band", "factors"}`: only on that transition, and not on
the very first churn run, which sets the baseline.
"""

import datetime as dt
import math
from typing import Any

import pandas as pd
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cyclecrm.activities.models import Interaction
from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.contacts.models import Contact, LifecycleStage
from cyclecrm.core.db.vendor import upsert_rows
from cyclecrm.core.events import Event, emit
from cyclecrm.feedback.models import SurveyKind, SurveyResponse
from cyclecrm.intelligence import classifier
from cyclecrm.intelligence.models import (
    CHURN_WINDOW_DAYS,
    CustomerInsight,
    ModelKind,
    ModelRun,
    RunStatus,
)
from cyclecrm.intelligence.trainers import NotEnoughData, Progress, in_chunks, trainer
from cyclecrm.support.models import Case

EVENT_HIGH_RISK = "contact.churn_risk_high"
DEFAULT_OPTIONS: dict[str, Any] = {
    "window_days": CHURN_WINDOW_DAYS,
    "high_threshold": 0.6,
    "medium_threshold": 0.3,
    "min_per_class": 30,
    "min_per_class_holdout": 5,
}
PAID = (OrderStatus.PAID, OrderStatus.FULFILLED)
CHUNK = 2000
TREND_DAYS = 90
BREACH_LOOKBACK_DAYS = 365
CLASS_NAMES = ("customers who stayed", "customers who churned")
FEATURES = classifier.Features(
    numeric=(
        "recency_days",
        "orders",
        "log_revenue",
        "tenure_days",
        "interactions_90d",
        "interaction_trend",
        "open_cases",
        "breached_cases",
        "last_nps",
        "last_csat",
    ),
    labels={
        "recency_days": "Days since the last order",
        "orders": "Orders",
        "log_revenue": "Revenue (log)",
        "tenure_days": "Days since the first order",
        "interactions_90d": "Interactions in the last 90 days",
        "interaction_trend": "Interactions: last 90 days minus the 90 before",
        "open_cases": "Open cases",
        "breached_cases": "Cases with a breached SLA (last year)",
        "last_nps": "Last NPS answer",
        "last_csat": "Last CSAT answer",
    },
)
COLUMNS = (
    "id",
    "lifecycle_stage",
    "first_order_at",
    "last_order_at",
    "order_count",
    "revenue_total",
    "recent_interactions",
    "previous_interactions",
    "open_case_count",
    "breached_case_count",
    "nps_score",
    "csat_score",
)


def _count(queryset: Any) -> Coalesce:
    counted = queryset.order_by().values("contact").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def customers_as_of(at: dt.datetime, *, bought_until: dt.datetime | None = None) -> Any:
    """Customers at `at` with their features as of `at`, all in one query of correlated
    subqueries (each on an indexed contact column). With `bought_until`, also `bought_after`:
    whether they bought in (at, bought_until]."""
    paid = Order.objects.filter(contact=OuterRef("pk"), status__in=PAID)
    before = paid.filter(ordered_at__lte=at)
    interactions = Interaction.objects.filter(contact=OuterRef("pk"), occurred_at__lte=at)
    cases = Case.objects.filter(contact=OuterRef("pk"), created_at__lte=at)
    answers = SurveyResponse.objects.filter(contact=OuterRef("pk"), answered_at__lte=at)
    since = at - dt.timedelta(days=BREACH_LOOKBACK_DAYS)
    revenue = before.order_by().values("contact").annotate(s=Sum("total")).values("s")
    queryset = (
        Contact.objects.filter(Exists(before))
        .order_by()
        .annotate(
            first_order_at=Subquery(before.order_by("ordered_at").values("ordered_at")[:1]),
            last_order_at=Subquery(before.order_by("-ordered_at").values("ordered_at")[:1]),
            order_count=_count(before),
            revenue_total=Subquery(revenue),
            recent_interactions=_count(
                interactions.filter(occurred_at__gt=at - dt.timedelta(days=TREND_DAYS))
            ),
            previous_interactions=_count(
                interactions.filter(
                    occurred_at__gt=at - dt.timedelta(days=2 * TREND_DAYS),
                    occurred_at__lte=at - dt.timedelta(days=TREND_DAYS),
                )
            ),
            open_case_count=_count(
                cases.filter(Q(closed_at__isnull=True) | Q(closed_at__gt=at)).filter(
                    Q(resolved_at__isnull=True) | Q(resolved_at__gt=at)
                )
            ),
            breached_case_count=_count(
                cases.filter(
                    Q(first_response_breached_at__gt=since, first_response_breached_at__lte=at)
                    | Q(resolution_breached_at__gt=since, resolution_breached_at__lte=at)
                )
            ),
            nps_score=_last_score(answers, SurveyKind.NPS),
            csat_score=_last_score(answers, SurveyKind.CSAT),
        )
    )
    columns = list(COLUMNS)
    if bought_until is not None:
        queryset = queryset.annotate(
            bought_after=Exists(paid.filter(ordered_at__gt=at, ordered_at__lte=bought_until))
        )
        columns.append("bought_after")
    return queryset.values(*columns)


def _last_score(answers: Any, kind: str) -> Subquery:
    latest = answers.filter(survey__kind=kind).order_by("-answered_at", "-id")
    return Subquery(latest.values("score")[:1], output_field=IntegerField())


def features_frame(rows: list[dict[str, Any]], at: dt.datetime) -> pd.DataFrame:
    """The model's features from `customers_as_of` rows."""
    columns = list(rows[0]) if rows else [*COLUMNS, "bought_after"]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    last = pd.to_datetime(frame["last_order_at"], utc=True)
    first = pd.to_datetime(frame["first_order_at"], utc=True)
    moment = pd.Timestamp(at)
    frame["recency_days"] = (moment - last).dt.total_seconds() / 86400
    frame["tenure_days"] = (moment - first).dt.total_seconds() / 86400
    frame["orders"] = frame["order_count"].astype(float)
    frame["log_revenue"] = frame["revenue_total"].map(
        lambda value: math.log1p(max(float(value), 0.0)) if value is not None else 0.0
    )
    frame["interactions_90d"] = frame["recent_interactions"].astype(float)
    frame["interaction_trend"] = frame["interactions_90d"] - frame["previous_interactions"]
    frame["open_cases"] = frame["open_case_count"].astype(float)
    frame["breached_cases"] = frame["breached_case_count"].astype(float)
    frame["last_nps"] = pd.to_numeric(frame["nps_score"], errors="coerce")
    frame["last_csat"] = pd.to_numeric(frame["csat_score"], errors="coerce")
    return frame


def snapshot(at: dt.datetime, window: dt.timedelta, *, explicit: bool) -> pd.DataFrame:
    """Customers at risk at `at` (bought within the window before it, not explicitly churned
    already when `explicit` is false) with features and the label `churned` for (at, at+window].

    `explicit` (the window ending today): a customer whose stage is Churned counts as churned."""
    rows = list(customers_as_of(at, bought_until=at + window).iterator(chunk_size=CHUNK))
    frame = features_frame(rows, at)
    if frame.empty:
        frame["churned"] = pd.Series(dtype=int)
        return frame
    frame = frame[frame["recency_days"] <= window.days].copy()
    stage_churned = frame["lifecycle_stage"] == LifecycleStage.CHURNED
    if not explicit:
        frame = frame[~stage_churned].copy()
        stage_churned = stage_churned[frame.index]
    frame["churned"] = ((~frame["bought_after"].astype(bool)) | stage_churned).astype(int)
    return frame


def options_of(run: ModelRun) -> dict[str, Any]:
    options = {**DEFAULT_OPTIONS, **(run.options or {})}
    if not 7 <= int(options["window_days"]) <= 3650:
        raise NotEnoughData("The churn window must be from 7 to 3,650 days.")
    if not 0 < float(options["medium_threshold"]) <= float(options["high_threshold"]) < 1:
        raise NotEnoughData("The churn bands need 0 < medium threshold <= high threshold < 1.")
    return options


@trainer(ModelKind.CHURN)
def train(run: ModelRun, progress: Progress) -> None:
    options = options_of(run)
    window = dt.timedelta(days=int(options["window_days"]))
    now = timezone.now()
    first_run = not ModelRun.objects.filter(
        kind=ModelKind.CHURN, status=RunStatus.SUCCEEDED
    ).exists()
    progress(5, "Customers two windows ago", force=True)
    older = snapshot(now - 2 * window, window, explicit=False)
    progress(20, "Customers one window ago", force=True)
    newer = snapshot(now - window, window, explicit=True)
    minimums = classifier.Minimums(
        per_class=int(options["min_per_class"]),
        per_class_holdout=int(options["min_per_class_holdout"]),
    )
    try:
        metrics = classifier.evaluate(
            older, older["churned"].to_numpy(), newer, newer["churned"].to_numpy(), FEATURES,
            minimums=minimums, class_names=CLASS_NAMES,
        )  # fmt: skip
    except classifier.TooLittleData as error:
        raise NotEnoughData(
            f"{error} (customers active {2 * window.days} and {window.days} days ago, "
            f"labelled by their purchases in the {window.days} days after)"
        ) from error
    both = pd.concat([older, newer], ignore_index=True)
    model = classifier.fit(both, both["churned"].to_numpy(), FEATURES)
    metrics["snapshots"] = [(now - 2 * window).isoformat(), (now - window).isoformat()]
    run.options = options
    run.metrics = metrics
    run.parameters = model
    run.trained_on = len(older)
    run.evaluated_on = len(newer)
    progress(40, "Scoring customers", force=True)
    outcome = score_customers(model, options, now, emit_events=not first_run, progress=progress)
    run.scored = outcome.pop("scored")
    run.metrics = {**metrics, **outcome}


def band(probability: float, options: dict[str, Any]) -> str:
    if probability >= float(options["high_threshold"]):
        return "high"
    if probability >= float(options["medium_threshold"]):
        return "medium"
    return "low"


def score_customers(
    model: dict[str, Any],
    options: dict[str, Any],
    at: dt.datetime,
    *,
    emit_events: bool,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write every current customer's churn probability, band and factors (features as of
    `at`); emit `contact.churn_risk_high` for each customer whose band becomes high. Returns
    `{"scored", "bands": {band: count}, "entered_high": count}`."""
    done, entered = 0, 0
    bands = {"low": 0, "medium": 0, "high": 0}
    for rows in in_chunks(customers_as_of(at).iterator(chunk_size=CHUNK), CHUNK):
        frame = features_frame(rows, at)
        probabilities, factors = classifier.score(model, frame)
        ids = [int(value) for value in frame["id"]]
        previous = dict(
            CustomerInsight.objects.filter(contact_id__in=ids).values_list(
                "contact_id", "churn_band"
            )
        )
        insights = [
            CustomerInsight(
                contact_id=contact_id,
                churn_probability=round(float(probability), 6),
                churn_band=band(float(probability), options),
                churn_factors=customer_factors,
            )
            for contact_id, probability, customer_factors in zip(
                ids, probabilities, factors, strict=True
            )
        ]
        upsert_rows(
            CustomerInsight,
            insights,
            unique_fields=["contact"],
            update_fields=["churn_probability", "churn_band", "churn_factors", "updated_at"],
        )
        for insight in insights:
            bands[insight.churn_band] += 1
        entered += _transitions(insights, previous, emit_events=emit_events)
        done += len(insights)
        if progress is not None:
            progress(60, f"Scored {done:,} customers")
    return {"scored": done, "bands": bands, "entered_high": entered}


def _transitions(
    insights: list[CustomerInsight], previous: dict[int, str], *, emit_events: bool
) -> int:
    """Count (and, with `emit_events`, announce) the customers whose band became high."""
    entered = 0
    for insight in insights:
        before = previous.get(insight.contact_id, "")
        if insight.churn_band != "high" or before == "high":
            continue
        entered += 1
        if emit_events:
            emit(
                Event(
                    EVENT_HIGH_RISK,
                    "contact",
                    insight.contact_id,
                    None,
                    {
                        "probability": insight.churn_probability,
                        "previous_band": before,
                        "factors": insight.churn_factors,
                    },
                )
            )
    return entered
