"""The lead page's open tasks panel, and a detail page query count that stays bounded and does
not grow with the lead's tasks."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.tests.factories import make_task
from cyclecrm.leads.tests.factories import make_lead

# Measured 14-22 (admin, manager, rep); the margin allows small changes, not a query per row.
DETAIL_MAX_QUERIES = 30


def _detail(client, lead) -> str:
    response = client.get(reverse("lead_detail", args=[lead.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _add_tasks(lead, owner, count: int) -> None:
    for n in range(count):
        make_task(owner, lead=lead, due_at=timezone.now() + dt.timedelta(days=n + 1))


def test_open_tasks_panel_lists_the_leads_tasks(rep_a, web_client):
    lead = make_lead(owner=rep_a)
    make_task(rep_a, lead=lead, title="Call back about the budget")
    make_task(rep_a, lead=make_lead(owner=rep_a), title="Another lead's call")
    page = _detail(web_client(rep_a), lead)
    assert "Open tasks" in page and "Call back about the budget" in page
    assert "Another lead's call" not in page
    assert f"{reverse('task_create')}?lead={lead.pk}" in page


def test_open_tasks_panel_only_shows_tasks_the_viewer_may_read(rep_a, rep_b, web_client):
    lead = make_lead(owner=rep_a)
    make_task(rep_b, lead=lead, title="rep_b's private task")
    page = _detail(web_client(rep_a), lead)
    assert "No open tasks." in page and "rep_b's private task" not in page


@pytest.mark.parametrize("role", ["admin", "manager", "rep_a"])
def test_detail_query_count_is_bounded(
    request, role, rep_a, web_client, django_assert_max_num_queries
):
    """Past the panel's row limit (10, so it also counts), 11 and 22 tasks cost the same."""
    client = web_client(request.getfixturevalue(role))
    lead = make_lead(owner=rep_a, score=3, grade="C")
    _add_tasks(lead, rep_a, 11)
    _detail(client, lead)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as some:
        _detail(client, lead)
    _add_tasks(lead, rep_a, 11)
    with (
        django_assert_max_num_queries(DETAIL_MAX_QUERIES),
        CaptureQueriesContext(connection) as more,
    ):
        page = _detail(client, lead)
    assert "See all 22 open tasks" in page
    assert len(more) == len(some)
