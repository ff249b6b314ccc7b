"""RFM: recency, frequency and monetary quintile scores (1..5, 5 best) and the named groups.
Pure pandas, no Django (docs/intelligence/clv-and-rfm.md, "RFM").

Scores come from percentile ranks: score = ceil(5 * rank / n) with tied values given their average
rank. On values without ties this is exactly the quintile (pandas qcut on the ranks); tied
customers (the many one-time buyers, say) always share a score instead of being split across
bins by row order, so two customers with the same history never get different scores.

Recency is scored on the days since the last purchase (fewer is better), frequency on purchase
days, monetary on revenue. The group comes from R and FM = ⌈(F + M) / 2⌉, by `GROUP_TABLE`.
"""

import math

import numpy as np
import pandas as pd

from cyclecrm.intelligence.vocab import GROUP_TABLE


def _group_lookup() -> dict[tuple[int, int], str]:
    lookup: dict[tuple[int, int], str] = {}
    # "lost" is the corner of "hibernating": later rows win.
    for group, _label, recencies, fms, _meaning in GROUP_TABLE:
        for recency in recencies:
            for fm in fms:
                lookup[(recency, fm)] = group
    return lookup


GROUPS = _group_lookup()


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """1..5 per value: the quintile of its average rank (ties share a score)."""
    if values.empty:
        return pd.Series([], index=values.index, dtype=int)
    ranked = values if higher_is_better else -values
    percent = ranked.rank(method="average", pct=True)
    return np.ceil(percent * 5).clip(1, 5).astype(int)


def fm_score(frequency_score: int, monetary_score: int) -> int:
    return math.ceil((frequency_score + monetary_score) / 2)


def group_for(recency_score: int, frequency_score: int, monetary_score: int) -> str:
    return GROUPS[(recency_score, fm_score(frequency_score, monetary_score))]


def score(recency_days: pd.Series, purchase_days: pd.Series, revenue: pd.Series) -> pd.DataFrame:
    """Scores and group per customer (aligned on the index of the three series)."""
    frame = pd.DataFrame(
        {
            "recency_score": quintile_scores(recency_days, higher_is_better=False),
            "frequency_score": quintile_scores(purchase_days),
            "monetary_score": quintile_scores(revenue),
        }
    )
    fm = np.ceil((frame["frequency_score"] + frame["monetary_score"]) / 2).astype(int)
    frame["rfm_group"] = [
        GROUPS[(int(r), int(f))] for r, f in zip(frame["recency_score"], fm, strict=True)
    ]
    return frame


def cut_points(values: pd.Series, scores: pd.Series) -> dict[str, list[float]]:
    """Per score, the [lowest, highest] value that got it (documents where the bins fell)."""
    limits = values.groupby(scores).agg(["min", "max"])
    return {str(int(key)): [float(row["min"]), float(row["max"])] for key, row in limits.iterrows()}


def summary(frame: pd.DataFrame, scored: pd.DataFrame) -> dict:
    """Group counts and the cut points of each score, for the CLI and the run's metrics."""
    counts = scored["rfm_group"].value_counts()
    return {
        "customers": len(scored),
        "groups": {group: int(counts.get(group, 0)) for group, *_ in GROUP_TABLE},
        "cut_points": {
            "recency_days": cut_points(frame["recency_days"], scored["recency_score"]),
            "purchase_days": cut_points(frame["purchase_days"], scored["frequency_score"]),
            "revenue": cut_points(frame["revenue"], scored["monetary_score"]),
        },
    }
