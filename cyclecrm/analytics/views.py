"""Dashboard pages (thin: the panels are evaluated by kpis.engine)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cyclecrm.analytics.dashboards import DASHBOARDS, dashboard_get


@login_required
def analytics_home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard", slug=DASHBOARDS[0].slug)


@login_required
def dashboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = dashboard_get(slug)
    if dashboard is None:
        raise Http404("No such dashboard.")
    return render(
        request, "analytics/dashboard.html", {"dashboard": dashboard, "dashboards": DASHBOARDS}
    )
