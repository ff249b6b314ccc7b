"""Service KPIs against hand-computed values on a small set of cases and survey answers (June
2026; 1 June is a Monday, so its ISO weeks start 1, 8, 15, 22 and 29 June)."""

import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.analytics.kpis.engine import kpi_evaluate
from cyclecrm.analytics.tests.kpi_helpers import at, kpi
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.feedback.metrics import survey_metrics
from cyclecrm.feedback.models import SurveyKind, SurveyResponse, score_category
from cyclecrm.feedback.selectors import response_list
from cyclecrm.feedback.tests.conftest import make_survey
from cyclecrm.support.models import Case, CaseStatus

pytestmark = pytest.mark.django_db

JUNE = {"from": "2026-06-01", "to": "2026-06-30"}
EMPTY = {"from": "2025-01-01", "to": "2025-01-31"}
_numbers = itertools.count(1)


def make_case(created: str, **fields: Any) -> Case:
    """A case inserted as it stands at the end of its story (its clocks are the fixture);
    `created` is "YYYY-MM-DDTHH" (UTC)."""
    fields.setdefault("status", CaseStatus.RESOLVED if fields.get("resolved_at") else "open")
    number = f"C-{next(_numbers)}"
    return Case.objects.create(
        number=number, subject="Help", created_at=at(created[:10], int(created[11:])), **fields
    )


@pytest.fixture
def cases(teams, support_agent) -> dict[str, Case]:
    support, north = teams["support"], teams["north"]
    return {
        # Replied after 1 h (due in 2 h: met), resolved after 10 h (due next day: met).
        "c1": make_case(
            "2026-06-02T10",
            channel="email",
            priority="high",
            team=support,
            owner=support_agent,
            first_responded_at=at("2026-06-02", 11),
            resolved_at=at("2026-06-02", 20),
            first_response_due=at("2026-06-02", 12),
            resolution_due=at("2026-06-03", 10),
        ),
        # Replied after 2 h, one hour late (missed); resolved after 30 h, in time (met).
        "c2": make_case(
            "2026-06-03T08",
            channel="phone",
            priority="normal",
            team=support,
            owner=support_agent,
            first_responded_at=at("2026-06-03", 10),
            resolved_at=at("2026-06-04", 14),
            first_response_due=at("2026-06-03", 9),
            resolution_due=at("2026-06-05", 8),
        ),
        # Another queue: replied after 6 h, both targets recorded as breached; still open.
        "c3": make_case(
            "2026-06-10T12",
            channel="email",
            priority="normal",
            team=north,
            first_responded_at=at("2026-06-10", 18),
            first_response_due=at("2026-06-10", 13),
            first_response_breached_at=at("2026-06-10", 13),
            resolution_due=at("2026-06-20", 12),
            resolution_breached_at=at("2026-06-20", 12),
        ),
        # Opened in May, replied in May, resolved on 1 June after 48 h; no SLA.
        "c4": make_case(
            "2026-05-30T12",
            channel="web",
            priority="urgent",
            team=support,
            first_responded_at=at("2026-05-30", 13),
            resolved_at=at("2026-06-01", 12),
        ),
        "c5": make_case("2026-06-20T12", channel="chat", priority="low", team=support),
        "c6": make_case("2026-07-01T12", channel="email", team=support),  # after June
        "c7": make_case("2026-05-10T12", team=support, resolved_at=at("2026-05-20")),
        "c8": make_case("2026-05-15T12", team=support),  # open since May
    }


def test_cases_opened_total_groups_split_and_scoping(api_client, admin, support_agent, cases):
    client = api_client(admin)
    body = kpi(client, "cases_opened", **JUNE)
    assert body["value"] == 4  # c1, c2, c3, c5
    assert "created_after=2026-06-01" in body["drill_url"]
    groups = kpi(client, "cases_opened", group_by="channel", **JUNE)["groups"]
    assert {g["key"]: g["value"] for g in groups} == {"email": 2, "phone": 1, "chat": 1}
    email = next(g for g in groups if g["key"] == "email")
    assert "channel=email" in email["drill_url"]
    teams = kpi(client, "cases_opened", group_by="team", **JUNE)["groups"]
    assert {g["label"]: g["value"] for g in teams} == {"Support": 3, "North": 1}
    weekly = kpi(client, "cases_opened", group_by="week", split_by="channel", **JUNE)
    assert [p["value"] for p in weekly["series"]] == [2, 1, 1, 0, 0]
    assert weekly["series"][0]["parts"] == {"email": 1, "phone": 1, "web": 0, "chat": 0}
    # The agent sees the cases of the Support queue only: c1, c2, c5.
    assert kpi(api_client(support_agent), "cases_opened", **JUNE)["value"] == 3
    # Assigned to the agent: c1, c2; the drill-down keeps the filter.
    mine = kpi(client, "cases_opened", owner=support_agent.pk, **JUNE)
    assert mine["value"] == 2 and f"owner_id={support_agent.pk}" in mine["drill_url"]


def listed(client: Any, url: str, cases: dict[str, Case]) -> set[str]:
    """The fixture cases (by key) the case list at `url` shows."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    return {key for key, case in cases.items() if f'href="/cases/{case.pk}/"' in page}


def test_drill_down_lists_exactly_the_counted_cases(web_client, admin, cases):
    url = kpi_evaluate(actor=admin, name="cases_resolved", params=JUNE).result.drill_url
    assert listed(web_client(admin), url, cases) == {"c1", "c2", "c4"}
    url = kpi_evaluate(actor=admin, name="case_backlog", params=JUNE).result.drill_url
    assert listed(web_client(admin), url, cases) == {"c3", "c5", "c8"}


def test_cases_resolved(api_client, admin, cases):
    body = kpi(api_client(admin), "cases_resolved", **JUNE)
    assert body["value"] == 3  # c4 (1 June), c1 (2 June), c2 (4 June)
    assert "resolved_after=2026-06-01" in body["drill_url"]


def test_first_response_time(api_client, admin, support_agent, cases):
    client = api_client(admin)
    body = kpi(client, "first_response_time", **JUNE)
    # First replies in June: c1 1 h, c2 2 h, c3 6 h (c4 replied in May): 9 / 3 = 3.00 h.
    assert body["value"] == 3.0 and body["denominator"] == 3 and body["display"] == "3.0 h"
    weekly = kpi(client, "first_response_time", group_by="week", **JUNE)["series"]
    assert [p["value"] for p in weekly] == [1.5, 6.0, None, None, None]
    by_priority = kpi(client, "first_response_time", group_by="priority", **JUNE)["groups"]
    assert {g["key"]: g["value"] for g in by_priority} == {"high": 1.0, "normal": 4.0}
    # The agent: c1 and c2, (1 + 2) / 2 = 1.50 h.
    assert kpi(api_client(support_agent), "first_response_time", **JUNE)["value"] == 1.5


def test_resolution_time(api_client, admin, cases):
    body = kpi(api_client(admin), "resolution_time", **JUNE)
    # Resolved in June: c4 48 h, c1 10 h, c2 30 h: 88 / 3 = 29.33 h.
    assert body["value"] == 29.33 and body["denominator"] == 3


def test_sla_compliance(api_client, admin, support_agent, cases):
    client = api_client(admin)
    body = kpi(client, "sla_compliance", **JUNE)
    # Met: c1 first response, c1 and c2 resolution (3). Missed: c2 first response (late), c3
    # first response and resolution (breaches recorded) (3). 3 / 6 = 50.00 %.
    assert (body["value"], body["numerator"], body["denominator"]) == (50.0, 3, 6)
    assert body["extra"] == {
        "met_first_response": 1,
        "missed_first_response": 2,
        "met_resolution": 2,
        "missed_resolution": 1,
    }
    by_priority = kpi(client, "sla_compliance", group_by="priority", **JUNE)["groups"]
    # high: c1 2 of 2; normal: c2 resolution only, 1 of 4.
    assert {g["key"]: g["value"] for g in by_priority} == {"high": 100.0, "normal": 25.0}
    weekly = kpi(client, "sla_compliance", group_by="week", **JUNE)["series"]
    # Week of 1 June: c1 x2 and c2 resolution met, c2 first response missed: 3 / 4. Week of
    # 8 June: c3 first response missed: 0 / 1. Week of 15 June: c3 resolution due 20 June: 0 / 1.
    assert [p["value"] for p in weekly] == [75.0, 0.0, 0.0, None, None]
    # The agent: c1 and c2, 3 met of 4.
    assert kpi(api_client(support_agent), "sla_compliance", **JUNE)["value"] == 75.0


def test_sla_drill_down_lists_the_cases_that_missed(web_client, admin, cases):
    url = kpi_evaluate(actor=admin, name="sla_compliance", params=JUNE).result.drill_url
    assert listed(web_client(admin), url, cases) == {"c2", "c3"}


def test_case_backlog_now_and_historic(api_client, admin, support_agent, cases):
    client = api_client(admin)
    # Open at 1 July 00:00: c3, c5, c8 (c6 is created later, the others resolved).
    body = kpi(client, "case_backlog", **JUNE)
    assert body["value"] == 3 and "open_at=2026-07-01" in body["drill_url"]
    weekly = kpi(client, "case_backlog", group_by="week", **JUNE)
    # Open on 1 June: c4, c8 = 2; week 1: +c1 +c2 -c4 -c1 -c2 = 1; +c3 = 2; +c5 = 3; 3; 3.
    assert [p["value"] for p in weekly["series"]] == [1, 2, 3, 3, 3]
    assert weekly["value"] == 3
    # Historic: at the end of May, c4 and c8 were open (c7 was resolved on 20 May).
    assert kpi(client, "case_backlog", **{"from": "2026-05-01", "to": "2026-05-31"})["value"] == 2
    assert kpi(api_client(support_agent), "case_backlog", **JUNE)["value"] == 2  # c5, c8


@pytest.mark.parametrize(
    "name", ["cases_opened", "cases_resolved", "case_backlog", "first_response_time"]
)
def test_series_take_a_bounded_number_of_queries(api_client, admin, cases, name):
    client = api_client(admin)
    kpi(client, name, group_by="day", **EMPTY)  # the token's first use writes once
    with CaptureQueriesContext(connection) as few:
        kpi(client, name, group_by="day", **JUNE)
    for day in range(1, 20):
        make_case(f"2026-06-{day:02d}T09", resolved_at=at(f"2026-06-{day:02d}", 15))
    with CaptureQueriesContext(connection) as many:
        kpi(client, name, group_by="day", **JUNE)
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "name", ["first_response_time", "resolution_time", "sla_compliance", "csat", "nps"]
)
def test_an_empty_period_has_no_data(api_client, admin, cases, name):
    body = kpi(api_client(admin), name, **EMPTY)
    assert body["value"] is None and body["no_data"] and body["display"] == "—"


def test_counts_in_an_empty_period_are_zero(api_client, admin, cases):
    for name in ("cases_opened", "cases_resolved", "case_backlog"):
        assert kpi(api_client(admin), name, **EMPTY)["value"] == 0


@pytest.fixture
def answers(admin, rep_a, rep_b, teams, cases) -> None:
    mine, theirs = make_contact(rep_a), make_contact(rep_b)
    nps, csat = make_survey(admin, SurveyKind.NPS), make_survey(admin, SurveyKind.CSAT)

    def answer(survey, contact, score, day, case=None):
        SurveyResponse.objects.create(
            survey=survey,
            contact=contact,
            case=case,
            score=score,
            category=score_category(survey.kind, score),
            answered_at=at(day),
        )

    for score in (10, 9, 3):
        answer(nps, mine, score, "2026-06-05")
    for score in (8, 7):
        answer(nps, theirs, score, "2026-06-06")
    answer(nps, mine, 10, "2026-05-20")
    for score, case in ((5, "c1"), (4, "c1"), (4, "c2"), (3, "c2"), (1, "c3")):
        answer(csat, mine, score, "2026-06-12", cases[case])
    answer(csat, mine, 1, "2026-05-12", cases["c1"])


def test_nps_value_counts_trend_and_scoping(api_client, admin, rep_a, answers):
    client = api_client(admin)
    body = kpi(client, "nps", **JUNE)
    # June: promoters 10, 9; passives 8, 7; detractor 3: (2 - 1) / 5 x 100 = 20.0.
    assert body["value"] == 20.0 and body["denominator"] == 5
    assert body["extra"]["promoters"] == 2 and body["extra"]["detractors"] == 1
    trend = kpi(client, "nps", group_by="month", **{"from": "2026-05-01", "to": "2026-06-30"})
    assert [p["value"] for p in trend["series"]] == [100.0, 20.0]
    # rep_a reads only their contact's answers: 10, 9, 3: (2 - 1) / 3 x 100 = 33.3.
    assert kpi(api_client(rep_a), "nps", **JUNE)["value"] == 33.3


def test_csat_value_and_queue_filter(api_client, admin, teams, answers):
    client = api_client(admin)
    # June: 5, 4, 4, 3, 1: 3 satisfied of 5 = 60.0 %.
    body = kpi(client, "csat", **JUNE)
    assert body["value"] == 60.0 and (body["numerator"], body["denominator"]) == (3, 5)
    # The Support queue's cases c1 and c2: 5, 4, 4, 3: 3 of 4 = 75.0 %.
    assert kpi(client, "csat", team=teams["support"].pk, **JUNE)["value"] == 75.0


def test_the_survey_page_and_the_kpi_share_the_figure(admin, answers):
    survey = SurveyResponse.objects.filter(survey__kind="nps").first().survey
    responses = response_list(actor=admin, survey=survey).filter(
        answered_at__gte=at("2026-06-01", 0)
    )
    overall, _ = survey_metrics(kind="nps", responses=responses)
    kpi_value = kpi_evaluate(actor=admin, name="nps", params=JUNE).result.value
    assert float(kpi_value) == overall.score == 20.0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            "responded_after=2026-06-02T11:00:00Z&responded_before=2026-06-10T18:00:00Z",
            {"c1", "c2"},
        ),
        ("resolved_after=2026-06-02T00:00:00Z", {"c1", "c2"}),
        ("resolved_before=2026-06-02T00:00:00Z", {"c4", "c7"}),
        ("open_at=2026-06-01T00:00:00Z", {"c4", "c8"}),
        ("sla_missed_after=2026-06-10T00:00:00Z", {"c3"}),
        ("sla_missed_before=2026-06-10T00:00:00Z", {"c2"}),
        ("sla_missed_after=2026-06-10T00:00:00Z&sla_missed_before=2026-06-11T00:00:00Z", {"c3"}),
    ],
)
def test_case_list_filters_behind_the_drill_downs(api_client, admin, cases, params, expected):
    response = api_client(admin).get(f"/api/v1/cases?limit=100&{params.replace('+', '%2B')}")
    assert response.status_code == 200, response.content
    ids = {item["id"] for item in response.json()["items"]}
    assert {key for key, case in cases.items() if case.pk in ids} == expected


def test_a_bad_instant_names_the_filter(api_client, admin):
    response = api_client(admin).get("/api/v1/cases?open_at=yesterday")
    assert response.status_code == 422
    assert "open_at" in str(response.json())
