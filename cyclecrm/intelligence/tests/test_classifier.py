"""The pure classifier: JSON model equals the fitted pipeline, exact factors, minimums, hold-out,
and the IBM telco churn file (../shared/data) as a check on real data."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from cyclecrm.intelligence import classifier
from cyclecrm.intelligence.datasets import dataset

TELCO_CATEGORIES = (
    "gender", "Partner", "Dependents", "PhoneService", "MultipleLines", "InternetService",
    "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV",
    "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod",
)  # fmt: skip
TELCO = classifier.Features(
    numeric=("tenure", "MonthlyCharges", "TotalCharges", "SeniorCitizen"),
    categorical=TELCO_CATEGORIES,
    labels={"Contract": "Contract", "tenure": "Months as a customer"},
)
SYNTHETIC = classifier.Features(
    numeric=("x", "noise"),
    categorical=("colour",),
    labels={"x": "Signal", "colour": "Colour"},
    value_labels={"colour": {"r": "red"}},
)


def synthetic(n: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "colour": rng.choice(["r", "g", "b", "rare"], p=[0.4, 0.3, 0.296, 0.004], size=n),
            "time": rng.permutation(n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "x"] = np.nan
    logit = 1.5 * frame["x"].fillna(0) + frame["colour"].map({"r": 1.0, "g": -1.0}).fillna(0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, y.to_numpy()


def telco() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(dataset("churn", "telco_customer_churn_ibm.csv"))
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    return frame, (frame["Churn"] == "Yes").astype(int).to_numpy()


def test_json_model_scores_exactly_as_the_fitted_pipeline():
    frame, y = synthetic(600)
    fitted = classifier.pipeline(SYNTHETIC).fit(classifier.prepare(frame, SYNTHETIC), y)
    model = classifier.export(fitted, SYNTHETIC)
    unseen, _ = synthetic(200, seed=2)
    unseen.loc[0, "colour"] = "never seen"
    expected = fitted.predict_proba(classifier.prepare(unseen, SYNTHETIC))[:, 1]
    np.testing.assert_allclose(classifier.predict(model, unseen), expected, atol=1e-12)
    # The rare colour was pooled as "other", and the model survives a JSON round trip.
    assert {c.get("category") for c in model["columns"]} >= {"r", "g", "b", classifier.OTHER}
    again = json.loads(json.dumps(model))
    np.testing.assert_allclose(classifier.predict(again, unseen), expected, atol=1e-12)


def test_factors_add_up_to_the_logit_and_read_as_words():
    frame, y = synthetic(600)
    model = classifier.fit(frame, y, SYNTHETIC)
    probabilities, factors = classifier.score(model, frame.head(50), top=3)
    summed, _ = classifier.contributions(model, frame.head(50))
    logits = np.log(probabilities / (1 - probabilities))
    np.testing.assert_allclose(model["intercept"] + summed.sum(axis=1), logits, atol=1e-9)
    labels = {factor["label"] for row in factors for factor in row}
    assert "Signal" in labels and "Colour: red" in labels
    for row in factors:
        sizes = [abs(factor["contribution"]) for factor in row]
        assert sizes == sorted(sizes, reverse=True) and len(row) <= 3


def test_changing_the_top_factor_moves_the_probability_in_its_direction():
    frame, y = synthetic(600)
    model = classifier.fit(frame, y, SYNTHETIC)
    sample = frame.head(100).reset_index(drop=True)
    probabilities, factors = classifier.score(model, sample)
    mean_x = next(c["mean"] for c in model["columns"] if c["feature"] == "x")
    checked = 0
    for row, top in enumerate(factor[0] for factor in factors):
        changed = sample.iloc[[row]].copy()
        if top["feature"] == "x":
            changed["x"] = mean_x  # the average value contributes nothing
        elif top["feature"] == "colour":
            changed["colour"] = "g" if top["contribution"] > 0 else "r"
        else:
            continue
        moved = probabilities[row] - classifier.predict(model, changed)[0]
        assert np.sign(moved) == np.sign(top["contribution"]), top
        checked += 1
    assert checked >= 50


def test_time_split_holds_out_the_newest():
    times = pd.Series([5, 1, 4, 2, 3, 8, 7, 6])
    mask = classifier.split_by_time(times, 0.25)
    assert sorted(times[mask]) == [7, 8]


def test_refuses_below_the_minimums_with_a_clear_message():
    frame, y = synthetic(200)
    few = np.zeros_like(y)
    few[:12] = 1
    mask = classifier.split_by_time(frame["time"])
    with pytest.raises(classifier.TooLittleData, match="12 converted; at least 30 of each"):
        classifier.evaluate(
            frame[~mask], few[~mask], frame[mask], few[mask], SYNTHETIC,
            class_names=("lost", "converted"),
        )  # fmt: skip
    late = np.zeros_like(y)
    late[np.argsort(frame["time"].to_numpy())[:40]] = 1  # all positives are old
    with pytest.raises(classifier.TooLittleData, match="0 converted in the hold-out"):
        classifier.evaluate(
            frame[~mask], late[~mask], frame[mask], late[mask], SYNTHETIC,
            class_names=("lost", "converted"),
        )  # fmt: skip


def test_calibration_table_counts_every_held_out_record():
    frame, y = synthetic(800)
    mask = classifier.split_by_time(frame["time"])
    figures = classifier.evaluate(frame[~mask], y[~mask], frame[mask], y[mask], SYNTHETIC)
    rows = figures["calibration"]
    assert sum(row["count"] for row in rows) == mask.sum()
    assert figures["test"]["positive"] + figures["test"]["negative"] == mask.sum()
    # Observed rates are the share of positives among each bin's records.
    model = classifier.fit(frame[~mask], y[~mask], SYNTHETIC)
    held = classifier.predict(model, frame[mask])
    first = rows[0]
    inside = (held >= first["bin"][0]) & (held < first["bin"][1])
    assert first["observed"] == pytest.approx(y[mask][inside].mean(), abs=1e-4)
    assert figures["roc_auc"] == pytest.approx(roc_auc_score(y[mask], held), abs=1e-4)


def test_telco_churn_held_out_auc_is_well_above_chance():
    """The file has no dates: a stratified random split (seed 7, 25 % held out)."""
    frame, y = telco()
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=7)
    figures = classifier.evaluate(
        frame.iloc[train], y[train], frame.iloc[test], y[test], TELCO,
        class_names=("stayed", "churned"),
    )  # fmt: skip
    model = classifier.fit(frame.iloc[train], y[train], TELCO)
    auc = roc_auc_score(y[test], classifier.predict(model, frame.iloc[test]))
    assert figures["roc_auc"] == pytest.approx(auc, abs=1e-4)
    assert auc > 0.80
    assert abs(figures["mean_predicted"] - figures["base_rate"]) < 0.03


def test_telco_churn_rates_by_contract_match_the_readme():
    frame, y = telco()
    rates = pd.Series(y).groupby(frame["Contract"]).mean().round(3)
    assert (len(frame), int(y.sum())) == (7043, 1869)
    assert rates.to_dict() == {"Month-to-month": 0.427, "One year": 0.113, "Two year": 0.028}
