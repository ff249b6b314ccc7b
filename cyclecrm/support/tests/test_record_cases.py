"""The cases card on contact and account pages, and the create page preselecting the contact."""

from django.urls import reverse

from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.support import services
from cyclecrm.support.models import CaseStatus


def _case(actor, contact, subject, **data):
    return services.case_create(
        actor=actor, data={"subject": subject, "contact_id": contact.pk, **data}
    )


def test_contact_page_lists_readable_cases_active_first(
    web_client, support_agent, admin, policies, django_assert_max_num_queries
):
    account = make_account(support_agent)
    contact = make_contact(support_agent, account=account)
    done = _case(support_agent, contact, "Old printer issue")
    services.case_status_change(actor=support_agent, case=done, status=CaseStatus.RESOLVED)
    _case(support_agent, contact, "Login fails")
    for n in range(5):
        _case(support_agent, contact, f"Question {n}")

    html = web_client(support_agent).get(reverse("contact_detail", args=[contact.pk])).content
    html = html.decode()

    card = html.split('id="record-cases"')[1].split("</section>")[0]
    # six active cases come before the resolved one; the five newest are shown
    assert card.index("Question 4") < card.index("Question 0")
    assert "Login fails" not in card and "Old printer issue" not in card
    assert "See all cases" in card
    assert f'href="/cases/new/?contact={contact.pk}"' in card
    account_html = web_client(admin).get(reverse("account_detail", args=[account.pk])).content
    assert b"Question 4" in account_html


def test_cases_card_query_count_does_not_grow(
    web_client, support_agent, policies, django_assert_max_num_queries
):
    contact = make_contact(support_agent)
    client = web_client(support_agent)
    url = reverse("contact_detail", args=[contact.pk])
    _case(support_agent, contact, "First")
    client.get(url)
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for n in range(6):
        _case(support_agent, contact, f"More {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_card_hidden_from_roles_without_cases_and_cases_of_others_hidden(
    web_client, rep_a, rep_b, support_agent, policies
):
    contact = make_contact(rep_a)
    _case(support_agent, contact, "Agent only")

    html = web_client(rep_a).get(reverse("contact_detail", args=[contact.pk])).content.decode()

    assert "Agent only" not in html


def test_new_case_page_preselects_the_contact(web_client, support_agent):
    """The generic create page's preselection (hidden records are left out: see the task
    create page tests, same mechanism)."""
    mine = make_contact(support_agent, first_name="Grace", last_name="Hopper")
    client = web_client(support_agent)

    page = client.get(reverse("case_create") + f"?contact={mine.pk}").content.decode()
    assert f'<option value="{mine.pk}" selected>Grace Hopper</option>' in page

    page = client.get(reverse("case_create") + "?contact=9" + "9" * 30)
    contact_select = page.content.decode().split('name="contact"')[1].split("</select>")[0]
    assert '<option value="" selected>' in contact_select
