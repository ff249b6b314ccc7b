"""Home, global search and saved list views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.analytics.panels import pinned_views
from cyclecrm.analytics.selectors.dashboards import pin_list
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web import selectors, services
from cyclecrm.web.errors import crm_view
from cyclecrm.web.records.config import ui_for
from cyclecrm.web.search import global_search


@login_required
def home(request: HttpRequest) -> HttpResponse:
    pins = list(pin_list(actor=request.user))
    return render(
        request,
        "web/home.html",
        {"pins": pinned_views(actor=request.user, pins=pins), "home": True},
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    groups = global_search(actor=request.user, query=query)
    context = {
        "query": query,
        "global_q": query,
        "groups": groups,
        "total": sum(group.total for group in groups),
    }
    return render(request, "web/search.html", context)


@require_POST
@crm_view
def saved_view_create(request: HttpRequest) -> HttpResponse:
    record_type = request.POST.get("record_type", "")
    ui = ui_for(record_type)
    if ui is None or access.level(request.user, record_type, Action.READ) == Level.NONE:
        raise NotFound("No such list.")
    query = request.POST.get("query", "")
    try:
        view = services.saved_view_save(
            actor=request.user,
            record_type=record_type,
            name=request.POST.get("name", ""),
            query=query,
        )
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for msgs in exc.fields.values() for m in msgs))
        return redirect(f"{ui.url('list')}?{services.clean_query(query)}")
    messages.success(request, f"View “{view.name}” saved.")
    return redirect(view.get_absolute_url())


@crm_view
def saved_view_open(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_get(actor=request.user, pk=pk)
    return redirect(view.get_absolute_url())


@require_POST
@crm_view
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_get(actor=request.user, pk=pk)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, f"View “{view.name}” deleted.")
    ui = ui_for(view.record_type)
    return redirect(ui.url("list") if ui else "home")
