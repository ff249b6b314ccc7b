"""Customer lifetime value: BG/NBD for the number of repeat purchases and Gamma-Gamma for their
value, fitted by maximum likelihood. Pure numerics (numpy/scipy), no Django: the CRM job and the
CSV command both call it (docs/intelligence/clv-and-rfm.md).

Notation as in the papers, per customer: `x` repeat purchases (purchase days after the first),
`t_x` the time of the last purchase and `T` the length of observation, both counted from the
first purchase in periods (weeks in the papers).

- BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): while alive, a
  customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they drop out with
  probability p ~ Beta(a, b). The likelihood is eq. (6) of the paper, written with log-gamma
  functions only.
- Gamma-Gamma (Fader and Hardie 2013, "The Gamma-Gamma model of monetary value"): the mean value
  `zbar` of a customer's `x` repeat purchases, with transaction values Gamma(p, nu) around a
  customer mean and nu ~ Gamma(q, gamma).
"""

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

ArrayLike = np.ndarray | list | float


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbd
    log_likelihood: float
    customers: int


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGamma
    log_likelihood: float
    customers: int


def _arrays(*values: ArrayLike) -> list[np.ndarray]:
    return [np.asarray(value, dtype=float) for value in values]


# --- BG/NBD -----------------------------------------------------------------------------------


def bgnbd_log_likelihood_terms(
    params: BgNbd, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Each customer's log-likelihood under BG/NBD (FHL 2005, eq. 6)."""
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    still_alive = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    # Dropped out right after the last purchase: only possible once there was a repeat purchase.
    dropped = np.full_like(x, -np.inf)
    dropped[repeat] = (
        np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return common + np.logaddexp(still_alive, dropped)


def bgnbd_log_likelihood(params: BgNbd, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> float:
    return float(np.sum(bgnbd_log_likelihood_terms(params, x, t_x, T)))


# Log-parameters stay within e^±LOG_BOUND of the scaled data. A likelihood can keep rising
# towards a boundary (a and b → 0 or → ∞ when drop-out is nil or the same for everyone); the
# bound stops the search there instead of letting it wander for ever.
LOG_BOUND = 12.0


def _maximise(negative_ll, start: np.ndarray) -> np.ndarray:
    """Minimise over bounded log-parameters (so every parameter stays positive): L-BFGS-B,
    then Nelder-Mead from its answer to polish where the surface is flat; the better wins.
    Evaluations are capped: along a ridge towards a bound the last digits are not worth
    minutes on a large customer base."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    first = minimize(negative_ll, start, method="L-BFGS-B", bounds=bounds, options={"maxfun": 3000})
    second = minimize(
        negative_ll,
        first.x,
        method="Nelder-Mead",
        bounds=bounds,
        options={"maxfev": 1500, "xatol": 1e-8, "fatol": 1e-12},
    )
    best = second if second.fun <= first.fun and np.all(np.isfinite(second.x)) else first
    return np.exp(best.x)


def bgnbd_fit(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for the customers' (x, t_x, T).

    Time is rescaled to a mean T of 1 while fitting (alpha scales with the time unit, the other
    parameters do not), so the bounds and starting point suit any period length."""
    x, t_x, T = _arrays(x, t_x, T)
    unit = float(np.mean(T)) if len(T) and np.mean(T) > 0 else 1.0
    scaled_t_x, scaled_T = t_x / unit, T / unit
    scale = 1.0 / max(len(x), 1)

    def negative_ll(log_params: np.ndarray) -> float:
        params = BgNbd(*np.exp(log_params))
        value = -bgnbd_log_likelihood(params, x, scaled_t_x, scaled_T) * scale
        return value if np.isfinite(value) else 1e12

    r, alpha, a, b = (float(value) for value in _maximise(negative_ll, np.zeros(4)))
    params = BgNbd(r, alpha * unit, a, b)
    return BgNbdFit(params, bgnbd_log_likelihood(params, x, t_x, T), len(x))


def bgnbd_expected_purchases(params: BgNbd, t: ArrayLike) -> np.ndarray:
    """Unconditional E[X(t)]: expected purchases of a new customer in their first `t` periods
    (FHL 2005, eq. 7)."""
    (t,) = _arrays(t)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def bgnbd_probability_alive(
    params: BgNbd, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(still a customer at T | x, t_x, T). A customer without repeat purchase cannot have
    dropped out under the model (drop-out happens right after a purchase), so it is 1 for them."""
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    odds = np.zeros_like(x)
    repeat = x > 0
    odds[repeat] = (
        a
        / (b + x[repeat] - 1)
        * np.exp((r + x[repeat]) * np.log((alpha + T[repeat]) / (alpha + t_x[repeat])))
    )
    return 1.0 / (1.0 + odds)


def bgnbd_conditional_expected_purchases(
    params: BgNbd, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next `t` periods (FHL 2005, eq. 10)."""
    t, x, t_x, T = _arrays(t, x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    growth = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * growth * bgnbd_probability_alive(params, x, t_x, T)


# --- Gamma-Gamma ------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(params: GammaGamma, x: ArrayLike, zbar: ArrayLike) -> float:
    """Log-likelihood of the repeat buyers' mean values `zbar` over `x` purchases each."""
    x, zbar = _arrays(x, zbar)
    p, q, gamma = params.p, params.q, params.gamma
    terms = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(zbar)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + x * zbar)
    )
    return float(np.sum(terms))


def gamma_gamma_fit(x: ArrayLike, zbar: ArrayLike) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters; pass repeat buyers only (x > 0, zbar > 0).
    Amounts are rescaled to a mean of 1 while fitting (gamma scales with the currency unit)."""
    x, zbar = _arrays(x, zbar)
    if np.any(x <= 0) or np.any(zbar <= 0):
        raise ValueError("Gamma-Gamma is fitted on repeat buyers with a positive mean value.")
    unit = float(np.mean(zbar)) if len(zbar) else 1.0
    scaled = zbar / unit
    scale = 1.0 / max(len(x), 1)

    def negative_ll(log_params: np.ndarray) -> float:
        value = -gamma_gamma_log_likelihood(GammaGamma(*np.exp(log_params)), x, scaled) * scale
        return value if np.isfinite(value) else 1e12

    p, q, gamma = (float(value) for value in _maximise(negative_ll, np.log([1.0, 2.0, 1.0])))
    params = GammaGamma(p, q, gamma * unit)
    return GammaGammaFit(params, gamma_gamma_log_likelihood(params, x, zbar), len(x))


def gamma_gamma_expected_value(params: GammaGamma, x: ArrayLike, zbar: ArrayLike) -> np.ndarray:
    """E[Z | x, zbar]: a weighted mean of the population mean gamma p / (q - 1) and the
    customer's own mean, weighted by how many purchases they made. Customers without repeat
    purchase get the population mean. Needs q > 1 (a finite population mean)."""
    x, zbar = _arrays(x, zbar)
    p, q, gamma = params.p, params.q, params.gamma
    if q <= 1:
        raise ValueError(f"Gamma-Gamma q = {q:.3f} ≤ 1: the population mean value is infinite.")
    zbar = np.where(x > 0, zbar, 0.0)
    return p * (gamma + x * zbar) / (p * x + q - 1)


# --- lifetime value ---------------------------------------------------------------------------


def period_discount_rate(annual_rate: float, period_days: float) -> float:
    """The rate per period equivalent to `annual_rate` per 365 days, compounded."""
    return (1.0 + annual_rate) ** (period_days / 365.0) - 1.0


def discounted_clv(
    bgnbd: BgNbd,
    expected_value: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    periods: int,
    discount_rate: float,
) -> np.ndarray:
    """Σ_{k=1..periods} (E[Y(k)] - E[Y(k-1)]) * expected value / (1 + d)^k: the present value of
    each customer's purchases over the next `periods` periods at the per-period rate `d`."""
    (expected_value,) = _arrays(expected_value)
    total = np.zeros_like(expected_value)
    previous = np.zeros_like(expected_value)
    for k in range(1, periods + 1):
        cumulative = bgnbd_conditional_expected_purchases(bgnbd, k, x, t_x, T)
        total += (cumulative - previous) * expected_value / (1.0 + discount_rate) ** k
        previous = cumulative
    return total


# --- fitting a summary and checking it on a hold-out --------------------------------------------

# Below these, the job refuses: BG/NBD's four parameters (and Gamma-Gamma's three, fitted on
# repeat buyers only) are not identified on a handful of customers.
MIN_CUSTOMERS = 50
MIN_REPEAT_CUSTOMERS = 20


@dataclass(frozen=True)
class Models:
    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit

    def parameters(self) -> dict[str, float | int]:
        """The JSON the CLI prints and the run stores."""
        return {
            **self.bgnbd.params.as_dict(),
            **self.gamma_gamma.params.as_dict(),
            "customers": self.bgnbd.customers,
            "repeat_customers": self.gamma_gamma.customers,
            "log_likelihood": self.bgnbd.log_likelihood,
            "gamma_gamma_log_likelihood": self.gamma_gamma.log_likelihood,
        }


def fit_models(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, monetary_value: ArrayLike
) -> Models:
    """BG/NBD on every customer; Gamma-Gamma on those with a repeat purchase whose mean repeat
    value is positive (refunds can make it zero or negative; the model needs positive values)."""
    x, t_x, T, zbar = _arrays(frequency, recency, T, monetary_value)
    repeat = (x > 0) & np.isfinite(zbar) & (zbar > 0)
    return Models(bgnbd_fit(x, t_x, T), gamma_gamma_fit(x[repeat], zbar[repeat]))


def holdout_metrics(
    params: BgNbd,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    actual: ArrayLike,
    *,
    periods: float,
) -> dict[str, float | int | list]:
    """Predicted vs actual purchases over a hold-out of `periods` after calibration: totals,
    mean absolute error per customer, and the means by number of calibration repeat purchases
    (0..6, 7+), the check of FHL 2005's Figure 4."""
    x, t_x, T, actual = _arrays(frequency, recency, T, actual)
    predicted = bgnbd_conditional_expected_purchases(params, periods, x, t_x, T)
    by_frequency = []
    for low, high in [(k, k) for k in range(7)] + [(7, np.inf)]:
        chosen = (x >= low) & (x <= high)
        if chosen.any():
            by_frequency.append(
                {
                    "repeat_purchases": f"{low}+" if np.isinf(high) else str(low),
                    "customers": int(chosen.sum()),
                    "predicted_mean": float(predicted[chosen].mean()),
                    "actual_mean": float(actual[chosen].mean()),
                }
            )
    total_actual = float(actual.sum())
    return {
        "customers": len(x),
        "holdout_periods": float(periods),
        "predicted_purchases": float(predicted.sum()),
        "actual_purchases": total_actual,
        "total_error_percent": (
            float((predicted.sum() - total_actual) / total_actual * 100) if total_actual else None
        ),
        "mean_absolute_error": float(np.mean(np.abs(predicted - actual))),
        "correlation": float(np.corrcoef(predicted, actual)[0, 1]) if len(x) > 1 else None,
        "by_repeat_purchases": by_frequency,
    }
