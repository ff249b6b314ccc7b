"""The A/B statistics agree with statsmodels and with closed forms on fixed inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cyclecrm.analytics.experiments import (
    Variant,
    assign,
    decide,
    probability_b_beats_a,
    probability_to_be_best,
    required_sample_size,
    two_proportion_ztest,
)

CASES = [(120, 1000, 100, 1000), (45, 230, 61, 250), (3, 40, 9, 38), (500, 20000, 430, 19000)]


@pytest.mark.parametrize(("s1", "n1", "s0", "n0"), CASES)
def test_ztest_matches_statsmodels(s1: int, n1: int, s0: int, n0: int) -> None:
    ours = two_proportion_ztest(s1, n1, s0, n0, alpha=0.05)
    z, p = proportions_ztest([s1, s0], [n1, n0])
    low, high = confint_proportions_2indep(s1, n1, s0, n0, method="wald", compare="diff")
    assert ours.z == pytest.approx(z, abs=1e-9)
    assert ours.p_value == pytest.approx(p, abs=1e-9)
    assert ours.ci_low == pytest.approx(low, abs=1e-9)
    assert ours.ci_high == pytest.approx(high, abs=1e-9)


def test_ztest_without_variation_is_not_significant() -> None:
    result = two_proportion_ztest(0, 50, 0, 50)
    assert (result.z, result.p_value) == (0.0, 1.0)


@pytest.mark.parametrize(("a", "b"), [((10, 100), (15, 100)), ((120, 1000), (100, 1000)),
                                      ((0, 20), (2, 20)), ((480, 5000), (540, 5000))])  # fmt: skip
def test_probability_to_be_best_matches_closed_form(a: tuple, b: tuple) -> None:
    p_a, p_b = probability_to_be_best([a, b])
    assert p_b == pytest.approx(probability_b_beats_a(a, b), abs=1e-9)
    assert p_a + p_b == pytest.approx(1.0, abs=1e-12)


def test_probability_to_be_best_matches_monte_carlo_for_three() -> None:
    data = [(30, 300), (42, 310), (35, 290)]
    rng = np.random.default_rng(20261124)
    draws = np.column_stack([rng.beta(1 + s, 1 + n - s, size=400_000) for s, n in data])
    simulated = np.bincount(draws.argmax(axis=1), minlength=3) / len(draws)
    exact = probability_to_be_best(data)
    assert sum(exact) == pytest.approx(1.0)
    assert exact == pytest.approx(list(simulated), abs=0.005)


def test_required_sample_size_is_the_textbook_value() -> None:
    # 10% -> 12%, alpha 5%, power 80%: n = 2 ((z_0.975 + z_0.8) / h)^2 with Cohen's h
    h = 2 * np.arcsin(np.sqrt(0.12)) - 2 * np.arcsin(np.sqrt(0.10))
    textbook = 2 * ((norm.ppf(0.975) + norm.ppf(0.8)) / h) ** 2
    assert textbook == pytest.approx(3835, abs=1)
    assert required_sample_size(0.10, 0.02) == pytest.approx(textbook, abs=1)
    assert required_sample_size(0.995, 0.02) is not None  # tested downwards instead
    assert required_sample_size(0.5, 0.6) is None  # no room either way


def test_decide_refuses_a_winner_without_enough_data() -> None:
    # given a huge difference on few trials
    variants = [Variant("A", 2, 60), Variant("B", 30, 60)]
    # when
    decision = decide(variants, min_sample=100, minimum_effect=0.05)
    # then
    assert decision.verdict == "not_enough_data"
    assert decision.winner is None
    assert "A has 60 trials" in decision.reason
    assert decision.variants[1].comparison.p_value < 0.001


def test_decide_names_the_winner_after_the_required_sample() -> None:
    variants = [Variant("A", 1000, 10000), Variant("B", 1200, 10000)]
    decision = decide(variants, minimum_effect=0.02)
    assert decision.required_per_variant < 10000
    assert (decision.verdict, decision.winner) == ("winner", "B")
    b = decision.variants[1]
    assert b.probability_best > 0.99
    assert b.ci_low < b.rate < b.ci_high


def test_decide_corrects_for_several_variants() -> None:
    # p of B vs A is about 0.03: significant alone, not at 0.05 / 3
    variants = [Variant("A", 1000, 10000), Variant("B", 1090, 10000),
                Variant("C", 1000, 10000), Variant("D", 990, 10000)]  # fmt: skip
    decision = decide(variants, minimum_effect=0.02)
    assert 0.0167 < decision.variants[1].comparison.p_value < 0.05
    assert decision.corrected_alpha == pytest.approx(0.05 / 3)
    assert decision.verdict == "no_difference_yet"


def test_decide_control_wins_when_every_variant_is_worse() -> None:
    decision = decide([Variant("A", 1300, 10000), Variant("B", 1000, 10000)])
    assert (decision.verdict, decision.winner) == ("winner", "A")


ids_strategy = st.lists(st.integers(min_value=1, max_value=10**9), min_size=0, max_size=300,
                        unique=True)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    ids=ids_strategy,
    k=st.integers(min_value=1, max_value=4),
    share=st.floats(min_value=0, max_value=1),
    seed=st.integers(min_value=0, max_value=2**32),
    permutation_seed=st.integers(min_value=0, max_value=1000),
)
def test_assign_respects_shares_and_is_deterministic(
    ids: list[int], k: int, share: float, seed: int, permutation_seed: int
) -> None:
    variants = [f"v{i}" for i in range(k)]
    mapping = assign(ids, variants, share, seed)
    shuffled = list(np.random.default_rng(permutation_seed).permutation(ids)) if ids else []
    assert assign([int(i) for i in shuffled], variants, share, seed) == mapping
    assert set(mapping) == set(ids)
    in_test = [v for v in mapping.values() if v is not None]
    assert abs(len(in_test) - share * len(ids)) <= 0.5 + 1e-9
    counts = [in_test.count(v) for v in variants]
    assert max(counts) - min(counts) <= 1


def test_assign_depends_on_the_seed() -> None:
    ids = range(200)
    assert assign(ids, ["A", "B"], 0.5, 1) == assign(ids, ["A", "B"], 0.5, 1)
    assert assign(ids, ["A", "B"], 0.5, 1) != assign(ids, ["A", "B"], 0.5, 2)
