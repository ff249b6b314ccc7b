"""The `kpis` benchmark at a small scale: the generator writes every table at the issue's
proportions, and the measuring step renders every dashboard for both users (no timed asserts)."""

import pytest

from cyclecrm.activities.models import Interaction
from cyclecrm.analytics.bench import BENCH_ADMIN, BENCH_REP, generate, sizes_for
from cyclecrm.analytics.bench_measure import measure
from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.analytics.kpis.definitions import metrics
from cyclecrm.catalog.models import Order
from cyclecrm.contacts.models import Contact
from cyclecrm.feedback.models import SurveyResponse
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead
from cyclecrm.mailings.models import MailingRecipient
from cyclecrm.pipeline.models import Opportunity, StageChange
from cyclecrm.support.models import Case

pytestmark = pytest.mark.django_db(transaction=True)

CONTACTS = 2000


@pytest.fixture
def written():
    return generate(contacts=CONTACTS, report=lambda note: None)


def test_generator_writes_every_table_at_the_issue_proportions(written):
    sizes = sizes_for(CONTACTS)
    expected = {
        Contact: sizes["contacts"],
        Order: sizes["orders"],
        Interaction: sizes["interactions"],
        Opportunity: sizes["opportunities"],
        Lead: sizes["leads"],
        Case: sizes["cases"],
        SurveyResponse: sizes["survey_responses"],
        MailingRecipient: sizes["mailing_recipients"],
    }
    for model, count in expected.items():
        assert model.objects.count() == count, model.__name__
    assert written["orders"] == 1000 and written["interactions"] == 4000
    # About three stage changes per opportunity (the entry plus the moves).
    assert 2 * written["opportunities"] < StageChange.objects.count() < 5 * written["opportunities"]
    assert User.objects.filter(username__startswith="bench-").count() == written["users"] == 50
    assert Lead.objects.filter(converted_opportunity__isnull=False).exists()
    assert Opportunity.objects.exclude(currency=Opportunity.objects.first().currency).exists()
    # Explicit ids moved the sequences on: the application can still create rows.
    Contact.objects.create(last_name="After the benchmark")


def test_measurement_renders_every_dashboard_for_admin_and_rep(written):
    result = measure(runs=1, report=lambda note: None)
    pages = result["pages"]
    assert result["rows"]["contacts.Contact"] == CONTACTS
    assert len(pages) == len(DASHBOARDS) * 2 * 2
    assert {page["user"] for page in pages} == {"admin", "sales_rep"}
    for page in pages:
        assert set(page) >= {"dashboard", "range", "cold", "warm", "queries_cold", "queries_warm"}
        assert set(page["cold"]) == {"median", "max"}
        assert 0 < page["queries_warm"] <= page["queries_cold"]
    assert {row["metric"] for row in result["kpis"]} == {item.name for item in metrics()}
    assert all(row["365 days"]["queries"] > 0 for row in result["kpis"])
    assert User.objects.filter(username__in=[BENCH_ADMIN, BENCH_REP]).count() == 2
