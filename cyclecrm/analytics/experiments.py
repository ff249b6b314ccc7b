"""Statistics for A/B tests of proportions (open, click, conversion rates); no Django here.

Frequentist: each variant is compared with the control by a pooled two-proportion z-test
(two-sided), with the unpooled Wald interval of the difference; with several variants the
significance level is Bonferroni-corrected over the comparisons. Bayesian: the probability that
each variant has the highest rate under independent Beta(1, 1) priors, by numerical integration.
A decision refuses to name a winner before every variant reached the required sample size, so
looking at a test early cannot crown a lucky variant. The formulas are in docs/ab-testing.md.
"""

import hashlib
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import integrate, special, stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint, proportion_effectsize

Verdict = Literal["winner", "no_difference_yet", "not_enough_data"]


@dataclass(frozen=True)
class Variant:
    name: str
    successes: int
    trials: int

    def __post_init__(self) -> None:
        if self.trials < 0 or not 0 <= self.successes <= self.trials:
            raise ValueError(f"{self.name}: need 0 <= successes <= trials.")

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0


@dataclass(frozen=True)
class Comparison:
    """One variant against the control: difference of rates (variant - control)."""

    z: float
    p_value: float
    difference: float
    ci_low: float
    ci_high: float


def two_proportion_ztest(
    successes: int, trials: int, control_successes: int, control_trials: int, *, alpha: float = 0.05
) -> Comparison:
    """Pooled z-test of p1 = p0 (two-sided) and the unpooled Wald interval of p1 - p0.

    z = (p1 - p0) / sqrt(p(1-p)(1/n1 + 1/n0)) with p the pooled rate; the interval is
    (p1 - p0) ± z_{1-alpha/2} sqrt(p1(1-p1)/n1 + p0(1-p0)/n0). Without variation (p = 0 or 1)
    z is 0 and p is 1."""
    if trials == 0 or control_trials == 0:
        raise ValueError("Both groups need at least one trial.")
    p1, p0 = successes / trials, control_successes / control_trials
    pooled = (successes + control_successes) / (trials + control_trials)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / trials + 1 / control_trials))
    difference = p1 - p0
    z = difference / se_pooled if se_pooled > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z)))
    se = math.sqrt(p1 * (1 - p1) / trials + p0 * (1 - p0) / control_trials)
    half = float(stats.norm.ppf(1 - alpha / 2)) * se
    return Comparison(z, p_value, difference, difference - half, difference + half)


def probability_to_be_best(variants: Sequence[tuple[int, int]]) -> list[float]:
    """P(rate_i is the largest) for each (successes, trials) under Beta(1, 1) priors:
    integral of f_i(x) * prod_{j != i} F_j(x) over [0, 1], by adaptive quadrature over the
    range where variant i's posterior has mass (so narrow posteriors are not missed)."""
    if len(variants) < 2:
        raise ValueError("Need at least two variants.")
    posteriors = [stats.beta(1 + s, 1 + n - s) for s, n in variants]
    result = []
    for i, own in enumerate(posteriors):
        others = [post for j, post in enumerate(posteriors) if j != i]

        def integrand(x: float, own=own, others=others) -> float:
            return float(own.pdf(x) * np.prod([post.cdf(x) for post in others]))

        low, high = float(own.ppf(1e-12)), float(own.ppf(1 - 1e-12))
        value, _ = integrate.quad(integrand, low, high, limit=200, epsabs=1e-12, epsrel=1e-10)
        result.append(value)
    total = sum(result)
    return [value / total for value in result]


def probability_b_beats_a(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Closed form of P(rate_b > rate_a) for Beta(1, 1) priors (Evan Miller, 2015):
    sum_{i=0}^{alpha_b - 1} B(alpha_a + i, beta_a + beta_b) /
    ((beta_b + i) B(1 + i, beta_b) B(alpha_a, beta_a)), summed in log space."""
    alpha_a, beta_a = 1 + a[0], 1 + a[1] - a[0]
    alpha_b, beta_b = 1 + b[0], 1 + b[1] - b[0]
    i = np.arange(alpha_b)
    logs = (
        special.betaln(alpha_a + i, beta_a + beta_b)
        - np.log(beta_b + i)
        - special.betaln(1 + i, beta_b)
        - special.betaln(alpha_a, beta_a)
    )
    return float(np.exp(special.logsumexp(logs)))


def required_sample_size(
    baseline: float, minimum_effect: float, *, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Trials per variant to detect an absolute change of `minimum_effect` from `baseline`
    (two-sided, equal groups, Cohen's h); None when no such change fits in [0, 1]."""
    if minimum_effect <= 0:
        raise ValueError("The minimum detectable effect must be positive.")
    target = baseline + minimum_effect
    if target >= 1:
        target = baseline - minimum_effect
    if not 0 < target < 1 or not 0 <= baseline <= 1:
        return None
    effect = abs(float(proportion_effectsize(target, baseline)))
    n = NormalIndPower().solve_power(
        effect_size=effect, alpha=alpha, power=power, ratio=1.0, alternative="two-sided"
    )
    return math.ceil(float(np.asarray(n).item()))


@dataclass(frozen=True)
class VariantResult:
    name: str
    successes: int
    trials: int
    rate: float
    ci_low: float
    ci_high: float
    probability_best: float
    comparison: Comparison | None  # None for the control


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    winner: str | None
    reason: str
    variants: list[VariantResult]
    alpha: float
    corrected_alpha: float
    required_per_variant: int | None


def decide(
    variants: Sequence[Variant],
    *,
    alpha: float = 0.05,
    min_sample: int = 100,
    minimum_effect: float = 0.02,
    power: float = 0.8,
) -> Decision:
    """Evaluate a test whose first variant is the control; see the module doc for the rules."""
    if len(variants) < 2:
        raise ValueError("An A/B test needs a control and at least one variant.")
    control, challengers = variants[0], variants[1:]
    corrected = alpha / len(challengers)
    best = probability_to_be_best([(v.successes, v.trials) for v in variants])
    comparisons: list[Comparison | None] = [None]
    if all(v.trials for v in variants):
        comparisons += [
            two_proportion_ztest(
                v.successes, v.trials, control.successes, control.trials, alpha=corrected
            )
            for v in challengers
        ]
    else:
        comparisons += [None] * len(challengers)
    required = required_sample_size(control.rate, minimum_effect, alpha=corrected, power=power)
    results = [
        _result(variant, probability, comparison, alpha)
        for variant, probability, comparison in zip(variants, best, comparisons, strict=True)
    ]
    verdict, winner, reason = _verdict(variants, comparisons, corrected, min_sample, required)
    return Decision(verdict, winner, reason, results, alpha, corrected, required)


def _result(
    variant: Variant, probability: float, comparison: Comparison | None, alpha: float
) -> VariantResult:
    if variant.trials:
        low, high = proportion_confint(
            variant.successes, variant.trials, alpha=alpha, method="wilson"
        )
    else:
        low, high = 0.0, 1.0
    return VariantResult(
        variant.name,
        variant.successes,
        variant.trials,
        variant.rate,
        float(low),
        float(high),
        probability,
        comparison,
    )


def _verdict(
    variants: Sequence[Variant],
    comparisons: list[Comparison | None],
    alpha: float,
    min_sample: int,
    required: int | None,
) -> tuple[Verdict, str | None, str]:
    needed = max(min_sample, required or 0)
    short = [v for v in variants if v.trials < needed]
    if short:
        return (
            "not_enough_data",
            None,
            f"{short[0].name} has {short[0].trials} trials; every variant needs at least "
            f"{needed} before a winner can be named.",
        )
    if required is None:
        return (
            "not_enough_data",
            None,
            "The control's rate leaves no room for the minimum detectable effect.",
        )
    pairs = list(zip(variants[1:], comparisons[1:], strict=True))
    better = [(v, c) for v, c in pairs if c and c.p_value < alpha and c.difference > 0]
    if better:
        variant, comparison = max(better, key=lambda pair: pair[0].rate)
        return (
            "winner",
            variant.name,
            f"{variant.name} beats {variants[0].name} by {comparison.difference:+.2%} "
            f"(p = {comparison.p_value:.4f} < {alpha:.4g}).",
        )
    if all(c and c.p_value < alpha and c.difference < 0 for _, c in pairs):
        return (
            "winner",
            variants[0].name,
            f"{variants[0].name} (control) beats every variant (all p < {alpha:.4g}).",
        )
    return (
        "no_difference_yet",
        None,
        f"No variant differs from {variants[0].name} at the corrected level {alpha:.4g}.",
    )


def assign(
    ids: Iterable[Hashable],
    variants: Sequence[str],
    test_share: float,
    seed: int | str,
    *,
    rest: str | None = None,
) -> dict[Hashable, str | None]:
    """Split `ids` reproducibly: round(test_share * n) of them, chosen by a keyed hash of
    (seed, id), are dealt to `variants` in turn (sizes differ by at most one); the others map
    to `rest`. The result depends only on the set of ids and the seed, not on their order."""
    if not variants:
        raise ValueError("Give at least one variant.")
    if not 0 <= test_share <= 1:
        raise ValueError("test_share must be between 0 and 1.")
    unique = list(dict.fromkeys(ids))
    ranked = sorted(unique, key=lambda item: (_hash(seed, item), repr(item)))
    in_test = round(test_share * len(ranked))
    mapping: dict[Hashable, str | None] = {}
    for position, item in enumerate(ranked):
        mapping[item] = variants[position % len(variants)] if position < in_test else rest
    return mapping


def _hash(seed: int | str, item: Hashable) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{item!r}".encode()).digest()
