"""Intelligence pages: the model overview (one card per kind with its held-out figures and a
Retrain button whose run is followed by htmx polling), one page per model (run history, full
metrics, calibration, parameters), and the lists hot leads, customers at risk and best
customers. Thin: reads go through intelligence.selectors, retraining through services."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.pagination import Ordering, paginate
from cyclecrm.intelligence import presentation, selectors, services
from cyclecrm.intelligence.models import FINISHED_STATUSES, ModelKind
from cyclecrm.web.errors import crm_view, is_htmx

PER_PAGE = 50


def _paginate(
    request: HttpRequest, queryset: Any, orderings: dict[str, Ordering], ordering: str
) -> Any:
    """One page of PER_PAGE rows; a stale or hand-made cursor starts again from the first."""
    cursor = request.GET.get("cursor") or None
    arguments = {"orderings": orderings, "ordering": ordering, "default_ordering": ordering}
    try:
        return paginate(queryset, limit=PER_PAGE, cursor=cursor, **arguments)
    except ValidationFailed:
        return paginate(queryset, limit=PER_PAGE, cursor=None, **arguments)


@crm_view
def model_overview(request: HttpRequest) -> HttpResponse:
    summaries = selectors.model_overview(actor=request.user)
    cards = [presentation.model_card(summary) for summary in summaries]
    context = {"cards": cards, "can_retrain": selectors.can_retrain(request.user)}
    return render(request, "intelligence/overview.html", context)


@crm_view
def model_detail(request: HttpRequest, kind: str) -> HttpResponse:
    actor = request.user
    runs = selectors.model_run_list(actor=actor, kind=kind)
    summary = next(s for s in selectors.model_overview(actor=actor) if s.kind == kind)
    page = _paginate(request, runs, selectors.RUN_ORDERINGS, selectors.RUN_DEFAULT_ORDERING)
    context = {
        "card": presentation.model_card(summary),
        "run": summary.in_use,
        "details": presentation.run_details(summary.in_use),
        "page": page,
        "can_retrain": selectors.can_retrain(actor),
    }
    return render(request, "intelligence/model_detail.html", context)


@crm_view
@require_POST
def model_retrain(request: HttpRequest, kind: str) -> HttpResponse:
    selectors.model_kind_check(kind)
    try:
        run = services.model_run_start(actor=request.user, kind=kind)
    except ValidationFailed as exc:
        message = "; ".join(reason for reasons in exc.fields.values() for reason in reasons)
        if is_htmx(request):
            return render(request, "intelligence/_run_error.html", {"message": message})
        messages.error(request, message)
        return redirect("intelligence_model", kind=kind)
    if is_htmx(request):
        return render(request, "intelligence/_run_status.html", {"run": run})
    messages.success(request, f"{ModelKind(kind).label}: retraining queued.")
    return redirect("intelligence_model", kind=kind)


@crm_view
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx fragment polled while a run is queued or running; once it has finished the
    fragment stops polling and tells the browser to reload the page for the new figures."""
    run = selectors.model_run_get(actor=request.user, run_id=pk)
    response = render(request, "intelligence/_run_status.html", {"run": run})
    if run.status in FINISHED_STATUSES and request.GET.get("refresh"):
        response["HX-Refresh"] = "true"
    return response


@crm_view
def hot_leads(request: HttpRequest) -> HttpResponse:
    queryset = selectors.hot_leads(actor=request.user)
    page = _paginate(request, queryset, selectors.HOT_LEAD_ORDERINGS, "-probability")
    return render(request, "intelligence/hot_leads.html", {"page": page})


@crm_view
def customers_at_risk(request: HttpRequest) -> HttpResponse:
    queryset = selectors.customers_at_risk(actor=request.user)
    page = _paginate(request, queryset, selectors.AT_RISK_ORDERINGS, "-churn")
    context = {
        "page": page,
        "title": "Customers at risk",
        "icon": "exclamation-triangle",
        "intro": "Customers in the high churn band, likeliest to leave first.",
        "empty": "No customers in the high churn band you may read.",
    }
    return render(request, "intelligence/customer_list.html", context)


@crm_view
def best_customers(request: HttpRequest) -> HttpResponse:
    ordering = selectors.best_customers_ordering()
    queryset = selectors.best_customers(actor=request.user, ordering=ordering)
    page = _paginate(request, queryset, selectors.BEST_ORDERINGS, ordering)
    intro = (
        "Customers by predicted lifetime value, highest first."
        if ordering == "-clv"
        else "Customers by revenue to date: the lifetime-value model has not scored anyone yet."
    )
    context = {
        "page": page,
        "title": "Best customers",
        "icon": "trophy",
        "intro": intro,
        "empty": "No customers with orders you may read.",
    }
    return render(request, "intelligence/customer_list.html", context)
