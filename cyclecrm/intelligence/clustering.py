"""Customer clusters: k-means on standardized behavioural features, k chosen by silhouette.

Pure numerics (numpy and scikit-learn, no Django), so it runs on a CSV file as well as on the
CRM's data (`clusters.py` adapts the CRM to it).

Method (docs/intelligence/clusters-and-segments.md):
1. Transform: money and count features are right-skewed (a few customers buy far more than the
   rest), so they pass through log1p first (`Feature.log`); otherwise the largest customers
   alone would make up clusters. Day counts (recency, tenure) stay linear.
2. Standardize each transformed feature to mean 0 and standard deviation 1 (`StandardScaler`),
   so every feature weighs the same in the Euclidean distance k-means minimizes.
3. Fit `KMeans` (fixed `n_init` and `random_state`: the same data gives the same clusters)
   for every k in `k_range` (default 2..8) and score each fit by its mean silhouette
   (`silhouette_score`), computed on a fixed-seed sample of at most `sample_size` rows
   (default 10,000) because the exact score costs O(n²). The k with the highest score wins;
   a tie goes to the smaller k.
4. Profile each cluster in original units (size, share, mean and median of every feature, and
   the centre transformed back) and name it from its profile (`cluster_name`).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

DEFAULT_K_RANGE = range(2, 9)
SILHOUETTE_SAMPLE = 10_000
N_INIT = 10
RANDOM_STATE = 0
# Naming: a feature describes a cluster when its centre lies at least this many standard
# deviations (of the transformed feature) from the overall mean; the two strongest name it.
NAME_THRESHOLD = 0.5
NAME_PARTS = 2


@dataclass(frozen=True)
class Feature:
    """One clustering feature: `log` applies log1p before scaling; `high`/`low` are the words
    naming a cluster well above / below the overall mean on it."""

    key: str
    label: str
    log: bool
    high: str
    low: str


CUSTOMER_FEATURES: tuple[Feature, ...] = (
    Feature("recency_days", "Days since last order", False, "lapsed", "recent"),
    Feature("orders_count", "Orders", True, "frequent", "occasional"),
    Feature("revenue", "Revenue", True, "high spend", "low spend"),
    Feature("average_order_value", "Average order value", True, "big baskets", "small baskets"),
    Feature("tenure_days", "Days since first order", False, "long-standing", "new"),
    Feature("interactions_90d", "Interactions, 90 days", True, "engaged", "quiet"),
)


@dataclass
class ClusterProfile:
    number: int
    name: str
    size: int
    share: float
    mean: dict[str, float]
    median: dict[str, float]
    centre: dict[str, float]
    # Centre in standard deviations from the overall mean (transformed scale), per feature.
    z: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "size": self.size,
            "share": self.share,
            "mean": self.mean,
            "median": self.median,
            "centre": self.centre,
            "z": self.z,
        }


@dataclass
class ClusterResult:
    k: int
    labels: np.ndarray
    silhouettes: dict[int, float]
    profiles: list[ClusterProfile]
    overall_mean: dict[str, float] = field(default_factory=dict)
    # The fitted scaling (transformed scale) and centres in standard units: with them a new
    # customer can be assigned to the nearest centre without refitting.
    scaler_mean: list[float] = field(default_factory=list)
    scaler_scale: list[float] = field(default_factory=list)
    scaled_centres: list[list[float]] = field(default_factory=list)


def transform(matrix: np.ndarray, features: Sequence[Feature]) -> np.ndarray:
    """log1p on the `log` features (negative values are clipped to 0 first)."""
    out = np.asarray(matrix, dtype=float).copy()
    for column, feature in enumerate(features):
        if feature.log:
            out[:, column] = np.log1p(np.clip(out[:, column], 0, None))
    return out


def untransform(matrix: np.ndarray, features: Sequence[Feature]) -> np.ndarray:
    out = np.asarray(matrix, dtype=float).copy()
    for column, feature in enumerate(features):
        if feature.log:
            out[:, column] = np.expm1(out[:, column])
    return out


def silhouette_by_k(
    scaled: np.ndarray,
    k_range: Sequence[int],
    *,
    sample_size: int = SILHOUETTE_SAMPLE,
    random_state: int = RANDOM_STATE,
    report: Callable[[int], None] | None = None,
) -> tuple[dict[int, float], dict[int, KMeans]]:
    """Fit k-means for every feasible k and score it; k must leave two distinct points per
    cluster on average for the silhouette to mean anything (2 <= k < distinct rows)."""
    distinct = len(np.unique(scaled, axis=0))
    sample = sample_size if len(scaled) > sample_size else None
    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    for k in k_range:
        if report is not None:
            report(k)
        if not 2 <= k < distinct:
            continue
        model = KMeans(n_clusters=k, n_init=N_INIT, random_state=random_state).fit(scaled)
        if len(np.unique(model.labels_)) < 2:
            continue
        scores[k] = float(
            silhouette_score(scaled, model.labels_, sample_size=sample, random_state=random_state)
        )
        models[k] = model
    return scores, models


def cluster_customers(
    matrix: np.ndarray,
    features: Sequence[Feature] = CUSTOMER_FEATURES,
    *,
    k_range: Sequence[int] = DEFAULT_K_RANGE,
    sample_size: int = SILHOUETTE_SAMPLE,
    random_state: int = RANDOM_STATE,
    report: Callable[[int], None] | None = None,
) -> ClusterResult:
    """Cluster the rows of `matrix` (one column per feature, original units); `report(k)` is
    called before each k is fitted (progress)."""
    raw = np.asarray(matrix, dtype=float)
    if raw.ndim != 2 or raw.shape[1] != len(features):
        raise ValueError(f"Expected a matrix with {len(features)} columns.")
    scaler = StandardScaler()
    scaled = scaler.fit_transform(transform(raw, features))
    scores, models = silhouette_by_k(
        scaled, k_range, sample_size=sample_size, random_state=random_state, report=report
    )
    if not scores:
        raise ValueError("Too few distinct customers to form two clusters.")
    best = max(scores, key=lambda k: (scores[k], -k))
    model = models[best]
    centres = untransform(scaler.inverse_transform(model.cluster_centers_), features)
    profiles = _profiles(raw, model.labels_, centres, model.cluster_centers_, features)
    overall = {f.key: float(raw[:, i].mean()) for i, f in enumerate(features)}
    return ClusterResult(
        best,
        model.labels_.copy(),
        scores,
        profiles,
        overall,
        scaler_mean=[float(v) for v in scaler.mean_],
        scaler_scale=[float(v) for v in scaler.scale_],
        scaled_centres=model.cluster_centers_.tolist(),
    )


def _profiles(
    raw: np.ndarray,
    labels: np.ndarray,
    centres: np.ndarray,
    scaled_centres: np.ndarray,
    features: Sequence[Feature],
) -> list[ClusterProfile]:
    profiles = []
    used: set[str] = set()
    for number in range(len(centres)):
        rows = raw[labels == number]
        z = {f.key: float(scaled_centres[number, i]) for i, f in enumerate(features)}
        name = cluster_name(z, features)
        if name in used:
            name = f"{name} ({number})"
        used.add(name)
        profiles.append(
            ClusterProfile(
                number=number,
                name=name,
                size=len(rows),
                share=len(rows) / len(raw),
                mean={f.key: float(rows[:, i].mean()) for i, f in enumerate(features)},
                median={f.key: float(np.median(rows[:, i])) for i, f in enumerate(features)},
                centre={f.key: float(centres[number, i]) for i, f in enumerate(features)},
                z=z,
            )
        )
    return profiles


def cluster_name(z: dict[str, float], features: Sequence[Feature]) -> str:
    """Name a cluster by the (at most two) features its centre lies furthest from the overall
    mean, at least `NAME_THRESHOLD` standard deviations away: "High spend, frequent",
    "Lapsed, low spend". A cluster close to the mean on every feature is "Typical customers"."""
    by_key = {f.key: f for f in features}
    strong = sorted(
        (key for key, value in z.items() if abs(value) >= NAME_THRESHOLD),
        key=lambda key: (-abs(z[key]), key),
    )[:NAME_PARTS]
    if not strong:
        return "Typical customers"
    words = [by_key[key].high if z[key] > 0 else by_key[key].low for key in strong]
    text = ", ".join(words)
    return text[0].upper() + text[1:]
