"""Dashboard pages, KPI downloads and pins (thin: panels are evaluated by `panels`, which
calls kpis.engine like the API does)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cyclecrm.analytics.dashboards import DASHBOARDS, Dashboard, dashboard_get
from cyclecrm.analytics.forms import RANGES, DashboardFilters, read_filters
from cyclecrm.analytics.kpis.engine import kpi_definition, kpi_evaluate
from cyclecrm.analytics.kpis.present import evaluation_table, table_csv, table_xlsx
from cyclecrm.analytics.panels import PanelView, panel_view
from cyclecrm.analytics.selectors import dashboards as selectors
from cyclecrm.analytics.services import pins as services
from cyclecrm.analytics.services.warming import remember_view
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity.models import User
from cyclecrm.web.errors import crm_view, is_htmx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def analytics_home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard", slug=DASHBOARDS[0].slug)


def _panels(
    actor: User, dashboard: Dashboard, filters: DashboardFilters
) -> tuple[list[PanelView], dict[str, list[str]]]:
    """Every registered panel evaluated; invalid filters fail them all alike, so the first
    ValidationFailed ends the page with its field errors."""
    views, pins = [], selectors.pin_keys(actor=actor)
    try:
        for index, panel in enumerate(dashboard.panels):
            view = panel_view(
                actor=actor, panel=panel, filters=filters, dom_id=f"{dashboard.slug}-{index}"
            )
            if view is not None:
                view.pin_id = pins.get(selectors.pin_key(panel.metric, view.params, panel.chart))
                views.append(view)
    except ValidationFailed as exc:
        return [], exc.fields or {"__all__": [exc.message]}
    return views, {}


def _choices(actor: User, filters: DashboardFilters) -> dict[str, list[tuple[int, str, bool]]]:
    """The filter selects' options, with the current value marked."""
    return {
        name: [(pk, label, str(pk) == filters.value(name)) for pk, label in options]
        for name, options in selectors.filter_choices(actor=actor).items()
    }


@crm_view
@require_GET
def dashboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = dashboard_get(slug)
    if dashboard is None:
        raise Http404("No such dashboard.")
    filters = read_filters(request.GET, today=timezone.now().date())
    panels, errors = _panels(request.user, dashboard, filters)
    if not errors:
        remember_view(actor=request.user, slug=slug, filters=filters)
    context = {
        "dashboard": dashboard,
        "dashboards": DASHBOARDS,
        "filters": filters,
        "ranges": RANGES,
        "choices": _choices(request.user, filters),
        "panels": panels,
        "errors": errors,
    }
    template = "analytics/_dashboard_body.html" if is_htmx(request) else "analytics/dashboard.html"
    status = 422 if errors and not is_htmx(request) else 200
    return render(request, template, context, status=status)


@crm_view
@require_GET
def kpi_download(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """A KPI's numbers as CSV or XLSX, for the same parameters as the dashboard or the API."""
    kpi_definition(name)
    filters = read_filters(request.GET, today=timezone.now().date())
    params = {**filters.params, **{k: request.GET.get(k, "") for k in ("group_by", "split_by")}}
    try:
        ev = kpi_evaluate(actor=request.user, name=name, params=params)
    except ValidationFailed as exc:
        lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items()]
        return HttpResponse("\n".join(lines), status=422, content_type="text/plain")
    headers, rows = evaluation_table(ev)
    stem = f"{name}_{ev.query.start.isoformat()}_{ev.query.end.isoformat()}"
    if fmt == "xlsx":
        response = HttpResponse(table_xlsx(headers, rows, name), content_type=XLSX)
    else:
        response = HttpResponse(table_csv(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def _pin_form(request: HttpRequest) -> tuple[str, dict[str, str]]:
    """The pin form's metric and panel settings (hidden fields of the pin button)."""
    skip = ("metric", "csrfmiddlewaretoken", "remove")
    return request.POST.get("metric", ""), {
        k: v for k, v in request.POST.items() if k not in skip and v
    }


@crm_view
@require_POST
def pin_create(request: HttpRequest) -> HttpResponse:
    metric, fields = _pin_form(request)
    context = {"pin_metric": metric, "fields": fields, "pin_id": None}
    try:
        pin = services.pin_create(actor=request.user, metric=metric, options=fields)
    except ValidationFailed as exc:
        context["error"] = " ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
        return render(request, "analytics/_pin_button.html", context, status=422)
    context["pin_id"] = pin.pk
    return render(request, "analytics/_pin_button.html", context)


@crm_view
@require_POST
def pin_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pin = selectors.pin_get(actor=request.user, pk=pk)
    services.pin_delete(actor=request.user, pin=pin)
    if not is_htmx(request):
        return redirect("home")
    if request.POST.get("remove"):
        return HttpResponse("")
    metric, fields = _pin_form(request)
    context = {"pin_metric": metric, "fields": fields, "pin_id": None}
    return render(request, "analytics/_pin_button.html", context)
