"""The pure clustering module on synthetic data whose true structure is known."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from cyclecrm.intelligence.clustering import (
    CUSTOMER_FEATURES,
    NAME_THRESHOLD,
    Feature,
    cluster_customers,
    cluster_name,
    transform,
    untransform,
)

PLAIN = tuple(Feature(f"x{i}", f"X{i}", False, f"high x{i}", f"low x{i}") for i in range(3))


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(n_samples=800, centers=4, n_features=3, cluster_std=1.0, random_state=7)


@pytest.fixture(scope="module")
def result(blobs):
    return cluster_customers(blobs[0], PLAIN)


def test_four_blobs_give_four_clusters(blobs, result):
    _, truth = blobs
    assert result.k == 4
    assert max(result.silhouettes, key=result.silhouettes.get) == 4
    assert set(result.silhouettes) == set(range(2, 9))
    assert adjusted_rand_score(truth, result.labels) > 0.95


def test_profiles_add_up_and_match_the_labels(blobs, result):
    matrix, _ = blobs
    assert sum(p.size for p in result.profiles) == len(matrix)
    assert sum(p.share for p in result.profiles) == pytest.approx(1.0)
    for profile in result.profiles:
        rows = matrix[result.labels == profile.number]
        assert profile.size == len(rows)
        assert profile.mean["x1"] == pytest.approx(rows[:, 1].mean())
        assert profile.median["x2"] == pytest.approx(np.median(rows[:, 2]))
    weighted = sum(p.mean["x0"] * p.size for p in result.profiles) / len(matrix)
    assert weighted == pytest.approx(result.overall_mean["x0"])
    assert len({p.name for p in result.profiles}) == len(result.profiles)


def test_same_data_same_clusters(blobs, result):
    again = cluster_customers(blobs[0], PLAIN)
    assert np.array_equal(again.labels, result.labels)
    assert again.silhouettes == result.silhouettes


def test_sampled_silhouette_still_finds_the_blobs(blobs):
    matrix, _ = blobs
    assert cluster_customers(matrix, PLAIN, sample_size=300).k == 4


def test_log_features_round_trip():
    matrix = np.array([[0.0, 10.0, 3.0, 50.0, 100.0, 0.0], [30.0, 1.0, 900.0, 900.0, 5.0, 7.0]])
    assert np.allclose(untransform(transform(matrix, CUSTOMER_FEATURES), CUSTOMER_FEATURES), matrix)
    assert transform(matrix, CUSTOMER_FEATURES)[1, 2] == pytest.approx(np.log1p(900.0))
    assert transform(matrix, CUSTOMER_FEATURES)[1, 0] == 30.0  # days stay linear


def test_names_follow_the_two_strongest_deviations():
    z = {"recency_days": 1.4, "orders_count": -0.2, "revenue": -0.9, "average_order_value": 0.1,
         "tenure_days": NAME_THRESHOLD / 2, "interactions_90d": -0.6}  # fmt: skip
    assert cluster_name(z, CUSTOMER_FEATURES) == "Lapsed, low spend"
    assert cluster_name(dict.fromkeys(z, 0.1), CUSTOMER_FEATURES) == "Typical customers"


def test_too_few_distinct_rows_are_refused():
    with pytest.raises(ValueError, match="Too few"):
        cluster_customers(np.ones((10, 3)), PLAIN)
