"""RFM quintile scores and named groups: properties over generated data, and the group table."""

import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyclecrm.intelligence import rfm
from cyclecrm.intelligence.vocab import RFM_GROUPS

values = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=200)


@settings(max_examples=150, deadline=None)
@given(values)
def test_scores_are_quintiles_monotone_and_ties_share_a_score(numbers):
    series = pd.Series(numbers, dtype=float)
    scores = rfm.quintile_scores(series)
    assert scores.between(1, 5).all()
    for (value_a, score_a), (value_b, score_b) in itertools.combinations(
        zip(series, scores, strict=True), 2
    ):
        if value_a == value_b:
            assert score_a == score_b
        elif value_a > value_b:
            assert score_a >= score_b
        else:
            assert score_a <= score_b
    if (series == series.max()).sum() == 1:
        assert scores[series.idxmax()] == 5


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(min_value=-1000, max_value=1000), min_size=5, max_size=200))
def test_distinct_values_fill_the_quintiles_evenly(distinct):
    series = pd.Series(sorted(distinct), dtype=float).sample(frac=1, random_state=1)
    counts = rfm.quintile_scores(series).value_counts()
    assert set(counts.index) == {1, 2, 3, 4, 5}
    assert counts.max() - counts.min() <= 1


def test_recency_scores_fewer_days_higher():
    days = pd.Series([1, 400, 30, 90, 200])
    scores = rfm.quintile_scores(days, higher_is_better=False)
    assert scores.tolist() == [5, 1, 4, 3, 2]


def test_group_table_covers_every_recency_and_fm_pair_once():
    assert set(rfm.GROUPS) == {(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert set(rfm.GROUPS.values()) == set(RFM_GROUPS)


@pytest.mark.parametrize(
    ("scores", "group"),
    [
        ((5, 5, 5), "champions"),
        ((5, 4, 3), "champions"),
        ((4, 5, 4), "loyal"),
        ((5, 1, 1), "new_customers"),
        ((4, 1, 1), "promising"),
        ((3, 3, 3), "need_attention"),
        ((3, 1, 1), "about_to_sleep"),
        ((2, 3, 4), "at_risk"),
        ((1, 5, 5), "cant_lose"),
        ((2, 1, 2), "hibernating"),
        ((1, 1, 1), "lost"),
        ((4, 2, 3), "potential_loyalist"),
    ],
)
def test_named_groups(scores, group):
    assert rfm.group_for(*scores) == group


def test_score_and_summary_of_a_small_population():
    frame = pd.DataFrame(
        {
            "recency_days": [1, 3, 10, 40, 100, 200, 300, 350, 400, 500],
            "purchase_days": [9, 8, 7, 6, 5, 4, 3, 2, 1, 1],
            "revenue": [900.0, 800, 700, 600, 500, 400, 300, 200, 100, 50],
        }
    )
    scored = rfm.score(frame["recency_days"], frame["purchase_days"], frame["revenue"])
    assert scored.loc[0, "rfm_group"] == "champions"
    assert scored.loc[9, "rfm_group"] == "lost"
    summary = rfm.summary(frame, scored)
    assert summary["customers"] == 10
    assert sum(summary["groups"].values()) == 10
    assert summary["cut_points"]["recency_days"]["5"] == [1.0, 3.0]
    assert summary["cut_points"]["purchase_days"]["1"] == [1.0, 1.0]
