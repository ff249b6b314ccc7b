"""REST endpoints for customer intelligence: the models (overview, runs, retraining), the
prediction on a lead, the insight and offers on a contact or account, and the lists hot
leads, customers at risk and best customers. Thin handlers over intelligence.selectors and
services (the clusters part mounts its own router under /intelligence/clusters)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.contacts import selectors as contact_selectors
from cyclecrm.core.pagination import Ordering, paginate
from cyclecrm.identity.access import access_for
from cyclecrm.intelligence import offer_selectors, selectors, services
from cyclecrm.intelligence.models import CustomerInsight, LeadInsight, ModelRun, Offer
from cyclecrm.intelligence.schemas import (
    CustomerInsightOut,
    CustomerRowOut,
    HotLeadOut,
    LeadPredictionOut,
    ModelKindName,
    ModelRunOut,
    ModelSummaryOut,
    OfferOut,
    RunOrdering,
    TrainIn,
)
from cyclecrm.leads import selectors as lead_selectors
from cyclecrm.leads.models import Lead

intelligence_router = Router(tags=["intelligence"])

RunPage = cursor_page(ModelRunOut)
HotLeadPage = cursor_page(HotLeadOut)
CustomerRowPage = cursor_page(CustomerRowOut)
KindPath = Path(..., description="The model kind.")


def _run(actor: Any, run: ModelRun | None) -> dict[str, Any] | None:
    return None if run is None else visible_record(actor, run, ModelRunOut)


def _page(
    queryset: QuerySet,
    page: PageParams,
    orderings: dict[str, Ordering],
    ordering: str,
    row: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    result = paginate(
        queryset,
        orderings=orderings,
        ordering=ordering,
        default_ordering=ordering,
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": [row(item) for item in result.items], "next_cursor": result.next_cursor}


def _offer(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "product_id": offer.product_id,
        "product_name": offer.product.name,
        "product_sku": offer.product.sku,
        "kind": offer.kind,
        "rank": offer.rank,
        "score": offer.score,
        "reason": offer.reason,
    }


def _hot_lead(insight: LeadInsight) -> dict[str, Any]:
    lead = insight.lead
    factors = insight.factors or []
    return {
        "lead_id": lead.pk,
        "name": str(lead),
        "company": lead.company,
        "status": lead.status,
        "owner_id": lead.owner_id,
        "conversion_probability": insight.conversion_probability,
        "top_factor": str(factors[0].get("label", "")) if factors else "",
    }


def _customer_row(insight: CustomerInsight) -> dict[str, Any]:
    contact = insight.contact
    return {
        "contact_id": contact.pk,
        "name": str(contact),
        "account_id": contact.account_id,
        "account_name": str(contact.account) if contact.account_id else "",
        "churn_probability": insight.churn_probability,
        "churn_band": insight.churn_band,
        "predicted_clv": insight.predicted_clv,
        "revenue": insight.revenue,
        "orders_count": insight.orders_count,
        "rfm_group": insight.rfm_group,
        "last_order_at": insight.last_order_at,
    }


INSIGHT_FIELDS = (
    "orders_count", "purchase_days", "revenue", "average_order_value", "first_order_at",
    "last_order_at", "recency_score", "frequency_score", "monetary_score", "rfm_group",
    "p_alive", "expected_purchases", "predicted_clv", "churn_probability", "churn_band",
    "churn_factors", "cluster",
)  # fmt: skip


@intelligence_router.get(
    "/models",
    response={200: list[ModelSummaryOut], **error_responses(403)},
    operation_id="list_intelligence_models",
    summary="The models: newest run and the run in use per kind",
)
def list_models(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "kind": summary.kind,
            "label": summary.label,
            "latest": _run(request.auth, summary.latest),
            "in_use": _run(request.auth, summary.in_use),
        }
        for summary in selectors.model_overview(actor=request.auth)
    ]


@intelligence_router.get(
    "/models/{kind}/runs",
    response={200: RunPage, **error_responses(403, 422)},
    operation_id="list_intelligence_model_runs",
    summary="The runs of one model, newest first",
)
def list_model_runs(
    request: HttpRequest,
    page: Query[PageParams],
    kind: ModelKindName = KindPath,
    ordering: RunOrdering | None = None,
) -> dict[str, Any]:
    return _page(
        selectors.model_run_list(actor=request.auth, kind=kind),
        page,
        selectors.RUN_ORDERINGS,
        ordering or selectors.RUN_DEFAULT_ORDERING,
        lambda run: visible_record(request.auth, run, ModelRunOut),
    )


@intelligence_router.post(
    "/models/{kind}/train",
    response={202: ModelRunOut, **error_responses(403, 422)},
    operation_id="train_intelligence_model",
    summary="Retrain a model",
    description=(
        "Queues a training run as a background job and returns it; a run of the same kind "
        "still queued or running is returned instead of a second one. Follow it with "
        "`GET /intelligence/runs/{id}`. Send `{}` for the default options. Needs the "
        "`model_run` edit right (managers, admins)."
    ),
)
def train_model(request: HttpRequest, payload: TrainIn, kind: ModelKindName = KindPath) -> Status:
    run = services.model_run_start(actor=request.auth, kind=kind, options=payload.options)
    return Status(202, visible_record(request.auth, run, ModelRunOut))


@intelligence_router.get(
    "/runs/{id}",
    response={200: ModelRunOut, **error_responses(403, 404, 422)},
    operation_id="get_intelligence_run",
    summary="One model run: status, progress, held-out metrics, parameters",
)
def get_run(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    run = selectors.model_run_get(actor=request.auth, run_id=id)
    return visible_record(request.auth, run, ModelRunOut)


@intelligence_router.get(
    "/leads/{id}",
    response={200: LeadPredictionOut, **error_responses(404, 422)},
    operation_id="get_lead_prediction",
    summary="A lead's conversion probability and the factors behind it",
    description=(
        "`model_in_charge` is false while the rule-based score is in charge (too few "
        "labelled leads, or the lead is not scored yet); `reason` says why."
    ),
)
def get_lead_prediction(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    lead = lead_selectors.lead_get(actor=request.auth, pk=id)
    prediction = selectors.lead_prediction(actor=request.auth, lead=lead)
    return _lead_prediction(request.auth, lead, prediction)


def _lead_prediction(actor: Any, lead: Lead, prediction: selectors.LeadPrediction) -> dict:
    score_hidden = "score" in access_for(actor).hidden_fields("lead")
    run = prediction.run
    return {
        "lead_id": lead.pk,
        "model_in_charge": prediction.model_in_charge,
        "probability": prediction.probability,
        "factors": prediction.factors,
        "run_id": run.pk if run else None,
        "trained_at": run.finished_at if run else None,
        "roc_auc": prediction.roc_auc,
        "reason": prediction.reason,
        "rule_score": None if score_hidden else lead.score,
        "rule_grade": None if score_hidden else lead.grade,
    }


@intelligence_router.get(
    "/contacts/{id}",
    response={200: CustomerInsightOut, **error_responses(404, 422)},
    operation_id="get_customer_insight",
    summary="A contact's churn risk, CLV, RFM group, cluster, order history and offers",
    description="`scored` is false (and the figures empty) until a model has scored the contact.",
)
def get_customer_insight(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    contact = contact_selectors.contact_get(actor=request.auth, pk=id)
    insight = selectors.customer_insight(actor=request.auth, contact=contact)
    offers = offer_selectors.offers_for_contact(actor=request.auth, contact=contact)
    body: dict[str, Any] = {
        "contact_id": contact.pk,
        "scored": insight is not None,
        "offers": [_offer(offer) for offer in offers],
        "clv_horizon": selectors.clv_horizon_label(),
    }
    if insight is not None:
        body.update({name: getattr(insight, name) for name in INSIGHT_FIELDS})
    return body


@intelligence_router.get(
    "/accounts/{id}/offers",
    response={200: list[OfferOut], **error_responses(404, 422)},
    operation_id="list_account_offers",
    summary="The next products to offer an account, best first",
)
def list_account_offers(request: HttpRequest, id: int = RecordId) -> list[dict[str, Any]]:
    account = contact_selectors.account_get(actor=request.auth, pk=id)
    offers = offer_selectors.offers_for_account(actor=request.auth, account=account)
    return [_offer(offer) for offer in offers]


@intelligence_router.get(
    "/hot-leads",
    response={200: HotLeadPage, **error_responses(422)},
    operation_id="list_hot_leads",
    summary="Open leads most likely to convert",
    description="Scored open leads you may read, highest conversion probability first.",
)
def list_hot_leads(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return _page(
        selectors.hot_leads(actor=request.auth),
        page,
        selectors.HOT_LEAD_ORDERINGS,
        "-probability",
        _hot_lead,
    )


@intelligence_router.get(
    "/customers-at-risk",
    response={200: CustomerRowPage, **error_responses(422)},
    operation_id="list_customers_at_risk",
    summary="Customers likely to churn",
    description="Contacts you may read in the high churn band, highest probability first.",
)
def list_customers_at_risk(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return _page(
        selectors.customers_at_risk(actor=request.auth),
        page,
        selectors.AT_RISK_ORDERINGS,
        "-churn",
        _customer_row,
    )


@intelligence_router.get(
    "/best-customers",
    response={200: CustomerRowPage, **error_responses(422)},
    operation_id="list_best_customers",
    summary="Customers with the highest predicted lifetime value",
    description=(
        "Contacts you may read by predicted CLV, highest first; by revenue to date until the "
        "lifetime-value model has scored anyone."
    ),
)
def list_best_customers(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    ordering = selectors.best_customers_ordering()
    return _page(
        selectors.best_customers(actor=request.auth, ordering=ordering),
        page,
        selectors.BEST_ORDERINGS,
        ordering,
        _customer_row,
    )
