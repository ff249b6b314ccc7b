import pytest

from cyclecrm.core.errors import Forbidden, NotFound
from cyclecrm.core.pagination import paginate
from cyclecrm.identity.models import Role, User
from cyclecrm.intelligence import offer_selectors, selectors
from cyclecrm.intelligence.models import ModelKind, RunStatus
from cyclecrm.intelligence.tests.conftest import make_run

pytestmark = pytest.mark.django_db


def _ids(queryset, orderings, ordering, attribute):
    page = paginate(
        queryset,
        orderings=orderings,
        ordering=ordering,
        default_ordering=ordering,
        limit=100,
        cursor=None,
    )
    return [getattr(row, attribute) for row in page.items]


def test_hot_leads_are_open_readable_leads_by_probability(scored_leads, rep_a, manager):
    mine = _ids(
        selectors.hot_leads(actor=rep_a), selectors.HOT_LEAD_ORDERINGS, "-probability", "lead_id"
    )
    assert mine == [scored_leads["a_hot"].pk, scored_leads["a_warm"].pk]
    team = _ids(
        selectors.hot_leads(actor=manager), selectors.HOT_LEAD_ORDERINGS, "-probability", "lead_id"
    )
    assert team == [scored_leads["b_hot"].pk, scored_leads["a_hot"].pk, scored_leads["a_warm"].pk]


def test_hot_leads_keyset_pages_do_not_repeat(scored_leads, manager):
    queryset = selectors.hot_leads(actor=manager)
    first = paginate(
        queryset,
        orderings=selectors.HOT_LEAD_ORDERINGS,
        ordering="-probability",
        default_ordering="-probability",
        limit=2,
        cursor=None,
    )
    second = paginate(
        queryset,
        orderings=selectors.HOT_LEAD_ORDERINGS,
        ordering="-probability",
        default_ordering="-probability",
        limit=2,
        cursor=first.next_cursor,
    )
    seen = [row.lead_id for row in first.items + second.items]
    assert len(seen) == len(set(seen)) == 3
    assert second.next_cursor is None


def test_customers_at_risk_only_high_band_readable(customers, rep_a, admin):
    mine = _ids(
        selectors.customers_at_risk(actor=rep_a),
        selectors.AT_RISK_ORDERINGS,
        "-churn",
        "contact_id",
    )
    assert mine == [customers["riskier"].pk, customers["risky"].pk]
    everyone = _ids(
        selectors.customers_at_risk(actor=admin),
        selectors.AT_RISK_ORDERINGS,
        "-churn",
        "contact_id",
    )
    assert everyone[0] == customers["other"].pk and len(everyone) == 3


def test_best_customers_by_clv_then_by_revenue(customers, rep_a):
    assert selectors.best_customers_ordering() == "-clv"
    ordering = selectors.best_customers_ordering()
    ids = _ids(
        selectors.best_customers(actor=rep_a, ordering=ordering),
        selectors.BEST_ORDERINGS,
        ordering,
        "contact_id",
    )
    assert ids == [customers["loyal"].pk, customers["risky"].pk, customers["riskier"].pk]
    from cyclecrm.intelligence.models import CustomerInsight

    CustomerInsight.objects.update(predicted_clv=None)
    assert selectors.best_customers_ordering() == "-revenue"
    ids = _ids(
        selectors.best_customers(actor=rep_a, ordering="-revenue"),
        selectors.BEST_ORDERINGS,
        "-revenue",
        "contact_id",
    )
    assert ids == [customers["loyal"].pk, customers["risky"].pk, customers["riskier"].pk]


def test_lead_prediction_from_the_model(scored_leads, rep_a, lead_run):
    prediction = selectors.lead_prediction(actor=rep_a, lead=scored_leads["a_hot"])
    assert prediction.model_in_charge
    assert prediction.probability == 0.91
    assert prediction.factors[0]["label"] == "Budget confirmed"
    assert prediction.run == lead_run and prediction.roc_auc == 0.8125


def test_rule_based_score_in_charge_without_a_model(rep_a):
    from cyclecrm.leads.tests.factories import make_lead

    prediction = selectors.lead_prediction(actor=rep_a, lead=make_lead(rep_a))
    assert not prediction.model_in_charge
    assert "not been trained" in prediction.reason


def test_refused_newest_run_puts_the_rules_in_charge_and_says_why(scored_leads, rep_a):
    make_run(
        ModelKind.LEAD_CONVERSION,
        RunStatus.REFUSED,
        message="Needs 30 converted leads; there are 12.",
    )
    prediction = selectors.lead_prediction(actor=rep_a, lead=scored_leads["a_hot"])
    assert not prediction.model_in_charge
    assert "Needs 30 converted leads; there are 12." in prediction.reason


def test_running_or_failed_newest_run_keeps_the_model(scored_leads, rep_a):
    make_run(ModelKind.LEAD_CONVERSION, RunStatus.FAILED, message="boom")
    make_run(ModelKind.LEAD_CONVERSION, RunStatus.RUNNING)
    assert selectors.lead_prediction(actor=rep_a, lead=scored_leads["a_hot"]).model_in_charge


def test_model_overview_newest_and_in_use(lead_run, manager):
    queued = make_run(ModelKind.LEAD_CONVERSION, RunStatus.QUEUED)
    overview = {summary.kind: summary for summary in selectors.model_overview(actor=manager)}
    assert set(overview) == set(ModelKind.values)
    assert overview[ModelKind.LEAD_CONVERSION].latest == queued
    assert overview[ModelKind.LEAD_CONVERSION].in_use == lead_run
    assert overview[ModelKind.CHURN].latest is None


def test_model_runs_need_the_read_right(lead_run, teams):
    nobody = User.objects.create_user("nobody", password="x")
    role = Role.objects.create(name="no-models", label="No models", permissions={})
    nobody.roles.add(role)
    with pytest.raises(Forbidden):
        selectors.model_overview(actor=nobody)
    with pytest.raises(Forbidden):
        selectors.model_run_get(actor=nobody, run_id=lead_run.pk)


def test_model_run_get_and_unknown_kind(lead_run, marketer):
    assert selectors.model_run_get(actor=marketer, run_id=lead_run.pk) == lead_run
    with pytest.raises(NotFound):
        selectors.model_run_get(actor=marketer, run_id=lead_run.pk + 1000)
    with pytest.raises(NotFound):
        selectors.model_run_list(actor=marketer, kind="astrology")


def test_offers_best_first(offers, customers, rep_a):
    contact_offers = offer_selectors.offers_for_contact(actor=rep_a, contact=customers["risky"])
    assert [offer.rank for offer in contact_offers] == [1, 2]
    assert contact_offers[0].product.name == "Widget Pro"
    account = customers["risky"].account
    account_offers = offer_selectors.offers_for_account(actor=rep_a, account=account)
    assert [offer.reason for offer in account_offers] == ["Account buys Widget"]


def test_metric_rows_known_keys_first():
    rows = selectors.metric_rows({"zeta": 1, "roc_auc": 0.8, "calibration": [[0.1, 0.1, 5]]})
    assert [row[0] for row in rows] == ["roc_auc", "zeta"]
    assert rows[0][1] == "ROC AUC"


def test_clv_horizon_from_the_run_in_use(db):
    assert selectors.clv_horizon_label() is None
    make_run(ModelKind.CLV, options={"horizon_days": 365})
    assert selectors.clv_horizon_label() == "365 days"
