"""Segment pages: list, detail (live count, members by keyset pages, static list editing),
create/edit with the rule builder, and the htmx preview that counts members while editing."""

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import CrmError, Forbidden, ValidationFailed
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.segments import selectors, services
from cyclecrm.segments.forms import MembersForm, SegmentForm
from cyclecrm.segments.models import Segment
from cyclecrm.segments.rules import field_catalog
from cyclecrm.web.errors import crm_view

MEMBERS_PER_PAGE = 50
MEMBER_ORDERINGS = orderings_with_reverse({"name": ("last_name", "id")})


@crm_view
def segment_list(request: HttpRequest) -> HttpResponse:
    segments = selectors.segment_list(actor=request.user).order_by("name", "id")
    can_create = access.level(request.user, Segment.record_type, Action.CREATE) != Level.NONE
    return render(
        request, "segments/segment_list.html", {"segments": segments, "can_create": can_create}
    )


@crm_view
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    segment = selectors.segment_get(actor=actor, pk=pk)
    members_form = MembersForm(request.POST or None)
    if request.method == "POST":
        _change_members(request, segment, members_form)
        if not members_form.errors:
            return redirect("segment_detail", pk=segment.pk)
    page = paginate(
        selectors.segment_members(actor=actor, segment=segment),
        orderings=MEMBER_ORDERINGS,
        ordering=None,
        default_ordering="name",
        limit=MEMBERS_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    context = {
        "segment": segment,
        "count": services.segment_count(actor=actor, segment=segment),
        "page": page,
        "rules_json": json.dumps(segment.rules, indent=2),
        "can_edit": access.can(actor, Action.EDIT, segment),
        "members_form": members_form,
    }
    return render(request, "segments/segment_detail.html", context)


def _change_members(request: HttpRequest, segment: Segment, form: MembersForm) -> None:
    if not form.is_valid():
        return
    ids = form.cleaned_data["contact_ids"]
    try:
        if request.POST.get("action") == "remove":
            changed = services.segment_members_remove(
                actor=request.user, segment=segment, contact_ids=ids
            )
            messages.success(request, f"{changed} removed from the list.")
        else:
            changed = services.segment_members_add(
                actor=request.user, segment=segment, contact_ids=ids
            )
            messages.success(request, f"{changed} added to the list.")
    except ValidationFailed as exc:
        for reasons in exc.fields.values():
            for reason in reasons:
                form.add_error("contact_ids", reason)


@crm_view
def segment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    segment = selectors.segment_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if segment is None and access.level(actor, "segment", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create segments.")
    initial: dict[str, Any] = {"rules": json.dumps({"all": []})}
    if segment is not None:
        initial = {
            "name": segment.name,
            "description": segment.description,
            "rules": json.dumps(segment.rules or {"all": []}),
        }
    form = SegmentForm(request.POST or None, initial=initial, editing=segment is not None)
    if request.method == "POST" and form.is_valid():
        try:
            if segment is None:
                segment = services.segment_create(actor=actor, data=form.service_data())
            else:
                segment = services.segment_update(
                    actor=actor, segment=segment, data=form.service_data()
                )
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            _add_errors(form, exc)
        else:
            messages.success(request, "Segment saved.")
            return redirect("segment_detail", pk=segment.pk)
    context = {
        "form": form,
        "segment": segment,
        "title": str(segment) if segment else "New segment",
        "fields": [spec.as_dict() for spec in field_catalog()],
    }
    return render(request, "segments/segment_form.html", context)


def _add_errors(form: SegmentForm, exc: CrmError) -> None:
    for name, reasons in exc.fields.items():
        target = "rules" if name.startswith("rules") else name
        for reason in reasons:
            label = f"{name}: {reason}" if target == "rules" else reason
            form.add_error(target if target in form.fields else None, label)
    if not exc.fields:
        form.add_error(None, exc.message)


@crm_view
@require_POST
def segment_preview(request: HttpRequest) -> HttpResponse:
    """The live count under the rule builder (an htmx partial); errors are listed by rule path."""
    context: dict[str, Any] = {"count": None, "errors": []}
    try:
        rules = json.loads(request.POST.get("rules") or "{}")
        context["count"] = selectors.rules_preview(actor=request.user, rules=rules)
    except ValueError:
        context["errors"] = [("rules", "Not valid JSON.")]
    except CrmError as exc:
        context["errors"] = [
            (path, reason) for path, reasons in exc.fields.items() for reason in reasons
        ] or [("rules", exc.message)]
    return render(request, "segments/_count.html", context)


@crm_view
@require_POST
def add_matching_contacts(request: HttpRequest) -> HttpResponse:
    """Bulk action of the contact list: put every contact matching its filters on a static list."""
    from cyclecrm.contacts.selectors import contact_list
    from cyclecrm.web.records.config import ui_for
    from cyclecrm.web.records.lists import list_filters

    segment = selectors.segment_get(actor=request.user, pk=request.POST.get("segment", ""))
    query = request.POST.get("query", "")
    try:
        filters, custom = list_filters(request, ui_for("contact"), QueryDict(query))
        contacts = contact_list(actor=request.user, filters=filters, custom=custom)
        added = services.segment_members_add_matching(
            actor=request.user, segment=segment, contacts=contacts
        )
    except ValidationFailed as exc:
        reasons = [f"{name}: {' '.join(msgs)}" for name, msgs in exc.fields.items()]
        messages.error(request, f"Nothing added. {exc.message} {'; '.join(reasons)}".strip())
        return redirect(f"/contacts/?{query}")
    messages.success(request, f"{added} contacts added to “{segment.name}”.")
    return redirect("segment_detail", pk=segment.pk)
