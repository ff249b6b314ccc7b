"""Persona pages: list and detail show the linked segment's live size (contacts the reader may
read); create/edit through the persona services."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cyclecrm.core.errors import CrmError, Forbidden
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.segments import selectors, services
from cyclecrm.segments.forms import PersonaForm
from cyclecrm.segments.models import Persona
from cyclecrm.web.errors import crm_view

PERSONAS_SHOWN = 100


@crm_view
def persona_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    personas = list(selectors.persona_list(actor=actor)[:PERSONAS_SHOWN])
    segments = selectors.persona_segments(actor=actor, personas=personas)
    rows = [(p, segments[p.pk]) for p in personas]
    can_create = access.level(actor, Persona.record_type, Action.CREATE) != Level.NONE
    return render(request, "segments/persona_list.html", {"rows": rows, "can_create": can_create})


@crm_view
def persona_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    persona = selectors.persona_get(actor=actor, pk=pk)
    context = {
        "persona": persona,
        "size": selectors.persona_segment_size(actor=actor, persona=persona),
        "figures": selectors.persona_figures(actor=actor, persona=persona),
        "segment_visible": persona.segment_id is not None
        and selectors.segment_list(actor=actor).filter(pk=persona.segment_id).exists(),
        "can_edit": access.can(actor, Action.EDIT, persona),
    }
    return render(request, "segments/persona_detail.html", context)


@crm_view
def persona_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    persona = selectors.persona_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if persona is None and access.level(actor, "persona", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create personas.")
    initial: dict[str, Any] = {}
    if persona is not None:
        initial = {name: getattr(persona, name) for name in PersonaForm.base_fields}
    form = PersonaForm(
        request.POST or None, initial=initial, segments=selectors.segment_list(actor=actor)
    )
    if request.method == "POST" and form.is_valid():
        try:
            if persona is None:
                persona = services.persona_create(actor=actor, data=form.cleaned_data)
            else:
                persona = services.persona_update(
                    actor=actor, persona=persona, data=form.cleaned_data
                )
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            for name, reasons in exc.fields.items():
                for reason in reasons:
                    form.add_error(name if name in form.fields else None, reason)
        else:
            messages.success(request, "Persona saved.")
            return redirect("persona_detail", pk=persona.pk)
    title = str(persona) if persona else "New persona"
    return render(request, "segments/persona_form.html", {"form": form, "title": title})
