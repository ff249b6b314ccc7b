"""The leads API: a permission matrix over the built-in roles, status and conversion endpoints,
filters and orderings, exports that do not leak, and query counts that do not grow."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.core.models import HistoryEntry, Tag
from cyclecrm.core.testing.factories import make_account
from cyclecrm.leads.models import Lead, LeadStatusChange
from cyclecrm.leads.tests.factories import make_grade, make_lead, make_scoring_rule
from cyclecrm.pipeline.models import Opportunity

JSON = "application/json"
ROLES = ["admin", "manager", "rep_a", "rep_b", "marketer", "support_agent"]

# rep_a's lead (team North, below the manager's Sales).
#                visible, create, update, delete, export
MATRIX = {
    "admin": (True, 201, 200, 204, 200),
    "manager": (True, 201, 200, 204, 200),
    "rep_a": (True, 201, 200, 204, 200),
    "rep_b": (False, 201, 404, 404, 200),
    "marketer": (True, 201, 403, 403, 200),
    "support_agent": (False, 201, 404, 404, 200),
}


@pytest.fixture
def lead(rep_a) -> Lead:
    return make_lead(owner=rep_a, last_name="Quimby", company="Zyxwell")


def _export_ids(response) -> set[int]:
    text = b"".join(response.streaming_content).decode()
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(text))}


@pytest.mark.parametrize("role", ROLES)
def test_read_list_search_export_history(request, api_client, lead, role):
    visible, *_, export = MATRIX[role]
    client = api_client(request.getfixturevalue(role))

    listed = {item["id"] for item in client.get("/api/v1/leads").json()["items"]}
    found = {item["id"] for item in client.get("/api/v1/leads?q=quimby").json()["items"]}
    detail = client.get(f"/api/v1/leads/{lead.pk}")
    history = client.get(f"/api/v1/leads/{lead.pk}/history")
    changes = client.get(f"/api/v1/leads/{lead.pk}/status-changes")
    exported = client.get("/api/v1/leads/export")

    assert (lead.pk in listed, lead.pk in found) == (visible, visible)
    assert detail.status_code == history.status_code == changes.status_code
    assert detail.status_code == (200 if visible else 404)
    assert exported.status_code == export
    if export == 200:
        assert (lead.pk in _export_ids(exported)) is visible


@pytest.mark.parametrize("role", ROLES)
def test_create(request, api_client, role):
    user = request.getfixturevalue(role)

    response = api_client(user).post("/api/v1/leads", {"last_name": "New"}, content_type=JSON)

    assert response.status_code == MATRIX[role][1]
    assert Lead.objects.filter(owner=user, last_name="New").exists() is (
        response.status_code == 201
    )


@pytest.mark.parametrize("role", ROLES)
def test_update_and_delete(request, api_client, lead, role):
    _, _, update, delete, _ = MATRIX[role]
    client = api_client(request.getfixturevalue(role))

    patched = client.patch(
        f"/api/v1/leads/{lead.pk}", {"title": "CEO", "version": 1}, content_type=JSON
    )
    lead.refresh_from_db()
    assert patched.status_code == update
    assert (lead.title == "CEO") is (update == 200)

    deleted = client.delete(f"/api/v1/leads/{lead.pk}")
    assert deleted.status_code == delete
    assert Lead.objects.filter(pk=lead.pk).exists() is (delete != 204)


@pytest.mark.parametrize("role", ROLES)
def test_status_and_convert_follow_the_edit_right(request, api_client, lead, role):
    _, _, update, *_ = MATRIX[role]
    client = api_client(request.getfixturevalue(role))

    status = client.post(
        f"/api/v1/leads/{lead.pk}/status",
        {"status": "qualified", "version": 1},
        content_type=JSON,
    )
    assert status.status_code == update
    if update != 200:
        Lead.objects.filter(pk=lead.pk).update(status="qualified")
    converted = client.post(
        f"/api/v1/leads/{lead.pk}/convert", {"create_opportunity": True}, content_type=JSON
    )
    assert converted.status_code == update
    assert Opportunity.objects.exists() is (update == 200)


def test_create_returns_the_scored_and_assigned_lead(api_client, admin):
    make_scoring_rule(field="title", operator="contains", value=["chief"], points=30)
    make_grade("B", 20)

    response = api_client(admin).post(
        "/api/v1/leads",
        {"last_name": "Doe", "title": "Chief Fun Officer", "budget": "1000.50", "tags": ["x"]},
        content_type=JSON,
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["score"], body["grade"], body["budget"], body["tags"]) == (
        30,
        "B",
        "1000.50",
        ["x"],
    )
    assert body["score_breakdown"][0]["points"] == 30


def test_bad_input_names_the_field(api_client, rep_a):
    client = api_client(rep_a)

    float_budget = client.post(
        "/api/v1/leads", {"last_name": "X", "budget": 10.5}, content_type=JSON
    )
    no_name = client.post("/api/v1/leads", {"title": "CTO"}, content_type=JSON)
    unknown = client.post(
        "/api/v1/leads", {"last_name": "X", "status": "qualified"}, content_type=JSON
    )

    assert float_budget.status_code == no_name.status_code == unknown.status_code == 422
    assert "budget" in float_budget.json()["error"]["fields"]
    assert "last_name" in no_name.json()["error"]["fields"]
    assert "status" in unknown.json()["error"]["fields"]
    assert not Lead.objects.exists()


def test_status_endpoint(api_client, rep_a, lead):
    client = api_client(rep_a)
    url = f"/api/v1/leads/{lead.pk}/status"

    bad = client.post(url, {"status": "open", "version": 1}, content_type=JSON)
    no_reason = client.post(url, {"status": "unqualified", "version": 1}, content_type=JSON)
    good = client.post(
        url, {"status": "unqualified", "reason": "No budget", "version": 1}, content_type=JSON
    )
    stale = client.post(url, {"status": "open", "version": 1}, content_type=JSON)

    assert bad.status_code == no_reason.status_code == 422
    assert "contacted, qualified, unqualified" in bad.json()["error"]["fields"]["status"][0]
    assert "reason" in no_reason.json()["error"]["fields"]
    assert good.status_code == 200
    assert (good.json()["status"], good.json()["version"]) == ("unqualified", 2)
    assert stale.status_code == 409
    items = client.get(f"/api/v1/leads/{lead.pk}/status-changes").json()["items"]
    assert [(i["from_status"], i["to_status"], i["reason"]) for i in items] == [
        ("open", "unqualified", "No budget")
    ]


def test_convert_endpoint(api_client, rep_a, lead):
    client = api_client(rep_a)
    url = f"/api/v1/leads/{lead.pk}/convert"

    not_qualified = client.post(url, {"create_opportunity": True}, content_type=JSON)
    Lead.objects.filter(pk=lead.pk).update(status="qualified")
    float_amount = client.post(url, {"create_opportunity": True, "amount": 1.5}, content_type=JSON)
    done = client.post(
        url,
        {"create_opportunity": True, "opportunity_name": "Deal", "amount": "250.00"},
        content_type=JSON,
    )
    again = client.post(url, {"create_opportunity": False}, content_type=JSON)
    patched = client.patch(
        f"/api/v1/leads/{lead.pk}", {"title": "x", "version": 2}, content_type=JSON
    )

    assert not_qualified.json()["error"]["code"] == "lead_not_qualified"
    assert float_amount.status_code == 422
    assert done.status_code == 200
    body = done.json()
    opportunity = Opportunity.objects.get(pk=body["opportunity"])
    assert (opportunity.name, str(opportunity.amount)) == ("Deal", "250.0000")
    assert (opportunity.account_id, opportunity.contact_id) == (body["account"], body["contact"])
    assert (again.status_code, again.json()["error"]["code"]) == (409, "lead_already_converted")
    assert (patched.status_code, patched.json()["error"]["code"]) == (409, "lead_converted")
    assert patched.json()["error"]["fields"]["converted_to"][0] == f"account:{body['account']}"


def test_convert_with_an_invisible_account_is_refused(api_client, rep_a, rep_b, lead):
    Lead.objects.filter(pk=lead.pk).update(status="qualified")
    hidden = make_account(owner=rep_b)

    response = api_client(rep_a).post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"create_opportunity": False, "account_id": hidden.pk},
        content_type=JSON,
    )

    assert response.status_code == 422
    assert "account_id" in response.json()["error"]["fields"]


def test_filters_and_score_ordering(api_client, admin, rep_a):
    hot = make_lead(owner=rep_a, score=90, grade="A", status="qualified", country="DE")
    warm = make_lead(owner=rep_a, score=50, grade="B", source="event", country="FR")
    cold = make_lead(owner=rep_a, score=5, grade="C")
    done = make_lead(owner=rep_a, score=40, grade="B", converted_at=timezone.now())
    client = api_client(admin)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/leads?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("ordering=-score") == [hot.pk, warm.pk, done.pk, cold.pk]
    assert ids("ordering=score&score_min=10&score_max=60") == [done.pk, warm.pk]
    assert set(ids("grade=b")) == {warm.pk, done.pk}
    assert ids("status=qualified") == [hot.pk]
    assert ids("source=event") == [warm.pk]
    assert ids("country=de") == [hot.pk]
    assert set(ids("converted=false")) == {hot.pk, warm.pk, cold.pk}
    assert ids("converted=true") == [done.pk]
    assert client.get("/api/v1/leads?ordering=shoe_size").status_code == 422


def test_score_ordering_pages_through_every_lead(api_client, admin, rep_a):
    made = {make_lead(owner=rep_a, score=score % 3).pk for score in range(7)}
    client = api_client(admin)
    seen, cursor = [], ""
    for _ in range(10):
        body = client.get(f"/api/v1/leads?ordering=-score&limit=2&cursor={cursor}").json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _add_leads(owner, count: int) -> None:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in ("hot", "fair")]
    for _ in range(count):
        lead = make_lead(owner=owner, score=10, grade="C")
        lead.tags.set(tags)


@pytest.mark.parametrize("role", ["admin", "manager", "rep_a"])
@pytest.mark.parametrize("url", ["/api/v1/leads?ordering=-score", "/api/v1/leads/export"])
def test_query_count_does_not_grow_with_the_rows(request, api_client, rep_a, role, url):
    client = api_client(request.getfixturevalue(role))
    client.get("/api/v1/users/me")
    _add_leads(rep_a, 2)
    with_two = _count(client, url)

    _add_leads(rep_a, 8)

    assert _count(client, url) == with_two


# -- configuration ------------------------------------------------------------------------------


def test_rules_are_readable_by_all_and_changed_by_admins(api_client, admin, rep_a, manager):
    payload = {"name": "CxO", "field": "title", "operator": "contains", "value": "chief",
               "points": 25}  # fmt: skip

    refused = api_client(manager).post("/api/v1/scoring-rules", payload, content_type=JSON)
    created = api_client(admin).post("/api/v1/scoring-rules", payload, content_type=JSON)
    listed = api_client(rep_a).get("/api/v1/scoring-rules").json()["items"]

    assert refused.status_code == 403
    assert created.status_code == 201
    assert created.json()["value"] == ["chief"]
    assert [item["name"] for item in listed] == ["CxO"]
    bad = api_client(admin).patch(
        f"/api/v1/scoring-rules/{created.json()['id']}",
        {"version": 1, "operator": "gte"},
        content_type=JSON,
    )
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (422, ["operator"])


def test_grades_api(api_client, admin, rep_a):
    client = api_client(admin)

    a = client.post("/api/v1/lead-grades", {"letter": "a", "min_score": 80, "marks_mql": True},
                    content_type=JSON)  # fmt: skip
    b = client.post("/api/v1/lead-grades", {"letter": "B", "min_score": 40}, content_type=JSON)
    dup = client.post("/api/v1/lead-grades", {"letter": "A", "min_score": 1}, content_type=JSON)
    rep = api_client(rep_a).post("/api/v1/lead-grades", {"letter": "C", "min_score": 0},
                                 content_type=JSON)  # fmt: skip

    assert (a.status_code, b.status_code, dup.status_code, rep.status_code) == (201, 201, 409, 403)
    items = api_client(rep_a).get("/api/v1/lead-grades").json()["items"]
    assert [(i["letter"], i["marks_mql"]) for i in items] == [("A", True), ("B", False)]
    assert HistoryEntry.objects.filter(record_type="lead_grade").count() == 2


def test_assignment_rules_api_and_tester(api_client, admin, rep_a, rep_b):
    client = api_client(admin)
    created = client.post(
        "/api/v1/assignment-rules",
        {"name": "France", "kind": "territory", "countries": ["France"],
         "assignee_ids": [rep_b.pk, rep_a.pk]},
        content_type=JSON,
    )  # fmt: skip
    tester = api_client(rep_a)

    hit = tester.post("/api/v1/assignment-rules/test", {"country": "FR"}, content_type=JSON)
    miss = tester.post("/api/v1/assignment-rules/test", {"country": "DE"}, content_type=JSON)
    refused = tester.post(
        "/api/v1/assignment-rules",
        {"name": "x", "kind": "round_robin", "assignee_ids": [rep_a.pk]},
        content_type=JSON,
    )

    assert created.status_code == 201
    assert created.json()["assignee_ids"] == sorted([rep_a.pk, rep_b.pk])
    assert hit.json() == {
        "rule_id": created.json()["id"],
        "rule_name": "France",
        "user_id": min(rep_a.pk, rep_b.pk),
        "username": "rep_a" if rep_a.pk < rep_b.pk else "rep_b",
    }
    assert miss.json()["rule_id"] is None
    assert refused.status_code == 403
    assert not LeadStatusChange.objects.exists()  # the tester creates nothing
