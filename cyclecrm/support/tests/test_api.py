import datetime as dt

import pytest

from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.support import services
from cyclecrm.support.models import Case
from cyclecrm.support.tests.factories import make_article, make_policy


@pytest.fixture
def agent_api(api_client, support_agent):
    return api_client(support_agent)


def test_create_case_with_the_documented_names(agent_api, support_agent, policies) -> None:
    account = make_account(support_agent)
    contact = make_contact(support_agent, account=account)
    response = agent_api.post(
        "/api/v1/cases",
        {
            "subject": "Cannot log in",
            "description": "<p>Help<script>x</script></p>",
            "contact": contact.pk,
            "priority": "high",
            "channel": "email",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("CASE-")
    assert body["status"] == "new"
    assert body["contact_id"] == contact.pk and body["account_id"] == account.pk
    assert body["description"] == "<p>Help</p>"
    assert body["first_response_due"] and body["resolution_due"]
    assert body["resolution_breached"] is False
    assert set(body["remaining"]) == {"first_response_minutes", "resolution_minutes"}


def test_create_errors_name_the_field(agent_api) -> None:
    response = agent_api.post(
        "/api/v1/cases",
        {"subject": "x", "contact": 99999},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "contact" in response.json()["error"]["fields"]
    response = agent_api.post(
        "/api/v1/cases", {"subject": "x", "priority": "asap"}, content_type="application/json"
    )
    assert response.status_code == 422


def test_list_filters_and_query_count(
    agent_api, support_agent, policies, django_assert_max_num_queries
) -> None:
    for n in range(5):
        services.case_create(actor=support_agent, data={"subject": f"Case {n}", "priority": "low"})
    old = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    services.case_create(actor=support_agent, data={"subject": "Old one"}, at=old)
    with django_assert_max_num_queries(12):
        response = agent_api.get("/api/v1/cases?status=new&ordering=due&limit=3")
    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) == 3 and body["next_cursor"]
    breaching = agent_api.get("/api/v1/cases?breaching=true").json()["items"]
    assert [item["subject"] for item in breaching] == ["Old one"]
    assert agent_api.get("/api/v1/cases?q=old").json()["items"][0]["subject"] == "Old one"
    assert agent_api.get("/api/v1/cases?status=bogus").status_code == 422


def test_status_transition_endpoint(agent_api, support_agent, policies) -> None:
    case = services.case_create(actor=support_agent, data={"subject": "x"})
    url = f"/api/v1/cases/{case.pk}/status"
    response = agent_api.post(url, {"status": "resolved"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["resolved_at"]
    response = agent_api.post(url, {"status": "pending"}, content_type="application/json")
    assert response.status_code == 422
    assert "status" in response.json()["error"]["fields"]
    response = agent_api.post(url, {"status": "open"}, content_type="application/json")
    assert response.json()["status"] == "open" and response.json()["resolved_at"] is None
    changes = agent_api.get(f"/api/v1/cases/{case.pk}/status-changes").json()["items"]
    assert [c["to_status"] for c in changes] == ["open", "resolved", "new"]


def test_patch_and_version_conflict(agent_api, support_agent) -> None:
    case = services.case_create(actor=support_agent, data={"subject": "x"})
    url = f"/api/v1/cases/{case.pk}"
    ok = agent_api.patch(url, {"version": 1, "subject": "y"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["subject"] == "y"
    stale = agent_api.patch(url, {"version": 1, "subject": "z"}, content_type="application/json")
    assert stale.status_code == 409
    assert agent_api.delete(url).status_code == 204
    assert not Case.objects.filter(pk=case.pk).exists()


def test_agents_see_their_queue_only(api_client, support_agent, rep_a, admin) -> None:
    theirs = services.case_create(actor=admin, data={"subject": "Sales", "owner_id": rep_a.pk})
    ours = services.case_create(actor=support_agent, data={"subject": "Ours"})
    client = api_client(support_agent)
    ids = [item["id"] for item in client.get("/api/v1/cases").json()["items"]]
    assert ids == [ours.pk]
    assert client.get(f"/api/v1/cases/{theirs.pk}").status_code == 404


def test_sla_policy_admin_api(api_client, admin, support_agent, teams) -> None:
    client = api_client(admin)
    body = {
        "name": "Gold urgent",
        "priority": "urgent",
        "team_id": teams["support"].pk,
        "first_response_minutes": 15,
        "resolution_minutes": 60,
        "escalate_to_priority": "",
    }
    response = client.post("/api/v1/sla-policies", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert (
        client.post("/api/v1/sla-policies", body, content_type="application/json").status_code
        == 409
    )
    bad = {**body, "resolution_minutes": 5, "team_id": None}
    response = client.post("/api/v1/sla-policies", bad, content_type="application/json")
    assert response.status_code == 422
    assert "resolution_minutes" in response.json()["error"]["fields"]
    agent = api_client(support_agent)
    assert agent.get("/api/v1/sla-policies").status_code == 200
    denied = agent.post(
        "/api/v1/sla-policies", {**body, "priority": "low"}, content_type="application/json"
    )
    assert denied.status_code == 403


def test_queue_calendar_api(api_client, admin, teams) -> None:
    client = api_client(admin)
    url = f"/api/v1/queue-calendars/{teams['support'].pk}"
    assert client.get(url).status_code == 404
    response = client.put(
        url,
        {"timezone": "Europe/Berlin", "start_time": "08:00", "holidays": ["2026-12-25"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["holidays"] == ["2026-12-25"]
    response = client.put(url, {"timezone": "Mars/Base"}, content_type="application/json")
    assert response.status_code == 422 and "timezone" in response.json()["error"]["fields"]
    assert client.delete(url).status_code == 204


def test_articles_crud_and_search(api_client, support_agent, rep_a) -> None:
    client = api_client(support_agent)
    response = client.post(
        "/api/v1/articles",
        {"title": "Reset your password", "body": "<p>Use the <b>forgot</b> link.</p>"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    article = response.json()
    assert article["slug"] == "reset-your-password" and article["status"] == "draft"
    make_article(support_agent, title="Billing cycles", search_text="invoices monthly")
    found = client.get("/api/v1/articles/search?q=forgot").json()
    assert [a["id"] for a in found] == [article["id"]]
    assert client.get("/api/v1/articles/search?q=forgot&published=true").json() == []
    patched = client.patch(
        f"/api/v1/articles/{article['id']}",
        {"version": 1, "status": "published"},
        content_type="application/json",
    )
    assert patched.json()["published_at"]
    # Sales reps read the knowledge base but do not write it.
    rep = api_client(rep_a)
    assert rep.get(f"/api/v1/articles/{article['id']}").status_code == 200
    denied = rep.post("/api/v1/articles", {"title": "x"}, content_type="application/json")
    assert denied.status_code == 403


def test_case_article_links_api(agent_api, support_agent) -> None:
    case = services.case_create(actor=support_agent, data={"subject": "x"})
    article = make_article(support_agent)
    url = f"/api/v1/cases/{case.pk}/articles"
    assert (
        agent_api.post(url, {"article_id": article.pk}, content_type="application/json").status_code
        == 204
    )
    assert [a["id"] for a in agent_api.get(url).json()] == [article.pk]
    assert agent_api.delete(f"{url}/{article.pk}").status_code == 204
    assert agent_api.get(url).json() == []


def test_queue_policy_is_used(agent_api, teams) -> None:
    make_policy("low", team=teams["support"], first_response_minutes=5, resolution_minutes=10)
    body = agent_api.post(
        "/api/v1/cases", {"subject": "x", "priority": "low"}, content_type="application/json"
    ).json()
    assert body["remaining"]["first_response_minutes"] is not None


def test_list_queries_do_not_grow_with_rows(agent_api, support_agent, teams, policies) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cyclecrm.support.tests.factories import make_calendar

    make_calendar(teams["support"], timezone="Europe/Berlin")
    contact = make_contact(support_agent)
    for n in range(12):
        services.case_create(actor=support_agent, data={"subject": f"C{n}", "contact": contact})
    agent_api.get("/api/v1/cases?limit=1")  # warm per-process caches first
    counts = []
    for limit in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            assert agent_api.get(f"/api/v1/cases?limit={limit}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
