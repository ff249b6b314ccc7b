"""The lifetime-value job: BG/NBD + Gamma-Gamma on the CRM's orders (docs/intelligence/
clv-and-rfm.md). It first fits on the history up to a cut-off and checks the predicted purchases
of the hold-out period against what customers actually bought (the run's metrics), then refits
on the whole history and scores every customer: P(alive), expected purchases and discounted
CLV over the horizon, and the order-history columns."""

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from cyclecrm.intelligence import clv
from cyclecrm.intelligence.models import ModelKind, ModelRun
from cyclecrm.intelligence.order_history import (
    HISTORY_FIELDS,
    daily_purchases,
    history_values,
    money,
    orders_without_rate,
    reset_columns,
    write_insights,
)
from cyclecrm.intelligence.trainers import NotEnoughData, Progress, trainer
from cyclecrm.intelligence.transactions import summarise

DEFAULTS: dict[str, Any] = {
    "period_days": 7,
    "horizon_days": 365,
    "discount_rate": 0.10,
    # None: a quarter of the order history's span, at most MAX_HOLDOUT_DAYS.
    "holdout_days": None,
}
MAX_HOLDOUT_DAYS = 180
SCORE_FIELDS = ["p_alive", "expected_purchases", "predicted_clv"]


def _options(run: ModelRun) -> dict[str, Any]:
    options = {**DEFAULTS, **(run.options or {})}
    if float(options["period_days"]) <= 0 or float(options["horizon_days"]) <= 0:
        raise NotEnoughData("Period and horizon must be a positive number of days.")
    return options


def _check_enough(summary: pd.DataFrame, when: str) -> None:
    customers = len(summary)
    repeat = int((summary["frequency"] > 0).sum())
    if customers < clv.MIN_CUSTOMERS or repeat < clv.MIN_REPEAT_CUSTOMERS:
        raise NotEnoughData(
            f"Lifetime value needs at least {clv.MIN_CUSTOMERS} customers with a paid order, "
            f"{clv.MIN_REPEAT_CUSTOMERS} of them with a repeat purchase on another day; "
            f"{when} there are {customers} and {repeat}."
        )


def _fit(summary: pd.DataFrame) -> clv.Models:
    return clv.fit_models(
        summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    )


def _holdout(days: pd.DataFrame, options: dict[str, Any]) -> dict[str, Any]:
    """Fit up to the cut-off, compare predicted and actual purchase days after it."""
    first, last = days["date"].min(), days["date"].max()
    span = (last - first).days
    holdout_days = options["holdout_days"]
    if holdout_days is None:
        holdout_days = min(MAX_HOLDOUT_DAYS, span // 4)
    holdout_days = int(holdout_days)
    if holdout_days <= 0:
        return {"skipped": "The order history is too short for a hold-out."}
    cutoff = (last - pd.Timedelta(days=holdout_days)).date()
    period_days = float(options["period_days"])
    calibration = summarise(
        days, calibration_end=cutoff, period_days=period_days, holdout_end=last.date()
    )
    try:
        _check_enough(calibration, f"before the hold-out cut-off {cutoff.isoformat()}")
    except NotEnoughData as reason:
        return {"skipped": str(reason)}
    models = _fit(calibration)
    metrics = clv.holdout_metrics(
        models.bgnbd.params,
        calibration["frequency"],
        calibration["recency"],
        calibration["T"],
        calibration["holdout_purchases"],
        periods=holdout_days / period_days,
    )
    return {
        **metrics,
        "calibration_end": cutoff.isoformat(),
        "holdout_end": last.date().isoformat(),
        "holdout_days": holdout_days,
        "calibration_parameters": models.parameters(),
    }


def _scores(summary: pd.DataFrame, models: clv.Models, options: dict[str, Any]) -> pd.DataFrame:
    period_days = float(options["period_days"])
    periods = max(1, math.ceil(float(options["horizon_days"]) / period_days))
    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    value = clv.gamma_gamma_expected_value(
        models.gamma_gamma.params, x, summary["monetary_value"].fillna(0)
    )
    return pd.DataFrame(
        {
            "p_alive": clv.bgnbd_probability_alive(models.bgnbd.params, x, t_x, T),
            "expected_purchases": clv.bgnbd_conditional_expected_purchases(
                models.bgnbd.params, periods, x, t_x, T
            ),
            "predicted_clv": clv.discounted_clv(
                models.bgnbd.params,
                value,
                x,
                t_x,
                T,
                periods=periods,
                discount_rate=clv.period_discount_rate(
                    float(options["discount_rate"]), period_days
                ),
            ),
        },
        index=summary.index,
    )


@trainer(ModelKind.CLV)
def train(run: ModelRun, progress: Progress) -> None:
    options = _options(run)
    progress(5, "Reading orders", force=True)
    days = daily_purchases()
    if days.empty:
        raise NotEnoughData("There are no paid or fulfilled orders with a contact yet.")
    as_of = dt.date.fromisoformat(options["as_of"]) if options.get("as_of") else None
    as_of = as_of or timezone.localdate()
    summary = summarise(days, calibration_end=as_of, period_days=float(options["period_days"]))
    _check_enough(summary, f"as of {as_of.isoformat()}")
    progress(20, "Checking on the hold-out", force=True)
    holdout = _holdout(days[days["date"] <= pd.Timestamp(as_of)], options)
    progress(50, "Fitting on the whole history", force=True)
    models = _fit(summary)
    scores = summary.join(_scores(summary, models, options))
    if not np.all(np.isfinite(scores[SCORE_FIELDS].to_numpy(dtype=float))):
        raise ValueError("The fitted model gives non-finite scores.")
    progress(80, "Scoring customers", force=True)

    def values(contact_id: int, row: Any, moments: tuple) -> dict[str, Any]:
        return {
            **history_values(row, moments),
            "p_alive": float(row.p_alive),
            "expected_purchases": float(row.expected_purchases),
            "predicted_clv": money(row.predicted_clv),
        }

    with transaction.atomic():
        reset_columns(HISTORY_FIELDS + SCORE_FIELDS)
        run.scored = write_insights(
            scores, values, HISTORY_FIELDS + SCORE_FIELDS, progress=progress
        )
    run.options = {**options, "as_of": as_of.isoformat()}
    run.trained_on = len(summary)
    run.evaluated_on = int(holdout.get("customers", 0))
    run.parameters = {**models.parameters(), "period_days": float(options["period_days"])}
    run.metrics = {
        "holdout": holdout,
        "orders_without_rate": orders_without_rate(),
        "expected_purchases_total": float(scores["expected_purchases"].sum()),
        "predicted_clv_total": float(scores["predicted_clv"].sum()),
        "mean_p_alive": float(scores["p_alive"].mean()),
    }
