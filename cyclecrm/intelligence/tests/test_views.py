import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.intelligence import trainers
from cyclecrm.intelligence.models import LeadInsight, ModelKind, ModelRun, RunStatus
from cyclecrm.intelligence.tests.conftest import FACTORS, make_run
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_rfm_trainer(monkeypatch):
    monkeypatch.setitem(trainers._trainers, ModelKind.RFM, lambda run, progress: None)


def test_overview_shows_figures_and_retrain_for_managers(
    web_client, manager, lead_run, fake_rfm_trainer, monkeypatch
):
    monkeypatch.delitem(trainers._trainers, ModelKind.LEAD_CONVERSION)
    page = web_client(manager).get(reverse("intelligence_overview")).content.decode()
    assert "Lead conversion" in page and "ROC AUC" in page and "0.8125" in page
    assert "on <strong>800</strong> records" in page and "<strong>200</strong> held out" in page
    rfm = page[page.index('id="model-rfm"') :]
    assert "Retrain" in rfm[: rfm.index("</section>")]
    lead = page[page.index('id="model-lead_conversion"') :]
    assert "No trainer is installed" in lead[: lead.index("</section>")]


def test_sales_rep_sees_no_retrain_button_and_may_not_post(web_client, rep_a, fake_rfm_trainer):
    client = web_client(rep_a)
    page = client.get(reverse("intelligence_overview")).content.decode()
    assert "Lead conversion" in page and "Retrain" not in page
    response = client.post(reverse("intelligence_model_train", args=["rfm"]))
    assert response.status_code == 403
    assert not ModelRun.objects.exists()


def test_manager_retrain_queues_and_polls(web_client, manager, fake_rfm_trainer):
    client = web_client(manager)
    response = client.post(
        reverse("intelligence_model_train", args=["rfm"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    run = ModelRun.objects.get(kind="rfm")
    assert run.status == RunStatus.QUEUED
    fragment = response.content.decode()
    assert reverse("intelligence_run_status", args=[run.pk]) in fragment and "every 2s" in fragment
    ModelRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, progress=40, progress_note="Scoring 4 of 10"
    )
    status = client.get(reverse("intelligence_run_status", args=[run.pk]) + "?refresh=1")
    assert "40 %" in status.content.decode() and "Scoring 4 of 10" in status.content.decode()
    assert "HX-Refresh" not in status
    from cyclecrm.intelligence.services import model_run_execute

    model_run_execute(run.pk)
    done = client.get(reverse("intelligence_run_status", args=[run.pk]) + "?refresh=1")
    assert "Succeeded" in done.content.decode() and "every 2s" not in done.content.decode()
    assert done["HX-Refresh"] == "true"


def test_retrain_without_trainer_says_so(web_client, manager, monkeypatch):
    monkeypatch.delitem(trainers._trainers, ModelKind.CHURN)
    response = web_client(manager).post(
        reverse("intelligence_model_train", args=["churn"]), HTTP_HX_REQUEST="true"
    )
    assert "No trainer is installed" in response.content.decode()


def test_marketer_reads_the_model_page(web_client, marketer, lead_run):
    make_run(
        ModelKind.LEAD_CONVERSION,
        RunStatus.REFUSED,
        message="Needs 30 converted leads; there are 12.",
    )
    response = web_client(marketer).get(reverse("intelligence_model", args=["lead_conversion"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Calibration" in page and "0.66" in page  # observed rate of the second bin
    assert "coefficients.bant_budget" in page and "intercept" in page
    assert "Needs 30 converted leads; there are 12." in page
    assert "Retrain" not in page
    unknown = web_client(marketer).get(reverse("intelligence_model", args=["astrology"]))
    assert unknown.status_code == 404


def test_hot_leads_page_sales_rep_sees_only_their_leads(web_client, rep_a, scored_leads):
    page = web_client(rep_a).get(reverse("intelligence_hot_leads")).content.decode()
    assert "Hot" in page and "Warm" in page
    assert "Other" not in page and "Closed" not in page
    assert page.index("Hot") < page.index("Warm") and "91.0 %" in page


def test_hot_leads_query_count_does_not_grow(
    web_client, manager, lead_run, rep_a, django_assert_max_num_queries
):
    client = web_client(manager)
    client.get(reverse("intelligence_hot_leads"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("intelligence_hot_leads"))
    for n in range(15):
        lead = make_lead(rep_a, last_name=f"Lead{n}")
        LeadInsight.objects.create(lead=lead, conversion_probability=n / 20, factors=FACTORS)
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("intelligence_hot_leads")).content.decode()
    assert "Lead14" in page


def test_customer_lists(web_client, rep_a, customers):
    client = web_client(rep_a)
    risk = client.get(reverse("intelligence_at_risk")).content.decode()
    assert "Rolf" in risk and "Rita" in risk and "Lena" not in risk and "Otto" not in risk
    best = client.get(reverse("intelligence_best_customers")).content.decode()
    assert best.index("Lena") < best.index("Rita") and "Otto" not in best


def test_lead_page_shows_probability_and_factors(web_client, rep_a, scored_leads):
    lead = scored_leads["a_hot"]
    page = web_client(rep_a).get(reverse("lead_detail", args=[lead.pk])).content.decode()
    assert "Conversion probability" in page and "91.0 %" in page
    assert "Budget confirmed" in page and "↑" in page and "↓" in page
    assert "ROC AUC 0.81" in page and "held-out leads" in page


def test_lead_page_says_the_rules_are_in_charge(web_client, rep_a):
    make_run(
        ModelKind.LEAD_CONVERSION,
        RunStatus.REFUSED,
        message="Needs 30 converted leads; there are 12.",
    )
    lead = make_lead(rep_a)
    page = web_client(rep_a).get(reverse("lead_detail", args=[lead.pk])).content.decode()
    assert "The rule-based lead score is in charge" in page
    assert "Needs 30 converted leads; there are 12." in page


def test_contact_page_shows_insight_and_offers(web_client, rep_a, customers, offers):
    make_run(ModelKind.CLV, options={"horizon_days": 365})
    contact = customers["risky"]
    page = web_client(rep_a).get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert "Customer insight" in page and "72.0 %" in page and "High" in page
    assert "Predicted CLV (365 days)" in page and "900" in page
    assert "At risk" in page and "R1 F4 M5" in page
    assert "Days since last order" in page
    assert "Next best offers" in page and page.index("Widget Pro") < page.index("Gadget")


def test_contact_page_without_insight(web_client, rep_a):
    contact = make_contact(rep_a, last_name="Fresh")
    page = web_client(rep_a).get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert "No predictions yet: the models run nightly" in page


def test_detail_page_query_counts(
    web_client, rep_a, customers, offers, scored_leads, django_assert_max_num_queries
):
    """The cards add a fixed handful of queries, however many factors or offers there are."""
    client = web_client(rep_a)
    contact_url = reverse("contact_detail", args=[customers["risky"].pk])
    lead_url = reverse("lead_detail", args=[scored_leads["a_hot"].pk])
    client.get(contact_url)
    client.get(lead_url)
    with CaptureQueriesContext(connection) as contact_queries:
        client.get(contact_url)
    with CaptureQueriesContext(connection) as lead_queries:
        client.get(lead_url)
    from cyclecrm.catalog.tests.factories import make_product
    from cyclecrm.intelligence.models import Offer

    for rank in range(3, 6):
        Offer.objects.create(
            contact=customers["risky"],
            product=make_product(),
            kind="cross_sell",
            rank=rank,
            score=0.1,
        )
    with django_assert_max_num_queries(len(contact_queries)):
        client.get(contact_url)
    with django_assert_max_num_queries(len(lead_queries)):
        client.get(lead_url)


def test_navigation_has_the_intelligence_group_without_clusters_until_installed(web_client, rep_a):
    page = web_client(rep_a).get(reverse("intelligence_hot_leads")).content.decode()
    for url_name in (
        "intelligence_overview",
        "intelligence_hot_leads",
        "intelligence_at_risk",
        "intelligence_best_customers",
    ):
        assert f'href="{reverse(url_name)}"' in page
    assert "Intelligence" in page
    from django.urls import NoReverseMatch

    try:
        cluster_url = reverse("cluster_page")
    except NoReverseMatch:
        assert ">Clusters<" not in page.replace(" ", "")
    else:
        assert f'href="{cluster_url}"' in page
