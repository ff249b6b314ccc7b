"""The survey scores of the service area, `csat` and `nps` (docs/kpis.md#service).

They count answers with `feedback.metrics.score_counts` and turn the counts into a score with
`feedback.metrics.score_figure`, the same aggregate and formula as the survey pages, so the
dashboards and a survey's page cannot disagree. Responses are read through
`feedback.selectors.response_list` (the contacts the actor may read).
"""

from decimal import Decimal

from django.db.models import Q, QuerySet

from cyclecrm.analytics.kpis.definitions import Area, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import bucket, in_period, scoped, series
from cyclecrm.feedback.metrics import Score, score_counts, score_figure
from cyclecrm.feedback.models import SurveyKind, SurveyResponse
from cyclecrm.feedback.selectors import response_list
from cyclecrm.identity.models import User

SURVEY_SOURCES = ("feedback.SurveyResponse", "feedback.Survey", "support.Case")
SURVEY_FILTERS = frozenset({"team", "owner", "segment"})
NAMES = {
    SurveyKind.NPS: ("promoters", "passives", "detractors"),
    SurveyKind.CSAT: ("satisfied", "neutral", "unsatisfied"),
}


def _responses(actor: User, q: KpiQuery, kind: str, owner: str) -> QuerySet[SurveyResponse]:
    """Answers of `kind` in the period; `team` is the answered case's queue, or the survey's
    team for answers without a case."""
    answers = response_list(actor=actor).filter(in_period("answered_at", q), survey__kind=kind)
    answers = scoped(actor, answers, q, owner=owner, team=None, contact="contact", restrict=False)
    if q.team is not None:
        answers = answers.filter(
            Q(case__team_id=q.team) | Q(case__isnull=True, survey__team_id=q.team)
        )
    return answers.order_by()


def _counts(figure: Score) -> tuple[int, int, int]:
    return figure.positive, figure.neutral, figure.negative


def _value(figure: Score) -> Decimal | None:
    return None if figure.score is None else Decimal(str(figure.score))


def _score(kind: str, answers: QuerySet[SurveyResponse], q: KpiQuery, no_data: str) -> Result:
    figure = score_figure(kind, answers.aggregate(**score_counts(kind)))
    points = None
    if q.grain:
        rows = (
            answers.annotate(period=bucket("answered_at", q.grain))
            .values("period")
            .annotate(**score_counts(kind))
        )
        points = series(
            q, {row["period"]: _value(score_figure(kind, row)) for row in rows}, empty=None
        )
    positive = figure.positive - (figure.negative if kind == SurveyKind.NPS else 0)
    return Result(
        value=_value(figure),
        no_data=None if figure.n else no_data,
        numerator=positive if figure.n else None,
        denominator=figure.n,
        series=points,
        extra={
            **dict(zip(NAMES[kind], _counts(figure), strict=True)),
            "ci_low": figure.low,
            "ci_high": figure.high,
        },
    )


@metric(
    name="csat",
    label="CSAT",
    area=Area.SERVICE,
    unit=Unit.PERCENT,
    description="Share of satisfied answers (4 or 5 out of 5) to CSAT surveys.",
    formula="satisfied answers (score 4-5) / all CSAT answers x 100",
    period="CSAT answers given in the period (UTC days).",
    filters=SURVEY_FILTERS,
    sources=SURVEY_SOURCES,
    example="Scores 5, 4, 4, 3, 1: 3 satisfied of 5, csat = 60.0 %.",
)
def csat(actor: User, q: KpiQuery) -> Result:
    answers = _responses(actor, q, SurveyKind.CSAT, owner="case__owner")
    return _score(SurveyKind.CSAT, answers, q, "No CSAT answer was given in the period.")


@metric(
    name="nps",
    label="Net Promoter Score",
    area=Area.SERVICE,
    unit=Unit.SCORE,
    description="Promoters (9-10) minus detractors (0-6), in percent of NPS answers: -100 to 100.",
    formula="(promoters - detractors) / all NPS answers x 100",
    period="NPS answers given in the period (UTC days); by month it is the NPS trend.",
    filters=SURVEY_FILTERS,
    sources=SURVEY_SOURCES,
    example="Scores 10, 9, 8, 7, 3: (2 - 1) / 5 x 100, nps = 20.0.",
)
def nps(actor: User, q: KpiQuery) -> Result:
    answers = _responses(actor, q, SurveyKind.NPS, owner="contact__owner")
    return _score(SurveyKind.NPS, answers, q, "No NPS answer was given in the period.")
