"""The RFM job: quintile scores and named groups of every purchasing contact from the CRM's
orders (docs/intelligence/clv-and-rfm.md, "RFM"), plus the order-history columns. Segment
conditions read the columns it fills."""

import datetime as dt
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone

from cyclecrm.intelligence import rfm
from cyclecrm.intelligence.models import ModelKind, ModelRun
from cyclecrm.intelligence.order_history import (
    HISTORY_FIELDS,
    daily_purchases,
    history_values,
    orders_without_rate,
    reset_columns,
    write_insights,
)
from cyclecrm.intelligence.trainers import NotEnoughData, Progress, trainer
from cyclecrm.intelligence.transactions import summarise

# Quintiles of fewer customers say nothing (with 10, each score holds two).
MIN_CUSTOMERS = 10
SCORE_FIELDS = ["recency_score", "frequency_score", "monetary_score", "rfm_group"]


@trainer(ModelKind.RFM)
def train(run: ModelRun, progress: Progress) -> None:
    options = dict(run.options or {})
    as_of = dt.date.fromisoformat(options["as_of"]) if options.get("as_of") else None
    as_of = as_of or timezone.localdate()
    progress(5, "Reading orders", force=True)
    days = daily_purchases()
    history = summarise(days, calibration_end=as_of, period_days=1) if not days.empty else None
    customers = 0 if history is None else len(history)
    if history is None or customers < MIN_CUSTOMERS:
        raise NotEnoughData(
            f"RFM groups need at least {MIN_CUSTOMERS} customers with a paid order; "
            f"there are {customers}."
        )
    frame = pd.DataFrame(
        {
            "recency_days": (pd.Timestamp(as_of) - history["last"]).dt.days,
            "purchase_days": history["purchase_days"],
            "revenue": history["revenue"],
        }
    )
    scored = rfm.score(frame["recency_days"], frame["purchase_days"], frame["revenue"])
    progress(50, "Writing scores", force=True)

    def values(contact_id: int, row: Any, moments: tuple) -> dict[str, Any]:
        return {
            **history_values(row, moments),
            "recency_score": int(row.recency_score),
            "frequency_score": int(row.frequency_score),
            "monetary_score": int(row.monetary_score),
            "rfm_group": row.rfm_group,
        }

    with transaction.atomic():
        reset_columns(HISTORY_FIELDS + SCORE_FIELDS)
        run.scored = write_insights(
            history.join(scored), values, HISTORY_FIELDS + SCORE_FIELDS, progress=progress
        )
    run.options = {**options, "as_of": as_of.isoformat()}
    run.trained_on = customers
    run.parameters = {"groups": [list(row[:4]) for row in rfm.GROUP_TABLE]}
    run.metrics = {**rfm.summary(frame, scored), "orders_without_rate": orders_without_rate()}
