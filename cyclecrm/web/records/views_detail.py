"""Detail page, its history fragment and inline editing of one field at a time."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.web import selectors
from cyclecrm.web.errors import crm_view
from cyclecrm.web.records.config import RecordUI
from cyclecrm.web.records.display import display_value, field_label, linked_record_fields
from cyclecrm.web.records.history import history_page

SYSTEM_GROUP = (
    "owner", "team", "created_at", "created_by", "updated_at", "updated_by", "version",
)  # fmt: skip
RECORD_CHANGED = "record-changed"


@dataclass
class FieldView:
    name: str
    label: str
    html: SafeString
    editable: bool


class DetailFields:
    """What one viewer sees of one record: labels, values, which ones are inline-editable."""

    def __init__(self, actor: Any, ui: RecordUI, instance: Any) -> None:
        rights = access.access_for(actor)
        self.ui = ui
        self.instance = instance
        self.hidden = rights.hidden_fields(ui.name)
        self.readonly = rights.readonly_fields(ui.name)
        self.can_edit = access.can(actor, Action.EDIT, instance)
        self.defs = {definition.key: definition for definition in definitions(ui.name)}
        names = [name for _, group in ui.field_groups for name in group]
        self.link_ok = {
            name: getattr(instance, name) is not None
            and access.can(actor, Action.READ, getattr(instance, name))
            for name in linked_record_fields(ui.model, names)
            if name not in self.hidden
        }

    def editable(self, name: str) -> bool:
        return self.can_edit and name in self.ui.inline_fields and name not in self.readonly

    def field(self, name: str) -> FieldView:
        return FieldView(
            name=name,
            label=field_label(self.ui.model, name, labels=self.ui.labels, defs=self.defs),
            html=display_value(
                self.instance, name, defs=self.defs, link_visible=self.link_ok.get(name, True)
            ),
            editable=self.editable(name),
        )

    def groups(self) -> list[tuple[str, list[FieldView]]]:
        groups = [
            (title, [self.field(name) for name in names if name not in self.hidden])
            for title, names in self.ui.field_groups
        ]
        custom = [f"custom.{key}" for key in self.defs if f"custom.{key}" not in self.hidden]
        if custom:
            groups.append(("Custom fields", [self.field(name) for name in custom]))
        system = [name for name in SYSTEM_GROUP if name not in self.hidden]
        if "external_id" not in self.hidden:
            system.append("external_id")
        groups.append(("System", [self.field(name) for name in system]))
        return [(title, fields) for title, fields in groups if fields]


@crm_view
def record_detail(request: HttpRequest, ui: RecordUI, pk: int) -> HttpResponse:
    actor = request.user
    instance = ui.get_selector(actor=actor, pk=pk)
    fields = DetailFields(actor, ui, instance)
    context = {
        "ui": ui,
        "object": instance,
        "groups": fields.groups(),
        "tags": None if "tags" in fields.hidden else list(instance.tags.all()),
        "can_edit": fields.can_edit,
        "can_delete": access.can(actor, Action.DELETE, instance),
        "subtitle": ui.describe(instance, ui.subtitle_fields, fields.hidden),
    }
    if ui.related:
        context.update(ui.related(actor, instance))
    if fields.can_edit:
        context.update(share_context(actor, instance))
    return render(request, ui.detail_template, context)


def share_context(actor: Any, instance: Any) -> dict[str, Any]:
    return {
        "shares": list(selectors.share_list(actor=actor, instance=instance)),
        "share_users": list(selectors.user_choices(actor=actor)),
        "share_teams": list(selectors.team_choices(actor=actor)),
    }


@crm_view
def record_history(request: HttpRequest, ui: RecordUI, pk: int) -> HttpResponse:
    instance = ui.get_selector(actor=request.user, pk=pk)
    cursor = request.GET.get("cursor") or None
    try:
        items, next_cursor = history_page(
            actor=request.user, ui=ui, instance=instance, cursor=cursor
        )
    except ValidationFailed as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "web/records/_history.html",
        {
            "ui": ui,
            "object": instance,
            "items": items,
            "next_cursor": next_cursor,
            "more": cursor is not None,
        },
    )


@crm_view
def record_field(request: HttpRequest, ui: RecordUI, pk: int, name: str) -> HttpResponse:
    """GET: the value (or, with `?edit=1`, its input); POST: save it through the service."""
    actor = request.user
    instance = ui.get_selector(actor=actor, pk=pk)
    fields = DetailFields(actor, ui, instance)
    if name not in ui.inline_fields or name in fields.hidden:
        raise NotFound("No such field.")
    wants_input = request.method == "POST" or request.GET.get("edit")
    if wants_input and not fields.editable(name):
        if not fields.can_edit:
            raise Forbidden("You may not edit this record.")
        raise Forbidden("You may not change this field.")
    if request.method == "POST":
        return _save_field(request, ui, instance, name)
    if wants_input:
        form = ui.form_class(actor=actor, instance=instance)
        return _input(request, ui, instance, form, name, version=instance.version)
    return _display(request, ui, instance, name)


def _display(
    request: HttpRequest, ui: RecordUI, instance: Any, name: str, *, changed: bool = False
) -> HttpResponse:
    fields = DetailFields(request.user, ui, instance)
    context = {"ui": ui, "object": instance, "field": fields.field(name), "changed": changed}
    if changed:
        context["system"] = [
            fields.field(n)
            for n in ("updated_at", "updated_by", "version")
            if n not in fields.hidden
        ]
    response = render(request, "web/records/_field_display.html", context)
    if changed:
        response["HX-Trigger"] = RECORD_CHANGED
    return response


def _input(
    request: HttpRequest,
    ui: RecordUI,
    instance: Any,
    form: Any,
    name: str,
    *,
    version: Any,
    errors: list[str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "ui": ui,
        "object": instance,
        "bound": form[name],
        "name": name,
        "version": version,
        "errors": errors or [],
        "conflict": conflict,
    }
    return render(request, "web/records/_field_input.html", context, status=status)


def _save_field(request: HttpRequest, ui: RecordUI, instance: Any, name: str) -> HttpResponse:
    actor = request.user
    form = ui.form_class(request.POST, actor=actor, instance=instance)
    version = request.POST.get("version", "")
    field = form.fields[name]
    try:
        value = field.clean(field.widget.value_from_datadict(request.POST, {}, name))
    except DjangoValidationError as exc:
        return _input(
            request,
            ui,
            instance,
            form,
            name,
            version=version,
            errors=list(exc.messages),
            status=422,
        )
    key = f"{name}_id" if name in (*form.record_links, "owner", "team") else name
    try:
        ui.update(
            actor=actor,
            instance=instance,
            data={key: value},
            version=int(version) if version.isdigit() else None,
        )
    except VersionConflict:
        current = ui.get_selector(actor=actor, pk=instance.pk)
        message = "Someone else changed this record meanwhile; reload the page to see it."
        return _input(
            request,
            ui,
            current,
            form,
            name,
            version=version,
            errors=[message],
            conflict=True,
            status=409,
        )
    except ValidationFailed as exc:
        reasons = exc.fields.get(key) or exc.fields.get(name)
        if reasons is None:
            reasons = [reason for msgs in exc.fields.values() for reason in msgs] or [exc.message]
        return _input(
            request, ui, instance, form, name, version=version, errors=reasons, status=422
        )
    updated = ui.get_selector(actor=actor, pk=instance.pk)
    return _display(request, ui, updated, name, changed=True)
