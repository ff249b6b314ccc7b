"""List page (full page, or the results fragment for htmx), CSV export and record lookup."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.export import export_columns, export_response, parse_format, require_export
from cyclecrm.core.models import CustomFieldKind
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web import selectors
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records.config import RecordUI
from cyclecrm.web.records.lists import RecordList, build_list, list_filters

LOOKUP_LIMIT = 20


def require_level(request: HttpRequest, ui: RecordUI, action: str) -> None:
    if access.level(request.user, ui.name, action) == Level.NONE:
        raise Forbidden(f"You may not {action} {ui.label_plural.lower()}.")


@crm_view
def record_list(request: HttpRequest, ui: RecordUI) -> HttpResponse:
    require_level(request, ui, Action.READ)
    result = build_list(request, ui)
    context = {
        "ui": ui,
        "list": result,
        "can_create": access.level(request.user, ui.name, Action.CREATE) != Level.NONE,
        "can_export": access.level(request.user, ui.name, Action.EXPORT) != Level.NONE,
        "saved_views": list(selectors.saved_view_list(actor=request.user, record_type=ui.name)),
    }
    if is_htmx(request):
        response = render(request, "web/records/_results.html", {**context, "partial": True})
        # The address bar shows the list's canonical URL (no empty filter parameters).
        canonical = result.url(cursor=request.GET.get("cursor")).rstrip("?")
        response["HX-Push-Url"] = request.path + canonical
    else:
        context["filter_controls"] = filter_controls(request, ui, result)
        status = 400 if result.errors else 200
        response = render(request, "web/records/list.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def filter_controls(request: HttpRequest, ui: RecordUI, result: RecordList) -> list[dict]:
    """The filter panel's inputs: the record type's own filters, then its custom fields."""
    actor = request.user
    rights = access.access_for(actor)
    hidden = rights.hidden_fields(ui.name)
    params = request.GET
    controls: list[dict[str, Any]] = []
    for spec in ui.filter_fields:
        if spec.rule_name in hidden:
            continue
        control = {
            "name": spec.param,
            "label": spec.label,
            "kind": spec.kind,
            "value": params.get(spec.param, ""),
            "placeholder": spec.placeholder,
            "errors": result.errors.get(spec.param, []),
            "options": list(spec.choices),
        }
        if spec.kind == "owner":
            control["options"] = [(str(u.pk), str(u)) for u in selectors.user_choices(actor=actor)]
        elif spec.kind == "team":
            control["options"] = [(str(t.pk), t.name) for t in selectors.team_choices(actor=actor)]
        elif spec.kind == "tag":
            control["options"] = [(name, name) for name in selectors.tag_names(actor=actor)]
        elif spec.kind == "record":
            control["lookup"] = spec.lookup
            selected = next((chip.value for chip in result.chips if chip.label == spec.label), "")
            control["selected_label"] = selected
        controls.append(control)
    for definition in definitions(ui.name):
        name = f"cf.{definition.key}"
        if f"custom.{definition.key}" in hidden:
            continue
        control = {
            "name": name,
            "label": definition.label,
            "kind": "text",
            "value": params.get(name, ""),
            "placeholder": "",
            "errors": result.errors.get(name, []),
            "options": [],
        }
        if definition.kind in (CustomFieldKind.CHOICE, CustomFieldKind.MULTI_CHOICE):
            control.update(kind="select", options=[(c, c) for c in definition.choices])
        elif definition.kind == CustomFieldKind.BOOL:
            control["kind"] = "bool"
        elif definition.kind == CustomFieldKind.DATE:
            control["kind"] = "date"
        controls.append(control)
    return controls


@crm_view
def record_export(request: HttpRequest, ui: RecordUI) -> HttpResponse:
    """The current filter as CSV (streamed) or XLSX (`format=xlsx`); only rows the user may
    export, no hidden field."""
    require_export(request.user, ui.name)
    try:
        fmt = parse_format(request.GET.get("format"))
        filters, custom = list_filters(request, ui)
        queryset = ui.list_selector(
            actor=request.user, filters=filters, custom=custom, action=Action.EXPORT
        )
    except ValidationFailed as exc:
        reasons = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.fields.items())
        return HttpResponse(
            f"The filter is not valid: {reasons or exc.message}",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    ordering = (
        ui.orderings.get(request.GET.get("ordering", "")) or ui.orderings[ui.default_ordering]
    )
    columns = export_columns(request.user, ui.name, ui.export_columns)
    return export_response(queryset.order_by(*ordering.order_by()), columns, f"{ui.name}s", fmt)


@crm_view
def record_lookup(request: HttpRequest, ui: RecordUI) -> HttpResponse:
    """`<option>`s of records matching `term` the user may see, for a record select."""
    require_level(request, ui, Action.READ)
    query = request.GET.get("term", "").strip()
    selected = request.GET.get("selected", "")
    filters = ui.filters_class(q=query or None)
    rows = ui.list_selector(actor=request.user, filters=filters)
    rows = rows.order_by(*ui.orderings[ui.default_ordering].order_by())[:LOOKUP_LIMIT]
    current = None
    if selected.isdigit():
        current = ui.list_selector(actor=request.user).filter(pk=selected).first()
    return render(
        request,
        "web/records/_lookup_options.html",
        {"rows": rows, "current": current, "query": query},
    )
