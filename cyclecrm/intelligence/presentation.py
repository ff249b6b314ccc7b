"""Turning model runs into what the pages show: the key held-out figures of a card, the
calibration table, the parameters as rows, and a short "how computed" text per kind. The
metrics are JSON written by each trainer, so this reads them generically: known keys get
labels, scalars become rows, lists of {predicted, observed, count} become a table."""

import json
from typing import Any

from cyclecrm.intelligence.models import ModelKind, ModelRun
from cyclecrm.intelligence.selectors import ModelSummary, metric_rows
from cyclecrm.intelligence.trainers import trainer_for

HOW_COMPUTED: dict[str, str] = {
    ModelKind.LEAD_CONVERSION: (
        "A logistic regression on closed leads (converted or not): firmographics, BANT answers, "
        "source and engagement. It is checked on leads held out from training (ROC AUC, Brier "
        "score, calibration). Until enough leads are labelled, the rule-based lead score stays "
        "in charge."
    ),
    ModelKind.CHURN: (
        "A classifier on customers' order and engagement history predicting who stops buying "
        "within the churn window; checked on a later, held-out period. Probabilities fall into "
        "low, medium and high bands."
    ),
    ModelKind.CLV: (
        "BG/NBD (how many purchases a customer will still make and whether they are still "
        "active) with Gamma-Gamma (how much they spend per order), fitted on order history up "
        "to a cut-off and checked on the orders after it."
    ),
    ModelKind.RFM: (
        "Recency, frequency and monetary value of each customer's orders, scored 1 to 5 by "
        "quintile and combined into named groups (Champions, At risk, ...)."
    ),
    ModelKind.CLUSTERS: (
        "k-means on standardised customer features; the number of clusters is chosen by the "
        "silhouette score."
    ),
    ModelKind.RECOMMENDATIONS: (
        "Products bought together (association rules: support, confidence, lift) and the next "
        "tier of products already bought, ranked per customer; checked by the hit rate on "
        "held-out orders against a most-popular baseline."
    ),
}

# How many figures a card on the overview shows.
CARD_FIGURES = 4


def format_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "), default=str)[:500]
    return str(value)


def figures(metrics: dict[str, Any], limit: int | None = None) -> list[dict[str, str]]:
    rows = [
        {"key": key, "label": label, "value": format_value(value)}
        for key, label, value in metric_rows(metrics)
    ]
    return rows[:limit] if limit else rows


def model_card(summary: ModelSummary) -> dict[str, Any]:
    run = summary.in_use
    return {
        "kind": summary.kind,
        "label": summary.label,
        "latest": summary.latest,
        "in_use": run,
        "figures": figures(run.metrics, CARD_FIGURES) if run else [],
        "how": HOW_COMPUTED.get(summary.kind, ""),
        "pending": summary.latest is not None and summary.latest.finished_at is None,
        "installed": trainer_for(summary.kind) is not None,
    }


def _first(row: dict[str, Any], *keys: str) -> Any:
    return next((row[key] for key in keys if key in row), None)


def calibration_rows(metrics: dict[str, Any]) -> list[dict[str, str]]:
    """metrics["calibration"] as rows of predicted vs observed rate and count; accepts dicts
    ({"predicted", "observed", "count"} or the mean_predicted/fraction_positive/n spellings)
    and [predicted, observed, count] lists."""
    rows = []
    for row in (metrics or {}).get("calibration") or []:
        if isinstance(row, dict):
            predicted = _first(row, "predicted", "mean_predicted", "prob_pred")
            observed = _first(row, "observed", "fraction_positive", "prob_true", "actual")
            count = _first(row, "count", "n", "size")
        elif isinstance(row, list | tuple) and len(row) >= 2:
            predicted, observed, count = [*row, None][:3]
        else:
            continue
        rows.append(
            {
                "predicted": format_value(predicted),
                "observed": format_value(observed),
                "count": format_value(count),
            }
        )
    return rows


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value and len(prefix.split(".")) < 3:
        rows: list[tuple[str, Any]] = []
        for key, item in value.items():
            rows.extend(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, value)]


def parameter_rows(parameters: dict[str, Any]) -> list[dict[str, str]]:
    """The fitted parameters as (name, value) rows; nested dicts become dotted names."""
    return [
        {"name": name, "value": format_value(value)} for name, value in _flatten(parameters or {})
    ]


def run_details(run: ModelRun | None) -> dict[str, Any] | None:
    """Everything the model page shows of the run in use."""
    if run is None:
        return None
    metrics = run.metrics or {}
    nested = {
        key: format_value(value)
        for key, value in metrics.items()
        if isinstance(value, dict | list) and key != "calibration"
    }
    return {
        "figures": figures(metrics),
        "calibration": calibration_rows(metrics),
        "nested": nested,
        "parameters": parameter_rows(run.parameters),
        "options": parameter_rows(run.options),
    }
