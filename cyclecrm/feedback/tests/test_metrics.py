import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.feedback.metrics import csat_score, nps_score, survey_metrics
from cyclecrm.feedback.models import Category, SurveyKind, SurveyResponse, score_category


@pytest.mark.parametrize(
    ("kind", "score", "category"),
    [
        ("nps", 0, Category.DETRACTOR),
        ("nps", 6, Category.DETRACTOR),
        ("nps", 7, Category.PASSIVE),
        ("nps", 8, Category.PASSIVE),
        ("nps", 9, Category.PROMOTER),
        ("nps", 10, Category.PROMOTER),
        ("csat", 1, Category.UNSATISFIED),
        ("csat", 2, Category.UNSATISFIED),
        ("csat", 3, Category.NEUTRAL),
        ("csat", 4, Category.SATISFIED),
        ("csat", 5, Category.SATISFIED),
    ],
)
def test_score_categories(kind, score, category):
    assert score_category(kind, score) == category


def test_no_figure_without_answers():
    assert nps_score(0, 0, 0).score is None
    assert csat_score(0, 0, 0).score is None
    assert nps_score(0, 0, 0).n == 0


def test_nps_by_hand():
    # 5 promoters, 3 passives, 2 detractors: 50 % - 20 % = 30
    figure = nps_score(5, 3, 2)
    assert (figure.n, figure.score) == (10, 30.0)
    # variance of the mean of +1/0/-1: (0.5 + 0.2 - 0.3²) / 10 = 0.061; half width 1.96·√0.061
    assert figure.low == pytest.approx(30 - 48.4, abs=0.1)
    assert figure.high == pytest.approx(30 + 48.4, abs=0.1)


def test_csat_wilson_interval_by_hand():
    # 8 of 10 satisfied: Wilson 95 % interval 49.0 % - 94.3 % (textbook value)
    figure = csat_score(8, 1, 1)
    assert (figure.n, figure.score) == (10, 80.0)
    assert figure.low == pytest.approx(49.0, abs=0.1)
    assert figure.high == pytest.approx(94.3, abs=0.1)
    assert csat_score(3, 0, 0).high == 100.0


def _answer(survey, contact, score, at):
    return SurveyResponse.objects.create(
        survey=survey,
        contact=contact,
        score=score,
        category=score_category(survey.kind, score),
        answered_at=at,
    )


def test_metrics_from_the_database_by_month(nps, csat, rep_a):
    # given: NPS answers in January (10, 9, 3) and February (7, 0); one CSAT answer elsewhere
    contact = make_contact(rep_a)
    jan, feb = dt.datetime(2026, 1, 15, tzinfo=dt.UTC), dt.datetime(2026, 2, 3, tzinfo=dt.UTC)
    for score, at in ((10, jan), (9, jan), (3, jan), (7, feb), (0, feb)):
        _answer(nps, contact, score, at)
    _answer(csat, contact, 5, jan)

    # when
    overall, trend = survey_metrics(
        kind=SurveyKind.NPS, responses=SurveyResponse.objects.filter(survey=nps)
    )

    # then: 2 promoters, 1 passive, 2 detractors of 5 → 0
    assert (overall.n, overall.score, overall.positive, overall.negative) == (5, 0.0, 2, 2)
    assert [(b.start, b.figure.n, b.figure.score) for b in trend] == [
        (dt.date(2026, 1, 1), 3, 33.3),
        (dt.date(2026, 2, 1), 2, -50.0),
    ]


def test_csat_metrics_by_week_and_empty(csat, rep_a):
    contact = make_contact(rep_a)
    monday = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    for score in (5, 4, 2):
        _answer(csat, contact, score, monday + dt.timedelta(days=2))
    responses = SurveyResponse.objects.filter(survey=csat)

    overall, trend = survey_metrics(kind=SurveyKind.CSAT, responses=responses, period="week")

    assert (overall.n, overall.score) == (3, 66.7)
    assert [(b.start, b.figure.n) for b in trend] == [(dt.date(2026, 3, 2), 3)]
    empty, no_trend = survey_metrics(kind=SurveyKind.CSAT, responses=responses.none())
    assert (empty.n, empty.score, no_trend) == (0, None, [])


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_figures_stay_in_range_and_inside_their_interval(positive, neutral, negative):
    for build, floor in ((nps_score, -100), (csat_score, 0)):
        figure = build(positive, neutral, negative)
        assert figure.n == positive + neutral + negative
        if figure.n == 0:
            assert figure.score is None
            continue
        assert floor <= figure.low <= figure.score <= figure.high <= 100
