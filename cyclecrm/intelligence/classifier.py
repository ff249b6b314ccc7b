"""Binary classifiers for the lead-conversion and churn models: fit, held-out quality, JSON.

Pure numerics on pandas/numpy/scikit-learn (no Django), so the same code runs on CRM data and
on public CSV files (the IBM telco churn file in the tests).

The model is a logistic regression on standardized features: numeric columns (missing values
replaced by the training mean) and one-hot categories (categories seen fewer than
`min_category_count` times in training are pooled as "other"). Every design column is
standardized, so a record's logit is `intercept + sum(coef * (x - mean) / scale)` and each
term is that feature's contribution in log-odds relative to the average training record: the
factors shown for a record are exact, and a contribution of 0 means "as the average record".
The fitted model is stored as plain JSON (ADR 18) and `score` computes probabilities and
factors from that JSON with numpy.

Quality is always measured on records the model was not fitted on (`evaluate`); the callers
choose the hold-out (the newest records, a later snapshot, or a seeded random split for a file
without dates) and then refit on all labelled records with `fit`.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MODEL_FORMAT = "logistic_regression/1"
NONE = "(none)"
OTHER = "(other)"
CALIBRATION_BINS = 10
TOP_FACTORS = 5
# Inverse L2 regularization strength: a few hundred leads and dozens of one-hot columns
# overfit (and are overconfident) at scikit-learn's default of 1.0; 0.3 did better on the
# demo's held-out log loss and Brier score at the same AUC.
REGULARIZATION_C = 0.3


class TooLittleData(ValueError):
    """Not enough labelled records of one class to fit or to check a model."""


@dataclass(frozen=True)
class Features:
    """The columns a model reads and how to name them for people.

    `labels` names each feature ("Budget confirmed"); `value_labels` names the values of a
    categorical one ({"source": {"web_form": "web form"}}), giving factors such as
    "Source: web form"."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    min_category_count: int = 5


@dataclass(frozen=True)
class Minimums:
    """The least labelled records of EACH class needed: overall (training) and in the hold-out.

    Below them an AUC is noise and the coefficients are not worth showing; the caller refuses
    to train and keeps the previous model (or the rule-based score)."""

    per_class: int = 30
    per_class_holdout: int = 5


def prepare(frame: pd.DataFrame, features: Features) -> pd.DataFrame:
    """The model's columns: numeric as floats (NaN for missing), categories as strings with
    blanks named `(none)`."""
    prepared = pd.DataFrame(index=frame.index)
    for name in features.numeric:
        prepared[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in features.categorical:
        column = frame[name].astype(object).where(frame[name].notna(), "")
        prepared[name] = column.astype(str).replace("", NONE)
    return prepared


def split_by_time(times: Sequence[Any] | pd.Series, test_fraction: float = 0.25) -> np.ndarray:
    """A boolean mask of the hold-out: the newest `test_fraction` of the records by time."""
    order = np.argsort(pd.Series(times).to_numpy(), kind="stable")
    test = np.zeros(len(order), dtype=bool)
    count = math.ceil(len(order) * test_fraction)
    if count:
        test[order[-count:]] = True
    return test


def check_counts(
    y_train: np.ndarray,
    y_test: np.ndarray | None,
    minimums: Minimums,
    *,
    class_names: tuple[str, str] = ("negative", "positive"),
) -> None:
    """Raise `TooLittleData` naming what is missing when a class is below its minimum."""
    train_counts = _class_counts(y_train)
    total = train_counts if y_test is None else train_counts + _class_counts(y_test)
    problems = [
        f"{int(total[label])} {class_names[label]}"
        for label in (1, 0)
        if total[label] < minimums.per_class
    ]
    if problems:
        raise TooLittleData(
            f"Too few labelled records to train: {' and '.join(problems)}; at least "
            f"{minimums.per_class} of each class are needed."
        )
    if y_test is None:
        return
    test_counts = _class_counts(y_test)
    short = [
        f"{int(test_counts[label])} {class_names[label]}"
        for label in (1, 0)
        if test_counts[label] < minimums.per_class_holdout
    ]
    if short:
        raise TooLittleData(
            f"Too few recent labelled records to check the model on: {' and '.join(short)} in "
            f"the hold-out; at least {minimums.per_class_holdout} of each class are needed."
        )
    if train_counts.min() < minimums.per_class_holdout:
        raise TooLittleData(
            "Too few labelled records before the hold-out to fit on: "
            f"{int(train_counts[1])} {class_names[1]} and {int(train_counts[0])} {class_names[0]}."
        )


def _class_counts(y: np.ndarray) -> np.ndarray:
    return np.bincount(np.asarray(y, dtype=int), minlength=2)[:2]


def pipeline(features: Features, *, c: float = REGULARIZATION_C) -> Pipeline:
    """The scikit-learn pipeline that is fitted; `export` turns it into JSON."""
    transformers = []
    if features.numeric:
        numeric = Pipeline(
            [("impute", SimpleImputer(strategy="mean", keep_empty_features=True)),
             ("scale", StandardScaler())]
        )  # fmt: skip
        transformers.append(("numeric", numeric, list(features.numeric)))
    if features.categorical:
        categories = Pipeline(
            [
                (
                    "one_hot",
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist",
                        min_frequency=features.min_category_count,
                        sparse_output=False,
                    ),
                ),
                ("scale", StandardScaler()),
            ]
        )
        transformers.append(("categorical", categories, list(features.categorical)))
    return Pipeline(
        [
            ("columns", ColumnTransformer(transformers)),
            ("model", LogisticRegression(C=c, max_iter=5000)),
        ]
    )


def fit(frame: pd.DataFrame, y: np.ndarray, features: Features) -> dict[str, Any]:
    """Fit on all the given records and return the model as JSON."""
    prepared = prepare(frame, features)
    fitted = pipeline(features).fit(prepared, np.asarray(y, dtype=int))
    model = export(fitted, features)
    # Numeric features that only ever held 0 and 1 are yes/no flags; factors say "yes"/"no".
    model["yes_no"] = [
        name for name in features.numeric if set(prepared[name].dropna().unique()) <= {0.0, 1.0}
    ]
    return model


def export(fitted: Pipeline, features: Features) -> dict[str, Any]:
    """The fitted pipeline as plain JSON: one entry per design column with its feature, its
    category (for one-hot columns), training mean and scale, and coefficient."""
    columns_step: ColumnTransformer = fitted.named_steps["columns"]
    regression: LogisticRegression = fitted.named_steps["model"]
    columns: list[dict[str, Any]] = []
    if features.numeric:
        numeric = columns_step.named_transformers_["numeric"]
        imputed = numeric.named_steps["impute"].statistics_
        scaler = numeric.named_steps["scale"]
        for index, name in enumerate(features.numeric):
            columns.append(
                {
                    "feature": name,
                    "fill": float(imputed[index]),
                    "mean": float(scaler.mean_[index]),
                    "scale": float(scaler.scale_[index]),
                }
            )
    if features.categorical:
        pipe = columns_step.named_transformers_["categorical"]
        encoder: OneHotEncoder = pipe.named_steps["one_hot"]
        scaler = pipe.named_steps["scale"]
        position = 0
        for index, name in enumerate(features.categorical):
            infrequent = encoder.infrequent_categories_[index]
            rare = set() if infrequent is None else {str(value) for value in infrequent}
            kept = [str(value) for value in encoder.categories_[index] if str(value) not in rare]
            for category in [*kept, *([OTHER] if rare else [])]:
                columns.append(
                    {
                        "feature": name,
                        "category": category,
                        "mean": float(scaler.mean_[position]),
                        "scale": float(scaler.scale_[position]),
                    }
                )
                position += 1
    for column, coefficient in zip(columns, regression.coef_[0], strict=True):
        column["coef"] = float(coefficient)
    return {
        "format": MODEL_FORMAT,
        "intercept": float(regression.intercept_[0]),
        "numeric": list(features.numeric),
        "categorical": list(features.categorical),
        "columns": columns,
        "labels": dict(features.labels),
        "value_labels": {key: dict(value) for key, value in features.value_labels.items()},
    }


def features_of(model: Mapping[str, Any]) -> Features:
    return Features(
        numeric=tuple(model["numeric"]),
        categorical=tuple(model["categorical"]),
        labels=model.get("labels", {}),
        value_labels=model.get("value_labels", {}),
    )


def _design(model: Mapping[str, Any], prepared: pd.DataFrame) -> np.ndarray:
    """The standardized design matrix from the JSON model (rows by design columns)."""
    columns = model["columns"]
    known: dict[str, set[str]] = {}
    for column in columns:
        if "category" in column:
            known.setdefault(column["feature"], set()).add(column["category"])
    matrix = np.empty((len(prepared), len(columns)))
    for index, column in enumerate(columns):
        values = prepared[column["feature"]]
        if "category" in column:
            seen = known[column["feature"]]
            if column["category"] == OTHER:
                raw = (~values.isin(seen)).to_numpy(dtype=float)
            else:
                raw = (values == column["category"]).to_numpy(dtype=float)
        else:
            raw = values.fillna(column["fill"]).to_numpy(dtype=float)
        matrix[:, index] = (raw - column["mean"]) / column["scale"]
    return matrix


def contributions(model: Mapping[str, Any], frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Per record and per feature, the contribution in log-odds (rows by features), and the
    feature names in column order. Logit = intercept + row sum."""
    prepared = prepare(frame, features_of(model))
    terms = _design(model, prepared) * np.array([column["coef"] for column in model["columns"]])
    names = [*model["numeric"], *model["categorical"]]
    group = {name: index for index, name in enumerate(names)}
    summed = np.zeros((len(prepared), len(names)))
    for index, column in enumerate(model["columns"]):
        summed[:, group[column["feature"]]] += terms[:, index]
    return summed, names


def predict(model: Mapping[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """Probabilities of the positive class, from the JSON model."""
    summed, _ = contributions(model, frame)
    return _sigmoid(model["intercept"] + summed.sum(axis=1))


def score(
    model: Mapping[str, Any], frame: pd.DataFrame, *, top: int = TOP_FACTORS
) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """Probabilities and, per record, the `top` factors by absolute contribution:
    `{"feature", "label", "value", "contribution"}` (contribution in log-odds)."""
    summed, names = contributions(model, frame)
    probabilities = _sigmoid(model["intercept"] + summed.sum(axis=1))
    prepared = prepare(frame, features_of(model))
    strongest = np.argsort(-np.abs(summed), axis=1, kind="stable")[:, :top]
    factors = []
    for row, order in enumerate(strongest):
        factors.append(
            [
                _factor(model, names[index], prepared.iloc[row][names[index]], summed[row, index])
                for index in order
                if summed[row, index] != 0
            ]
        )
    return probabilities, factors


def _factor(model: Mapping[str, Any], feature: str, value: Any, contribution: float) -> dict:
    label = model.get("labels", {}).get(feature, feature.replace("_", " ").capitalize())
    if feature in model["categorical"]:
        shown = model.get("value_labels", {}).get(feature, {}).get(value)
        if shown is None:
            shown = "not recorded" if value == NONE else str(value)
        label = f"{label}: {shown}"
        out_value: Any = None if value == NONE else value
    elif pd.isna(value):
        out_value = None
    elif feature in model.get("yes_no", ()):
        out_value = "yes" if float(value) else "no"
    else:
        out_value = _rounded(float(value))
    return {
        "feature": feature,
        "label": label,
        "value": out_value,
        "contribution": round(float(contribution), 4),
    }


def _rounded(value: float) -> float | int:
    """A factor's value as people read it: whole numbers whole, others to 3 significant digits
    (232.4496 days -> 232, 0.31415 -> 0.314)."""
    if value.is_integer():
        return int(value)
    return float(f"{value:.3g}") if abs(value) < 100 else round(value)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=float)))


def quality(y_true: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """ROC AUC, Brier score, log loss, base rate and a calibration table on held-out records."""
    y_true = np.asarray(y_true, dtype=int)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 1e-9, 1 - 1e-9)
    return {
        "roc_auc": round(float(roc_auc_score(y_true, probabilities)), 4),
        "brier": round(float(brier_score_loss(y_true, probabilities)), 4),
        "log_loss": round(float(log_loss(y_true, probabilities, labels=[0, 1])), 4),
        "base_rate": round(float(y_true.mean()), 4),
        "mean_predicted": round(float(probabilities.mean()), 4),
        "calibration": calibration_table(y_true, probabilities),
    }


def calibration_table(
    y_true: np.ndarray, probabilities: np.ndarray, *, bins: int = CALIBRATION_BINS
) -> list[dict[str, Any]]:
    """Per non-empty probability bin (equal widths): mean predicted, observed rate, count."""
    observed, predicted = calibration_curve(y_true, probabilities, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    # The same bin assignment as calibration_curve, to count the records of each bin.
    which = np.searchsorted(edges[1:-1], probabilities, side="right")
    counts = np.bincount(which, minlength=bins)
    rows = []
    for index, count in zip(np.nonzero(counts)[0], counts[counts > 0], strict=True):
        position = len(rows)
        rows.append(
            {
                "bin": [round(float(edges[index]), 2), round(float(edges[index + 1]), 2)],
                "predicted": round(float(predicted[position]), 4),
                "observed": round(float(observed[position]), 4),
                "count": int(count),
            }
        )
    return rows


def evaluate(
    train: pd.DataFrame,
    y_train: np.ndarray,
    test: pd.DataFrame,
    y_test: np.ndarray,
    features: Features,
    *,
    minimums: Minimums = Minimums(),
    class_names: tuple[str, str] = ("negative", "positive"),
) -> dict[str, Any]:
    """Fit on `train`, measure on `test` (never seen in fitting), return the figures with the
    class counts of both parts. Raises `TooLittleData` below the minimums."""
    y_train, y_test = np.asarray(y_train, dtype=int), np.asarray(y_test, dtype=int)
    check_counts(y_train, y_test, minimums, class_names=class_names)
    model = fit(train, y_train, features)
    figures = quality(y_test, predict(model, test))
    figures["train"] = _counts(y_train)
    figures["test"] = _counts(y_test)
    figures["train_base_rate"] = round(float(y_train.mean()), 4)
    return figures


def _counts(y: np.ndarray) -> dict[str, int]:
    counts = _class_counts(y)
    return {"positive": int(counts[1]), "negative": int(counts[0])}
