"""The opportunity page's quotes and open tasks panels: only rows the viewer may read, the
"New quote" link that preselects the opportunity, and a query count that does not grow with the
rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.tests.factories import make_task
from cyclecrm.catalog.models import QuoteStatus
from cyclecrm.catalog.tests.factories import make_quote
from cyclecrm.core.testing.factories import make_account
from cyclecrm.pipeline.tests.factories import make_opportunity

# Measured 17 (admin) and 26 (rep); the margin allows small changes, not a query per row.
DETAIL_MAX_QUERIES = 35


def _detail(client, deal) -> str:
    response = client.get(reverse("opportunity_detail", args=[deal.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _add_rows(deal, owner, count: int) -> None:
    for n in range(count):
        make_quote(owner, opportunity=deal, status=QuoteStatus.SENT)
        make_task(owner, opportunity=deal, due_at=timezone.now() + dt.timedelta(days=n + 1))


def test_quotes_panel_lists_the_opportunitys_quotes(pipeline, rep_a, web_client):
    deal = make_opportunity(rep_a, pipeline=pipeline, account=make_account(owner=rep_a))
    quote = make_quote(rep_a, opportunity=deal, lines=2, number="Q-2026-00042")
    make_quote(rep_a, number="Q-OTHER-DEAL")  # another opportunity's quote
    page = _detail(web_client(rep_a), deal)
    assert 'id="opportunity-quotes"' in page
    assert "Q-2026-00042" in page and "Q-OTHER-DEAL" not in page
    assert reverse("quote_detail", args=[quote.pk]) in page
    assert "23.80 EUR" in page and "Draft" in page
    new_quote = f"{reverse('quote_create')}?opportunity={deal.pk}"
    assert f'href="{new_quote}"' in page


def test_new_quote_link_opens_the_builder_with_the_opportunity(pipeline, rep_a, web_client):
    deal = make_opportunity(rep_a, pipeline=pipeline, name="Preselected deal")
    response = web_client(rep_a).get(reverse("quote_create"), {"opportunity": deal.pk})
    assert response.status_code == 200
    assert "Preselected deal" in response.content.decode()


def test_quotes_panel_only_shows_quotes_the_viewer_may_read(
    pipeline, rep_a, rep_b, manager, web_client
):
    deal = make_opportunity(rep_a, pipeline=pipeline)
    make_quote(rep_a, opportunity=deal, number="Q-OWN")
    make_quote(rep_b, opportunity=deal, number="Q-OF-REP-B")
    own_page = _detail(web_client(rep_a), deal)
    assert "Q-OWN" in own_page and "Q-OF-REP-B" not in own_page
    manager_page = _detail(web_client(manager), deal)
    assert "Q-OWN" in manager_page and "Q-OF-REP-B" in manager_page


def test_open_tasks_panel_lists_the_opportunitys_tasks(pipeline, rep_a, web_client):
    deal = make_opportunity(rep_a, pipeline=pipeline)
    make_task(rep_a, opportunity=deal, title="Send the proposal")
    make_task(rep_a, title="Unrelated chore")
    page = _detail(web_client(rep_a), deal)
    assert "Open tasks" in page and "Send the proposal" in page
    assert "Unrelated chore" not in page
    assert f"{reverse('task_create')}?opportunity={deal.pk}" in page


@pytest.mark.parametrize("role", ["admin", "rep_a"])
def test_detail_query_count_is_bounded(
    request, role, pipeline, rep_a, web_client, django_assert_max_num_queries
):
    """Past the panels' row limits (10 each, so both also count or look one row ahead), the
    query count is the same for 11 and 22 quotes and tasks."""
    client = web_client(request.getfixturevalue(role))
    deal = make_opportunity(rep_a, pipeline=pipeline, account=make_account(owner=rep_a))
    _add_rows(deal, rep_a, 11)
    _detail(client, deal)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as some:
        _detail(client, deal)
    _add_rows(deal, rep_a, 11)
    with (
        django_assert_max_num_queries(DETAIL_MAX_QUERIES),
        CaptureQueriesContext(connection) as more,
    ):
        page = _detail(client, deal)
    assert page.count('href="/quotes/') >= 10 and "See all quotes" in page
    assert len(more) == len(some)
