import pytest
from django.urls import reverse

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.support import services
from cyclecrm.support.models import CaseStatus, SlaPolicy
from cyclecrm.support.tests.factories import make_article


@pytest.fixture
def agent_web(web_client, support_agent):
    return web_client(support_agent)


def test_case_list_presets_and_query_count(
    agent_web, support_agent, policies, django_assert_max_num_queries
) -> None:
    for n in range(8):
        services.case_create(
            actor=support_agent,
            data={"subject": f"Case {n}", "contact_id": make_contact(support_agent).pk},
        )
    with django_assert_max_num_queries(25):
        response = agent_web.get(reverse("case_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "My open cases" in html and "Breaching soon" in html
    assert "Case 7" in html
    response = agent_web.get(reverse("case_list") + "?breaching=true")
    assert response.status_code == 200


def test_case_detail_shows_clocks_and_query_count(
    agent_web, support_agent, policies, django_assert_max_num_queries
) -> None:
    case = services.case_create(actor=support_agent, data={"subject": "Broken"})
    article = make_article(support_agent, title="Fixing broken things")
    services.case_link_article(actor=support_agent, case=case, article_id=article.pk)
    with django_assert_max_num_queries(40):
        response = agent_web.get(reverse("case_detail", args=[case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html
    assert "First response" in html and "business min" in html
    assert "Fixing broken things" in html
    assert 'value="resolved"' in html


def test_status_button_moves_the_case(agent_web, support_agent) -> None:
    case = services.case_create(actor=support_agent, data={"subject": "x"})
    response = agent_web.post(
        reverse("case_status", args=[case.pk]), {"status": "pending", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING and case.paused_at is not None


def test_article_search_and_insert_into_reply(agent_web, support_agent) -> None:
    case = services.case_create(actor=support_agent, data={"subject": "x"})
    article = make_article(support_agent, title="Printer jam", search_text="Open tray two.")
    response = agent_web.get(reverse("case_article_search", args=[case.pk]) + "?q=printer")
    assert "Printer jam" in response.content.decode()
    response = agent_web.get(
        reverse("case_reply_box", args=[case.pk]) + f"?article={article.pk}&body=Hello"
    )
    assert "Hello\n\nOpen tray two." in response.content.decode()


def test_reply_logs_interaction_and_first_response(agent_web, support_agent, policies) -> None:
    from cyclecrm.activities.models import Interaction

    contact = make_contact(support_agent)
    case = services.case_create(
        actor=support_agent, data={"subject": "x", "contact": contact, "channel": "phone"}
    )
    response = agent_web.post(
        reverse("case_reply", args=[case.pk]), {"kind": "reply", "body": "We are on it."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_responded_at is not None and case.status == CaseStatus.OPEN
    assert Interaction.objects.filter(case=case, channel="call").count() == 1
    agent_web.post(reverse("case_reply", args=[case.pk]), {"kind": "note", "body": "Internal"})
    assert Interaction.objects.filter(case=case, channel="note").count() == 1


def test_public_kb_pages(client, support_agent) -> None:
    published = make_article(support_agent, title="Public answer", slug="public-answer")
    make_article(support_agent, title="Secret draft", slug="secret-draft", status="draft")
    response = client.get("/kb/")
    html = response.content.decode()
    assert response.status_code == 200 and "Public answer" in html and "Secret draft" not in html
    assert client.get("/kb/public-answer/").status_code == 200
    assert client.get("/kb/secret-draft/").status_code == 404
    response = client.get("/kb/?q=answer")
    assert published.title in response.content.decode()


def test_article_pages_use_the_generic_views(agent_web, support_agent) -> None:
    response = agent_web.post(
        reverse("article_create"),
        {"title": "New guide", "status": "draft", "body": "<p>Hi</p>", "owner": support_agent.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert agent_web.get(reverse("article_list")).status_code == 200


def test_settings_pages(web_client, admin, support_agent, teams) -> None:
    client = web_client(admin)
    assert client.get(reverse("support_settings")).status_code == 200
    response = client.post(
        reverse("sla_policy_create"),
        {
            "name": "Default normal",
            "priority": "normal",
            "first_response_minutes": 60,
            "resolution_minutes": 480,
            "notify_manager": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert SlaPolicy.objects.filter(name="Default normal", team=None).exists()
    response = client.post(
        reverse("business_calendar_edit", args=[teams["support"].pk]),
        {
            "timezone": "Europe/Berlin",
            "working_days": ["0", "1", "2"],
            "start_time": "08:00",
            "end_time": "16:00",
            "holidays": "2026-12-25\n2026-12-26",
        },
    )
    assert response.status_code == 302
    assert teams["support"].business_calendar.holidays == ["2026-12-25", "2026-12-26"]
    agent = web_client(support_agent)
    assert agent.get(reverse("support_settings")).status_code == 200
    denied = agent.post(
        reverse("sla_policy_create"),
        {"name": "x", "priority": "low", "first_response_minutes": 1, "resolution_minutes": 2},
    )
    assert denied.status_code == 403


def test_admin_sees_timeline_and_mail_card_on_the_case(web_client, admin, support_agent) -> None:
    contact = make_contact(support_agent)
    case = services.case_create(actor=support_agent, data={"subject": "x", "contact": contact})
    article = make_article(support_agent)
    client = web_client(admin)
    html = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Timeline" in html and "Log a reply or note" in html
    assert client.get(reverse("article_detail", args=[article.pk])).status_code == 200
    assert client.get(reverse("case_edit", args=[case.pk])).status_code == 200


def test_rep_cannot_open_support_cases(web_client, rep_a, support_agent) -> None:
    case = services.case_create(actor=support_agent, data={"subject": "x"})
    client = web_client(rep_a)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert (
        client.post(reverse("case_status", args=[case.pk]), {"status": "closed"}).status_code == 404
    )
