"""Settings: pipelines and their stages (`pipeline_settings`). Every change goes through
pipeline.services; a refusal comes back as a message or next to the form's fields."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import CrmError, VersionConflict
from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level
from cyclecrm.identity.views.common import render_settings, require
from cyclecrm.pipeline import selectors, services
from cyclecrm.pipeline.forms import PipelineForm, StageForm, style
from cyclecrm.pipeline.models import Pipeline
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error


def can_read(user: Any) -> bool:
    return level(user, Pipeline.record_type, Action.READ) != Level.NONE


def can_manage(user: Any) -> bool:
    return level(user, Pipeline.record_type, Action.EDIT) == Level.ALL


def add_errors(form: Any, exc: CrmError) -> None:
    """A service's field errors next to the form's inputs, the rest above it."""
    if not exc.fields:
        form.add_error(None, exc.message)
    for name, reasons in exc.fields.items():
        target = name.removesuffix("_id")
        for reason in reasons:
            form.add_error(target if target in form.fields else None, reason)


def _refused(request: HttpRequest, exc: CrmError) -> None:
    reasons = " ".join(reason for msgs in exc.fields.values() for reason in msgs)
    messages.error(request, f"{exc.message} {reasons}".strip() if reasons else exc.message)


@crm_view
def pipeline_settings(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user))
    manage = can_manage(request.user)
    form = style(PipelineForm(request.POST or None, initial={"is_active": True}))
    if request.method == "POST":
        require(manage)
        if form.is_valid():
            try:
                pipeline = services.pipeline_create(actor=request.user, data=form.cleaned_data)
            except CrmError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request, f"Pipeline {pipeline.name} created with the standard stages."
                )
                return redirect("pipeline_edit", pk=pipeline.pk)
    pipelines = list(selectors.pipeline_list(actor=request.user))
    counts = selectors.pipeline_counts() if manage else {}
    rows = [(pipeline, counts.get(pipeline.pk, 0)) for pipeline in pipelines]
    return render_settings(
        request,
        "pipeline/settings/pipeline_list.html",
        {"rows": rows, "form": form, "can_manage": manage},
        status=422 if form.errors else 200,
    )


@crm_view
def pipeline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_read(request.user))
    manage = can_manage(request.user)
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    initial = {"name": pipeline.name, "is_default": pipeline.is_default,
               "is_active": pipeline.is_active}  # fmt: skip
    form = style(PipelineForm(request.POST or None, initial=initial))
    if request.method == "POST":
        require(manage)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data["is_default"]:
                data.pop("is_default")  # unticking is not how the default moves
            try:
                services.pipeline_update(
                    actor=request.user,
                    pipeline=pipeline,
                    data=data,
                    version=posted_version(request),
                )
            except VersionConflict:
                stale_version_error(form, "pipeline")
            except CrmError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Pipeline {pipeline.name} saved.")
                return redirect("pipeline_edit", pk=pipeline.pk)
    return _pipeline_page(request, pipeline, form, style(StageForm()), manage)


def _pipeline_page(
    request: HttpRequest, pipeline: Pipeline, form: Any, stage_form: Any, manage: bool
) -> HttpResponse:
    counts = selectors.stage_counts(pipeline=pipeline) if manage else {}
    stages = list(pipeline.stages.all())
    rows = [(stage, counts.get(stage.pk, 0)) for stage in stages]
    status = 422 if form.errors or stage_form.errors else 200
    return render_settings(
        request,
        "pipeline/settings/pipeline_edit.html",
        {
            "pipeline": pipeline,
            "form": form,
            "stage_form": stage_form,
            "rows": rows,
            "stages": stages,
            "can_manage": manage,
        },
        status=status,
    )


@require_POST
@crm_view
def pipeline_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user))
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    try:
        services.pipeline_delete(actor=request.user, pipeline=pipeline)
    except CrmError as exc:
        _refused(request, exc)
        return redirect("pipeline_edit", pk=pipeline.pk)
    messages.success(request, f"Pipeline {pipeline.name} deleted.")
    return redirect("pipeline_settings")


@require_POST
@crm_view
def stage_create(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user))
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    stage_form = style(StageForm(request.POST))
    if stage_form.is_valid():
        try:
            stage = services.stage_create(
                actor=request.user, pipeline=pipeline, data=stage_form.cleaned_data
            )
        except CrmError as exc:
            add_errors(stage_form, exc)
        else:
            messages.success(request, f"Stage {stage.name} added.")
            return redirect("pipeline_edit", pk=pipeline.pk)
    initial = {"name": pipeline.name, "is_default": pipeline.is_default,
               "is_active": pipeline.is_active}  # fmt: skip
    form = style(PipelineForm(initial=initial))
    return _pipeline_page(request, pipeline, form, stage_form, True)


@crm_view
def stage_edit(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    require(can_manage(request.user))
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    stage = selectors.stage_get(actor=request.user, pipeline=pipeline, pk=stage_pk)
    initial = {"name": stage.name, "probability": stage.probability, "kind": stage.kind}
    form = style(StageForm(request.POST or None, initial=initial))
    if request.method == "POST" and form.is_valid():
        try:
            services.stage_update(
                actor=request.user,
                stage=stage,
                data=form.cleaned_data,
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "stage")
        except CrmError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"Stage {stage.name} saved.")
            return redirect("pipeline_edit", pk=pipeline.pk)
    count = selectors.stage_counts(pipeline=pipeline).get(stage.pk, 0)
    targets = [s for s in pipeline.stages.all() if s.pk != stage.pk and s.kind == stage.kind]
    return render_settings(
        request,
        "pipeline/settings/stage_edit.html",
        {"pipeline": pipeline, "stage": stage, "form": form, "count": count, "targets": targets},
        status=422 if form.errors else 200,
    )


@require_POST
@crm_view
def stage_delete(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """Delete an empty stage, or (with `merge_into`) move its opportunities first."""
    require(can_manage(request.user))
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    stage = selectors.stage_get(actor=request.user, pipeline=pipeline, pk=stage_pk)
    into = request.POST.get("merge_into", "").strip()
    try:
        if into:
            target = services.stage_merge(actor=request.user, stage=stage, into_id=into)
            messages.success(request, f"Stage {stage.name} merged into {target.name}.")
        else:
            services.stage_delete(actor=request.user, stage=stage)
            messages.success(request, f"Stage {stage.name} deleted.")
    except CrmError as exc:
        _refused(request, exc)
        return redirect("stage_edit", pk=pipeline.pk, stage_pk=stage.pk)
    return redirect("pipeline_edit", pk=pipeline.pk)


@require_POST
@crm_view
def stage_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Reorder: `stage_ids` (every stage, from drag and drop) or `stage` + `direction` up/down
    (the buttons). Drag and drop asks for JSON; the buttons get the page back."""
    require(can_manage(request.user))
    pipeline = selectors.pipeline_get(actor=request.user, pk=pk)
    wants_json = "stage_ids" in request.POST
    try:
        if wants_json:
            ids = [int(v) for v in request.POST.getlist("stage_ids") if v.isdigit() and len(v) < 19]
            services.stage_reorder(
                actor=request.user,
                pipeline=pipeline,
                stage_ids=ids,
                version=posted_version(request),
            )
        else:
            stage = selectors.stage_get(
                actor=request.user, pipeline=pipeline, pk=request.POST.get("stage", "")
            )
            offset = -1 if request.POST.get("direction") == "up" else 1
            services.stage_shift(
                actor=request.user, stage=stage, offset=offset, version=posted_version(request)
            )
    except CrmError as exc:
        if wants_json:
            return JsonResponse(exc.as_body(), status=exc.status)
        _refused(request, exc)
    if wants_json:
        # the next drag sends the pipeline's new version
        return JsonResponse({"ok": True, "version": pipeline.version})
    return redirect("pipeline_edit", pk=pipeline.pk)
