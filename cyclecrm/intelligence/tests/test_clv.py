"""BG/NBD and Gamma-Gamma: the published CDNOW estimates (Fader, Hardie and Lee 2005; Fader and
Hardie 2013), from the papers' summary and from the raw transactions, and model properties."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cyclecrm.intelligence import clv
from cyclecrm.intelligence.datasets import dataset
from cyclecrm.intelligence.transactions import CsvLayout, daily, read_transactions, summarise

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_LOG_LIKELIHOOD = -9582.4
PUBLISHED_EXPECTED = {1: 0.0532, 3: 0.1506, 32: 1.0437, 78: 1.8576}
# Column 1 is the customer's number in the sample (1..2357): the summary files' ID.
CDNOW_LAYOUT = CsvLayout(
    customer="1", date="2", amount="4", date_format="%Y%m%d", separator="whitespace", header=False
)


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    return pd.read_csv(dataset("clv", "cdnow", "cdnow_customers_summary_with_transactions.csv"))


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_summary) -> clv.BgNbdFit:
    return clv.bgnbd_fit(cdnow_summary["x"], cdnow_summary["t_x"], cdnow_summary["T"])


@pytest.fixture(scope="module")
def raw_summary() -> pd.DataFrame:
    transactions = read_transactions(dataset("clv", "cdnow", "CDNOW_sample.txt"), CDNOW_LAYOUT)
    return summarise(daily(transactions), calibration_end=dt.date(1997, 9, 30), period_days=7)


def assert_close(fitted: dict, published: dict, relative: float) -> None:
    for name, value in published.items():
        assert fitted[name] == pytest.approx(value, rel=relative), name


def test_bgnbd_reproduces_the_published_cdnow_estimates(cdnow_fit):
    assert_close(cdnow_fit.params.as_dict(), PUBLISHED_BGNBD, 0.01)
    assert round(cdnow_fit.log_likelihood, 1) == PUBLISHED_LOG_LIKELIHOOD
    assert cdnow_fit.customers == 2357


def test_bgnbd_expected_purchases_match_the_paper(cdnow_fit):
    expected = clv.bgnbd_expected_purchases(cdnow_fit.params, list(PUBLISHED_EXPECTED))
    for value, published in zip(expected, PUBLISHED_EXPECTED.values(), strict=True):
        assert value == pytest.approx(published, rel=1e-3)
    conditional = clv.bgnbd_conditional_expected_purchases(cdnow_fit.params, 39, 2, 30.43, 38.86)
    assert round(float(conditional), 3) == 1.226


def test_gamma_gamma_reproduces_the_published_estimates(cdnow_summary):
    repeat = cdnow_summary[cdnow_summary["x"] > 0]
    fit = clv.gamma_gamma_fit(repeat["x"], repeat["zbar"])
    assert fit.customers == 946
    assert_close(fit.params.as_dict(), PUBLISHED_GAMMA_GAMMA, 0.02)


def test_raw_transactions_give_the_papers_summary(raw_summary, cdnow_summary):
    assert len(raw_summary) == len(cdnow_summary) == 2357
    ours = raw_summary.set_axis(raw_summary.index.astype(int)).sort_index().reset_index()
    assert (ours["frequency"].to_numpy() == cdnow_summary["x"].to_numpy()).all()
    assert np.allclose(ours["recency"], cdnow_summary["t_x"], atol=0.006)
    assert np.allclose(ours["T"], cdnow_summary["T"], atol=0.006)
    repeat = cdnow_summary["x"].to_numpy() > 0
    assert np.allclose(ours["monetary_value"][repeat], cdnow_summary["zbar"][repeat], atol=0.006)


def test_raw_transactions_reproduce_the_published_estimates(raw_summary):
    models = clv.fit_models(
        raw_summary["frequency"],
        raw_summary["recency"],
        raw_summary["T"],
        raw_summary["monetary_value"],
    )
    assert_close(models.bgnbd.params.as_dict(), PUBLISHED_BGNBD, 0.01)
    assert_close(models.gamma_gamma.params.as_dict(), PUBLISHED_GAMMA_GAMMA, 0.02)
    assert round(models.bgnbd.log_likelihood, 1) == PUBLISHED_LOG_LIKELIHOOD


def _simulate(params: clv.BgNbd, customers: int, T: float, seed: int) -> tuple:
    """Customers drawn from the BG/NBD story, observed for T periods from their first purchase."""
    rng = np.random.default_rng(seed)
    x, t_x = np.zeros(customers), np.zeros(customers)
    rates = rng.gamma(params.r, 1 / params.alpha, customers)
    dropouts = rng.beta(params.a, params.b, customers)
    for i in range(customers):
        moment = 0.0
        while True:
            moment += rng.exponential(1 / rates[i])
            if moment > T:
                break
            x[i], t_x[i] = x[i] + 1, moment
            if rng.random() < dropouts[i]:
                break
    return x, t_x, np.full(customers, T)


def test_bgnbd_recovers_the_parameters_of_simulated_customers():
    truth = clv.BgNbd(r=0.5, alpha=5.0, a=0.8, b=3.0)
    x, t_x, T = _simulate(truth, 6000, 52.0, seed=7)
    fitted = clv.bgnbd_fit(x, t_x, T).params
    assert fitted.r == pytest.approx(truth.r, rel=0.15)
    assert fitted.alpha == pytest.approx(truth.alpha, rel=0.2)
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(truth.a / (truth.a + truth.b), rel=0.3)


def test_probability_alive_properties(cdnow_fit):
    params = cdnow_fit.params
    assert clv.bgnbd_probability_alive(params, [0], [0], [38]).tolist() == [1.0]
    # Silence since the last purchase makes a customer less likely to be alive.
    longer = clv.bgnbd_probability_alive(params, [3, 3, 3], [10, 10, 10], [20, 30, 40])
    assert (np.diff(longer) < 0).all()
    # With the same silence, more purchases make it less likely (a busy buyer gone quiet).
    busier = clv.bgnbd_probability_alive(params, [1, 4, 8], [10, 10, 10], [30, 30, 30])
    assert (np.diff(busier) < 0).all()


def test_conditional_expectation_grows_with_time_and_is_bounded_by_alive(cdnow_fit):
    params = cdnow_fit.params
    values = clv.bgnbd_conditional_expected_purchases(params, [1, 10, 52, 200], 4, 30, 38)
    assert (np.diff(values) > 0).all()
    alive = clv.bgnbd_probability_alive(params, [4], [30], [38])[0]
    always = clv.bgnbd_conditional_expected_purchases(
        params, 52, 4, 38, 38
    ) / clv.bgnbd_probability_alive(params, [4], [38], [38])
    assert values[2] == pytest.approx(float(always[0]) * alive, rel=0.05)


def test_gamma_gamma_expected_value_shrinks_towards_the_population_mean():
    params = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    population = params.gamma * params.p / (params.q - 1)
    values = clv.gamma_gamma_expected_value(params, [0, 1, 5, 50], [0, 100, 100, 100])
    assert values[0] == pytest.approx(population)
    assert population < values[1] < values[2] < values[3] < 100
    with pytest.raises(ValueError, match="infinite"):
        clv.gamma_gamma_expected_value(clv.GammaGamma(1, 0.9, 1), [1], [1])


def test_discounted_clv_is_the_discounted_sum_of_period_purchases(cdnow_fit):
    params = cdnow_fit.params
    x, t_x, T = [2, 0], [30.43, 0], [38.86, 38.86]
    value = np.array([40.0, 35.0])
    undiscounted = clv.discounted_clv(params, value, x, t_x, T, periods=52, discount_rate=0)
    expected = clv.bgnbd_conditional_expected_purchases(params, 52, x, t_x, T) * value
    assert np.allclose(undiscounted, expected)
    discounted = clv.discounted_clv(params, value, x, t_x, T, periods=52, discount_rate=0.01)
    assert (discounted < undiscounted).all()
    assert clv.period_discount_rate(0.10, 365) == pytest.approx(0.10)
    assert (1 + clv.period_discount_rate(0.10, 7)) ** (365 / 7) == pytest.approx(1.10)


def test_holdout_metrics_compare_predictions_with_actuals(cdnow_fit):
    x, t_x, T = np.array([0, 1, 8]), np.array([0.0, 5.0, 30.0]), np.array([38.0, 38.0, 38.0])
    actual = np.array([0, 2, 5])
    metrics = clv.holdout_metrics(cdnow_fit.params, x, t_x, T, actual, periods=39)
    predicted = clv.bgnbd_conditional_expected_purchases(cdnow_fit.params, 39, x, t_x, T)
    assert metrics["predicted_purchases"] == pytest.approx(predicted.sum())
    assert metrics["actual_purchases"] == 7
    assert metrics["mean_absolute_error"] == pytest.approx(np.mean(np.abs(predicted - actual)))
    assert [row["repeat_purchases"] for row in metrics["by_repeat_purchases"]] == ["0", "1", "7+"]
