"""Create, edit and delete pages, and the sharing panel. Each calls one domain service; the
service's errors come back next to the inputs they concern."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import (
    CrmError,
    Duplicate,
    Forbidden,
    ValidationFailed,
    VersionConflict,
)
from cyclecrm.dataquality.duplicates.flagging import CHECKED_TYPES, FORCE_VALUES, LikelyDuplicate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.identity.services import share_create, share_delete
from cyclecrm.web import selectors
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records.config import RecordUI
from cyclecrm.web.records.views_detail import RECORD_CHANGED, share_context
from cyclecrm.web.records.views_list import require_level

CONFLICT_MESSAGE = (
    "Someone else changed this record while you were editing it. Your changes were not saved."
)


def _get_for(request: HttpRequest, ui: RecordUI, pk: int, action: str) -> Any:
    """The record if the user may read it (else 404) and do `action` on it (else 403)."""
    instance = ui.get_selector(actor=request.user, pk=pk)
    if not access.can(request.user, action, instance):
        raise Forbidden(f"You may not {action} this {ui.label.lower()}.")
    return instance


def _field_error(exc: CrmError) -> bool:
    """A service error that belongs on the form (rather than a 403/404 page)."""
    return isinstance(exc, ValidationFailed | Duplicate) or (
        isinstance(exc, Forbidden) and bool(exc.fields)
    )


def _duplicate_check(request: HttpRequest, ui: RecordUI) -> dict[str, bool]:
    """Ask the service for the likely-duplicate check, unless "Save anyway" was pressed."""
    if ui.name not in CHECKED_TYPES:
        return {}
    return {"check_duplicates": request.POST.get("force", "").lower() not in FORCE_VALUES}


def _render_form(
    request: HttpRequest,
    ui: RecordUI,
    form: Any,
    *,
    instance: Any = None,
    status: int = 200,
    conflict: bool = False,
    duplicates: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    context = {
        "ui": ui,
        "form": form,
        "sections": form.layout(ui.field_groups),
        "object": instance,
        "conflict": conflict,
        "duplicates": duplicates,
    }
    return render(request, "web/records/form.html", context, status=status)


@crm_view
def record_create(request: HttpRequest, ui: RecordUI) -> HttpResponse:
    require_level(request, ui, Action.CREATE)
    if request.method != "POST":
        form = ui.form_class(actor=request.user, links=request.GET)
        return _render_form(request, ui, form)
    form = ui.form_class(request.POST, actor=request.user)
    if not form.is_valid():
        return _render_form(request, ui, form, status=422)
    data, tags, custom = form.service_arguments()
    try:
        instance = ui.create(
            actor=request.user,
            data=data,
            tags=tags,
            custom=custom,
            **_duplicate_check(request, ui),
        )
    except LikelyDuplicate as exc:
        return _render_form(request, ui, form, status=409, duplicates=exc.candidates)
    except CrmError as exc:
        if not _field_error(exc):
            raise
        form.add_service_error(exc)
        return _render_form(request, ui, form, status=exc.status)
    messages.success(request, f"{ui.label} “{instance}” created.")
    return redirect(ui.url("detail", instance.pk))


@crm_view
def record_edit(request: HttpRequest, ui: RecordUI, pk: int) -> HttpResponse:
    instance = _get_for(request, ui, pk, Action.EDIT)
    form = ui.form_class(request.POST or None, actor=request.user, instance=instance)
    if request.method != "POST":
        return _render_form(request, ui, form, instance=instance)
    if not form.is_valid():
        return _render_form(request, ui, form, instance=instance, status=422)
    data, tags, custom = form.service_arguments()
    try:
        ui.update(
            actor=request.user,
            instance=instance,
            data=data,
            version=form.cleaned_data.get("version"),
            tags=tags,
            custom=custom,
            **_duplicate_check(request, ui),
        )
    except LikelyDuplicate as exc:
        return _render_form(
            request, ui, form, instance=instance, status=409, duplicates=exc.candidates
        )
    except VersionConflict:
        form.add_error(None, CONFLICT_MESSAGE)
        return _render_form(request, ui, form, instance=instance, status=409, conflict=True)
    except CrmError as exc:
        if not _field_error(exc):
            raise
        form.add_service_error(exc)
        return _render_form(request, ui, form, instance=instance, status=exc.status)
    if data or tags is not None or custom:
        messages.success(request, f"{ui.label} “{instance}” saved.")
    else:
        messages.info(request, "Nothing changed.")
    return redirect(ui.url("detail", instance.pk))


@crm_view
def record_delete(request: HttpRequest, ui: RecordUI, pk: int) -> HttpResponse:
    instance = _get_for(request, ui, pk, Action.DELETE)
    if request.method == "POST":
        name = str(instance)
        ui.delete(actor=request.user, instance=instance)
        messages.success(request, f"{ui.label} “{name}” deleted.")
        return redirect(ui.url("list"))
    return render(request, "web/records/confirm_delete.html", {"ui": ui, "object": instance})


@crm_view
def record_shares(request: HttpRequest, ui: RecordUI, pk: int) -> HttpResponse:
    """GET: the sharing panel; POST: share with `target` = `user:<id>` or `team:<id>`."""
    instance = _get_for(request, ui, pk, Action.EDIT)
    error = ""
    if request.method == "POST":
        kind, _, target_id = request.POST.get("target", "").partition(":")
        ids = {"user_id": None, "team_id": None}
        if kind in ("user", "team") and target_id.isdigit():
            ids[f"{kind}_id"] = int(target_id)
        try:
            share_create(
                actor=request.user,
                instance=instance,
                can_edit=request.POST.get("can_edit") == "on",
                **ids,
            )
        except ValidationFailed as exc:
            error = " ".join(msg for msgs in exc.fields.values() for msg in msgs) or exc.message
        else:
            return _shares_changed(request, ui, instance, "Shared.")
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect(ui.url("detail", instance.pk))
    return _shares_panel(request, ui, instance, error=error)


@require_POST
@crm_view
def record_share_delete(request: HttpRequest, ui: RecordUI, pk: int, share_id: int) -> HttpResponse:
    instance = _get_for(request, ui, pk, Action.EDIT)
    share = selectors.share_get(actor=request.user, instance=instance, pk=share_id)
    share_delete(actor=request.user, share=share, instance=instance)
    return _shares_changed(request, ui, instance, "Sharing removed.")


def _shares_changed(request: HttpRequest, ui: RecordUI, instance: Any, note: str) -> HttpResponse:
    if not is_htmx(request):
        messages.success(request, note)
        return redirect(ui.url("detail", instance.pk))
    response = _shares_panel(request, ui, instance)
    response["HX-Trigger"] = RECORD_CHANGED
    return response


def _shares_panel(
    request: HttpRequest, ui: RecordUI, instance: Any, *, error: str = ""
) -> HttpResponse:
    context = {"ui": ui, "object": instance, "share_error": error}
    context.update(share_context(request.user, instance))
    return render(request, "web/records/_shares.html", context, status=422 if error else 200)
