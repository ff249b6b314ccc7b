"""Survey metrics, counted in the database (one aggregate for the figure, one grouped query for
the trend) and turned into scores here.

- NPS = 100 * (promoters - detractors) / n, promoters scoring 9-10 and detractors 0-6. Its 95 %
  interval treats each answer as +1 / 0 / -1: the variance of the mean is
  (p + d - (p - d)²) / n with p, d the promoter and detractor shares (normal approximation).
- CSAT = 100 * satisfied / n, satisfied scoring 4-5, with the 95 % Wilson score interval
  (sound for small n and for shares near 0 or 100 %, unlike the plain normal interval).

No figure is given for n = 0; every figure carries its n. Both formulas are closed forms, so
they need no statistics package.
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from cyclecrm.feedback.models import Category, SurveyKind, SurveyResponse

Z_95 = 1.959963984540054  # the 0.975 quantile of the standard normal distribution
Period = Literal["day", "week", "month"]
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class Score:
    n: int
    score: float | None
    low: float | None
    high: float | None
    positive: int
    neutral: int
    negative: int


@dataclass(frozen=True)
class Bucket:
    start: dt.date
    figure: Score


def nps_score(promoters: int, passives: int, detractors: int) -> Score:
    n = promoters + passives + detractors
    if n == 0:
        return Score(0, None, None, None, promoters, passives, detractors)
    p, d = promoters / n, detractors / n
    value = p - d
    half = Z_95 * math.sqrt(max(p + d - value * value, 0.0) / n)
    return Score(
        n,
        round(100 * value, 1),
        round(100 * max(value - half, -1.0), 1),
        round(100 * min(value + half, 1.0), 1),
        promoters,
        passives,
        detractors,
    )


def csat_score(satisfied: int, neutral: int, unsatisfied: int) -> Score:
    n = satisfied + neutral + unsatisfied
    if n == 0:
        return Score(0, None, None, None, satisfied, neutral, unsatisfied)
    share = satisfied / n
    z2 = Z_95 * Z_95
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Score(
        n,
        round(100 * share, 1),
        round(100 * max(centre - half, 0.0), 1),
        round(100 * min(centre + half, 1.0), 1),
        satisfied,
        neutral,
        unsatisfied,
    )


def score_counts(kind: str) -> dict[str, Count]:
    """The positive / neutral / negative answer counts of a survey kind, as aggregates; the
    survey pages and the `nps` / `csat` KPIs both count with these."""
    positive, neutral, negative = (
        (Category.PROMOTER, Category.PASSIVE, Category.DETRACTOR)
        if kind == SurveyKind.NPS
        else (Category.SATISFIED, Category.NEUTRAL, Category.UNSATISFIED)
    )
    return {
        "positive": Count("id", filter=Q(category=positive)),
        "neutral": Count("id", filter=Q(category=neutral)),
        "negative": Count("id", filter=Q(category=negative)),
    }


def score_figure(kind: str, row: dict[str, int]) -> Score:
    """The NPS or CSAT figure from a row of `score_counts`."""
    build = nps_score if kind == SurveyKind.NPS else csat_score
    return build(row["positive"] or 0, row["neutral"] or 0, row["negative"] or 0)


def survey_metrics(
    *, kind: str, responses: QuerySet[SurveyResponse], period: Period = "month"
) -> tuple[Score, list[Bucket]]:
    """The overall figure and one per week or month (UTC) with at least one answer."""
    overall = score_figure(kind, responses.aggregate(**score_counts(kind)))
    rows = (
        responses.order_by()
        .annotate(bucket=_TRUNC[period]("answered_at", tzinfo=dt.UTC))
        .values("bucket")
        .annotate(**score_counts(kind))
        .order_by("bucket")
    )
    trend = [
        Bucket(
            row["bucket"].date() if isinstance(row["bucket"], dt.datetime) else row["bucket"],
            score_figure(kind, row),
        )
        for row in rows
    ]
    return overall, trend
