"""Settings: custom field definitions per record type; create, edit, (de)activate."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.core.custom_field_admin import (
    custom_field_create as create_field,
)
from cyclecrm.core.custom_field_admin import (
    custom_field_update as update_field,
)
from cyclecrm.core.custom_field_admin import custom_record_types
from cyclecrm.core.errors import Conflict, ValidationFailed, VersionConflict
from cyclecrm.core.models import CustomField
from cyclecrm.core.registry import record_types
from cyclecrm.identity import selectors
from cyclecrm.identity.forms import CustomFieldForm, add_service_errors
from cyclecrm.identity.models import Action
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error, stale_version_message

TYPE = "custom_field"


@crm_view
def custom_field_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, TYPE))
    fields = list(selectors.custom_field_list(actor=request.user))
    labels = {key: item.label for key, item in record_types().items()}
    groups = [
        {
            "key": key,
            "label": labels[key],
            "fields": [field for field in fields if field.record_type == key],
        }
        for key in custom_record_types()
    ]
    return render_settings(
        request,
        "identity/custom_field_list.html",
        {
            "groups": groups,
            "can_create": can_manage(request.user, TYPE, Action.CREATE),
            "can_edit": can_manage(request.user, TYPE, Action.EDIT),
        },
    )


@crm_view
def custom_field_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.CREATE))
    form = CustomFieldForm(
        request.POST or None,
        initial={"record_type": request.GET.get("record_type"), "position": 0},
        record_types=custom_record_types(),
        editing=False,
    )
    if request.method == "POST" and form.is_valid():
        try:
            field = create_field(actor=request.user, data=form.service_data())
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Custom field {field} created.")
            return redirect("custom_field_list")
    return render_settings(
        request, "identity/custom_field_form.html", {"form": form, "creating": True}
    )


def _initial(field: CustomField) -> dict:
    return {
        "record_type": field.record_type,
        "key": field.key,
        "label": field.label,
        "kind": field.kind,
        "choices": "\n".join(field.choices or []),
        "required": field.required,
        "min_value": field.min_value,
        "max_value": field.max_value,
        "max_length": field.max_length,
        "help_text": field.help_text,
        "position": field.position,
        "is_active": field.is_active,
    }


@crm_view
def custom_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.EDIT))
    field = selectors.custom_field_get(actor=request.user, pk=pk)
    form = CustomFieldForm(
        request.POST or None,
        initial=_initial(field),
        record_types=custom_record_types(),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_field(
                actor=request.user,
                field=field,
                data=form.service_data(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "custom field")
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Custom field {field} saved.")
            return redirect("custom_field_list")
    return render_settings(
        request,
        "identity/custom_field_form.html",
        {"form": form, "creating": False, "subject": field},
    )


@require_POST
@crm_view
def custom_field_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (hide from forms and the API, keep stored values) or reactivate."""
    require(can_manage(request.user, TYPE, Action.EDIT))
    field = selectors.custom_field_get(actor=request.user, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        update_field(
            actor=request.user,
            field=field,
            data={"is_active": active},
            version=posted_version(request),
        )
    except (VersionConflict, ValidationFailed):
        stale_version_message(request, "custom field")
        return redirect("custom_field_list")
    messages.success(request, f"Custom field {field} {'activated' if active else 'deactivated'}.")
    return redirect("custom_field_list")
