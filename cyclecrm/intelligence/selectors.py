"""Reads of the customer-intelligence results for users: model runs, the prediction on a lead,
the insight on a contact, offers, and the lists "hot leads", "customers at risk" and "best
customers". Every read takes the acting user: model runs need the `model_run` read right, and
scores are only shown on leads and contacts the actor may read (`access.restrict` first, then
the join to the insight table), so a list never reveals a record the actor cannot open."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, NotFound
from cyclecrm.core.pagination import Ordering, orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.intelligence.models import (
    CustomerInsight,
    LeadInsight,
    ModelKind,
    ModelRun,
    RunStatus,
)
from cyclecrm.leads.models import Lead, LeadStatus

RUN_ORDERINGS = orderings_with_reverse({"created": ("created_at", "id")})
RUN_DEFAULT_ORDERING = "-created"
HOT_LEAD_ORDERINGS: dict[str, Ordering] = {
    "-probability": Ordering(("conversion_probability", "lead"), descending=True)
}
# Ties on the churn probability are broken by the contact id, not the CLV: keyset cursors need
# non-null columns, and the CLV is null until the lifetime-value model has run.
AT_RISK_ORDERINGS: dict[str, Ordering] = {
    "-churn": Ordering(("churn_probability", "contact"), descending=True)
}
BEST_ORDERINGS: dict[str, Ordering] = {
    "-clv": Ordering(("predicted_clv", "contact"), descending=True),
    "-revenue": Ordering(("revenue", "contact"), descending=True),
}
OPEN_LEAD_STATUSES = (LeadStatus.OPEN, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)

# Metrics shown first on the overview cards, with their labels, when a run has them.
KEY_METRICS: dict[str, str] = {
    "roc_auc": "ROC AUC",
    "brier": "Brier score",
    "log_loss": "Log loss",
    "hit_rate_at_k": "Hit rate @K",
    "baseline_hit_rate_at_k": "Baseline hit rate @K",
    "silhouette": "Silhouette",
    "mae": "Mean absolute error",
    "rmse": "RMSE",
    "correlation": "Correlation",
    "accuracy": "Accuracy",
    "precision": "Precision",
    "recall": "Recall",
}


def _require_read(actor: User) -> None:
    if access.level(actor, ModelRun.record_type, Action.READ) == Level.NONE:
        raise Forbidden("You may not read the predictive models.")


def can_retrain(actor: User) -> bool:
    return access.level(actor, ModelRun.record_type, Action.EDIT) != Level.NONE


@dataclass
class ModelSummary:
    """One model kind on the overview: its newest run (any status) and the one in use."""

    kind: str
    label: str
    latest: ModelRun | None
    in_use: ModelRun | None


def _newest_succeeded(kind: str) -> ModelRun | None:
    return (
        ModelRun.objects.filter(kind=kind, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


def model_overview(*, actor: User) -> list[ModelSummary]:
    """Per kind, the newest run of any status and the newest succeeded run (at most two
    indexed queries per kind; there are six kinds)."""
    _require_read(actor)
    summaries = []
    for kind, label in ModelKind.choices:
        latest = ModelRun.objects.filter(kind=kind).order_by("-created_at", "-id").first()
        if latest is not None and latest.status == RunStatus.SUCCEEDED:
            in_use: ModelRun | None = latest
        else:
            in_use = _newest_succeeded(kind)
        summaries.append(ModelSummary(kind, label, latest, in_use))
    return summaries


def model_kind_check(kind: str) -> str:
    if kind not in ModelKind.values:
        raise NotFound(f"No model kind {kind!r}; choose one of: {', '.join(ModelKind.values)}.")
    return kind


def model_run_list(*, actor: User, kind: str) -> QuerySet[ModelRun]:
    """The runs of one kind (paginate with RUN_ORDERINGS: newest first by default)."""
    _require_read(actor)
    return ModelRun.objects.filter(kind=model_kind_check(kind)).select_related("requested_by")


def model_run_get(*, actor: User, run_id: Any) -> ModelRun:
    _require_read(actor)
    run = None
    if str(run_id).isdigit():
        run = ModelRun.objects.select_related("requested_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound("No model run with this id.")
    return run


def metric_rows(metrics: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(key, label, value) for every scalar metric, the known ones first with their labels;
    nested values (calibration tables, per-group figures) are left to their own sections."""
    scalars = {
        key: value
        for key, value in (metrics or {}).items()
        if isinstance(value, int | float | str | bool) or value is None
    }
    known = [(key, KEY_METRICS[key], scalars[key]) for key in KEY_METRICS if key in scalars]
    rest = [
        (key, key.replace("_", " ").capitalize(), value)
        for key, value in sorted(scalars.items())
        if key not in KEY_METRICS
    ]
    return known + rest


@dataclass
class LeadPrediction:
    """The conversion probability of a lead, or why the rule-based score is in charge."""

    model_in_charge: bool
    probability: float | None = None
    factors: list[dict[str, Any]] = field(default_factory=list)
    run: ModelRun | None = None
    # Why the rule-based score is in charge, in a sentence.
    reason: str = ""

    @property
    def percent(self) -> float | None:
        return None if self.probability is None else round(100 * self.probability, 1)

    @property
    def roc_auc(self) -> Any:
        return (self.run.metrics or {}).get("roc_auc") if self.run else None


def _rule_based_reason(latest: ModelRun | None, in_use: ModelRun | None) -> str | None:
    """None when the model is in charge; else the sentence saying why the rules are."""
    if latest is not None and latest.status == RunStatus.REFUSED:
        return (
            "The lead-conversion model was not trained: "
            f"{latest.message or 'not enough labelled leads.'}"
        )
    if in_use is None:
        return "The lead-conversion model has not been trained yet."
    return None


def lead_prediction(*, actor: User, lead: Lead) -> LeadPrediction:
    """The lead's conversion probability and factors, for a lead the actor may read (the
    caller fetched it through the leads selectors). While there are too few labelled leads,
    or the newest run refused, the rule-based score stays in charge and this says why."""
    latest = (
        ModelRun.objects.filter(kind=ModelKind.LEAD_CONVERSION)
        .order_by("-created_at", "-id")
        .exclude(status__in=(RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED))
        .first()
    )
    in_use = latest if latest and latest.status == RunStatus.SUCCEEDED else None
    reason = _rule_based_reason(latest, in_use)
    if reason is not None:
        return LeadPrediction(model_in_charge=False, reason=reason)
    insight = LeadInsight.objects.filter(lead=lead).select_related("model_run").first()
    if insight is None:
        return LeadPrediction(
            model_in_charge=False,
            run=in_use,
            reason="This lead has not been scored by the model yet; it is scored nightly.",
        )
    return LeadPrediction(
        model_in_charge=True,
        probability=insight.conversion_probability,
        factors=list(insight.factors or []),
        run=insight.model_run or in_use,
    )


def customer_insight(*, actor: User, contact: Contact) -> CustomerInsight | None:
    """The insight row of a contact the actor may read (fetched through the contacts
    selectors), or None when no model has scored it yet."""
    return CustomerInsight.objects.filter(contact=contact).first()


def hot_leads(*, actor: User) -> QuerySet[LeadInsight]:
    """Scored open leads the actor may read, most likely to convert first (HOT_LEAD_ORDERINGS)."""
    leads = access.restrict(Lead.objects.all(), actor).filter(
        status__in=OPEN_LEAD_STATUSES, converted_at__isnull=True
    )
    return LeadInsight.objects.filter(lead__in=leads.values("pk")).select_related(
        "lead", "lead__owner"
    )


def _readable_insights(actor: User) -> QuerySet[CustomerInsight]:
    contacts = access.restrict(Contact.objects.all(), actor)
    return CustomerInsight.objects.filter(contact__in=contacts.values("pk")).select_related(
        "contact", "contact__account"
    )


def customers_at_risk(*, actor: User) -> QuerySet[CustomerInsight]:
    """Customers in the high churn band the actor may read, likeliest to leave first."""
    return _readable_insights(actor).filter(churn_band="high", churn_probability__isnull=False)


def best_customers_ordering() -> str:
    """By predicted CLV once the lifetime-value model has scored anyone, else by revenue."""
    scored = CustomerInsight.objects.filter(predicted_clv__isnull=False).exists()
    return "-clv" if scored else "-revenue"


def best_customers(*, actor: User, ordering: str) -> QuerySet[CustomerInsight]:
    """Customers the actor may read with orders (or a predicted CLV for `-clv`)."""
    insights = _readable_insights(actor)
    if ordering == "-clv":
        return insights.filter(predicted_clv__isnull=False)
    return insights.filter(orders_count__gt=0)


HORIZON_KEYS = (("horizon_days", "days"), ("horizon_months", "months"), ("horizon_weeks", "weeks"))


def clv_horizon_label(run: ModelRun | None = None) -> str | None:
    """The horizon of the lifetime-value model in use ("365 days"), from its options or
    parameters; None when no CLV model has run or it does not state one."""
    run = run or _newest_succeeded(ModelKind.CLV)
    if run is None:
        return None
    for source in (run.options or {}, run.parameters or {}):
        for key, unit in HORIZON_KEYS:
            if source.get(key) not in (None, ""):
                return f"{source[key]} {unit}"
    return None
