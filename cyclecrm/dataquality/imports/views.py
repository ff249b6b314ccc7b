"""Import pages: the list, the upload, the mapping page with its live preview (htmx), and the
progress page that polls itself while the job runs. Thin over imports.services and selectors."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import CrmError, Forbidden, VersionConflict
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.dataquality.imports import selectors, services, ui_support
from cyclecrm.dataquality.imports.api import rejected_response
from cyclecrm.dataquality.imports.forms import MappingForm, SaveMappingForm, UploadForm
from cyclecrm.dataquality.models import ImportJob, ImportStatus
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.versions import posted_version, stale_version_error

JOBS_PER_PAGE = 25
PREVIEW_ROWS = 10
POLL_SECONDS = 1
IMPORT_ORDERINGS = orderings_with_reverse({"created": ("created_at", "id")})


@crm_view
def import_list(request: HttpRequest) -> HttpResponse:
    page = paginate(
        selectors.import_list(actor=request.user).select_related("created_by"),
        orderings=IMPORT_ORDERINGS,
        ordering=None,
        default_ordering="-created",
        limit=JOBS_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    can_create = access.level(request.user, "import", Action.CREATE) != Level.NONE
    return render(
        request, "dataquality/imports/import_list.html", {"page": page, "can_create": can_create}
    )


@crm_view
def import_new(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if access.level(actor, "import", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not import.")
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        record_types=selectors.import_types(actor=actor),
        presets=[
            (preset.key, f"{preset.label} ({preset.record_type})")
            for preset in selectors.preset_list()
        ],
        mappings=[
            (mapping.pk, f"{mapping.name} ({mapping.record_type})")
            for mapping in selectors.mapping_list(actor=actor)
        ],
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = _create(actor, form)
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            _add_errors(form, exc)
        else:
            return redirect("import_mapping", pk=job.pk)
    return render(request, "dataquality/imports/import_new.html", {"form": form})


def _create(actor: Any, form: UploadForm) -> ImportJob:
    data = form.cleaned_data
    upload = data["file"]
    ui_support.check_upload(upload.name, upload.size, upload.file)
    saved = None
    if data.get("saved_mapping"):
        saved = ui_support.saved_mapping_get(
            actor=actor, pk=data["saved_mapping"], record_type=data["record_type"]
        )
    job = services.import_create(
        actor=actor,
        record_type=data["record_type"],
        file_name=upload.name,
        stream=upload.file,
        encoding=data.get("encoding") or None,
        delimiter=data.get("delimiter") or None,
        preset=data.get("preset") or "",
        options=form.options() or None,
    )
    if saved is not None:
        job = services.import_configure(
            actor=actor,
            job=job,
            version=job.version,
            mapping=saved.mapping,
            options={**saved.options, **job.options},
        )
    return job


def _form_field(form: Any, name: str) -> str | None:
    """The form field a service error names: `mapping.<header>` is that column's select,
    `options.<key>` the option's field, `mapping_id` the saved mapping select."""
    if name.startswith("mapping.") and name[8:] in getattr(form, "headers", []):
        return f"col_{form.headers.index(name[8:])}"
    name = {"mapping_id": "saved_mapping"}.get(name, name.removeprefix("options."))
    return name if name in form.fields else None


def _add_errors(form: Any, exc: CrmError) -> None:
    for name, reasons in exc.fields.items():
        target = _form_field(form, name)
        for reason in reasons:
            form.add_error(target, reason if target else f"{name}: {reason}")
    if not exc.fields:
        form.add_error(None, exc.message)


def _mapping_form(request: HttpRequest, job: ImportJob) -> MappingForm:
    headers = selectors.import_headers(actor=request.user, job=job)
    targets = [
        (column.field, f"{column.label}{' *' if column.required else ''}")
        for column in selectors.import_fields(job.record_type)
    ]
    return MappingForm(
        request.POST if request.method == "POST" else None,
        headers=headers,
        targets=targets,
        initial=MappingForm.initial_for(job, headers),
    )


def _configure(request: HttpRequest, job: ImportJob, form: MappingForm) -> ImportJob | None:
    """Store the form's mapping and options on the job; None (errors on the form) if refused."""
    if not form.is_valid():
        return None
    try:
        return services.import_configure(
            actor=request.user,
            job=job,
            mapping=form.mapping(),
            options=form.options(job.options or {}),
            mode=form.cleaned_data["mode"],
            on_duplicate=form.cleaned_data["on_duplicate"],
            version=posted_version(request),
        )
    except VersionConflict:
        stale_version_error(form, "import")
        return None
    except CrmError as exc:
        if isinstance(exc, Forbidden) and not exc.fields:
            raise
        _add_errors(form, exc)
        return None


def _preview_context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    """The preview table: the mapped fields as columns, each cell with its problems (problems
    name the source column; a rejected cell shows the value as it is in the file)."""
    preview = selectors.import_preview(actor=request.user, job=job, rows=PREVIEW_ROWS)
    labels = {column.field: column.label for column in selectors.import_fields(job.record_type)}
    mapping = job.mapping or {}
    # In the file's column order (a jsonb mapping does not keep its keys' order).
    in_order = [mapping.get(header, "") for header in preview.headers]
    fields = [field for field in dict.fromkeys(in_order) if field]
    headers_of: dict[str, list[str]] = {}
    for header, field in mapping.items():
        headers_of.setdefault(field, []).append(header)
    rows = [_preview_row(row, fields, headers_of) for row in preview.rows]
    return {
        "preview_fields": [(field, labels.get(field, field)) for field in fields],
        "preview_rows": rows,
    }


def _preview_row(row: Any, fields: list[str], headers_of: dict[str, list[str]]) -> dict:
    by_column: dict[str, list[Any]] = {}
    for problem in row.problems:
        by_column.setdefault(problem.column, []).append(problem)
    cells = []
    for field in fields:
        problems = by_column.pop(field, [])
        for header in headers_of.get(field, []):
            problems += by_column.pop(header, [])
        value = row.values.get(field)
        if value in (None, "") and problems:
            value = problems[0].value
        cells.append({"value": value, "problems": [problem.reason for problem in problems]})
    rest = [
        f"{column}: {problem.reason}" if column else problem.reason
        for column, problems in by_column.items()
        for problem in problems
    ]
    return {"row": row.row, "cells": cells, "row_problems": rest}


@crm_view
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_get(actor=request.user, pk=pk)
    if job.status != ImportStatus.DRAFT:
        return redirect("import_detail", pk=job.pk)
    form = _mapping_form(request, job)
    if request.method == "POST":
        configured = _configure(request, job, form)
        if configured is not None and "start" in request.POST:
            try:
                services.import_start(actor=request.user, job=configured)
            except CrmError as exc:
                if isinstance(exc, Forbidden) and not exc.fields:
                    raise
                _add_errors(form, exc)
            else:
                return redirect("import_detail", pk=job.pk)
        elif configured is not None:
            messages.success(request, "Mapping saved.")
            return redirect("import_mapping", pk=job.pk)
        job = configured or job
    samples = ui_support.column_samples(actor=request.user, job=job)
    context = {
        "job": job,
        "form": form,
        "columns": [
            (index, header, field, samples.get(header, []))
            for index, header, field in form.column_rows()
        ],
        "save_form": SaveMappingForm(),
        **_preview_context(request, job),
    }
    return render(request, "dataquality/imports/import_mapping.html", context)


@crm_view
@require_POST
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The live preview under the mapping (htmx): stores the edited mapping, renders the rows."""
    job = selectors.import_get(actor=request.user, pk=pk)
    form = _mapping_form(request, job)
    configured = _configure(request, job, form) if job.status == ImportStatus.DRAFT else None
    # the stored mapping moved the job's version: the page's form gets the new one (htmx oob)
    context = {"job": configured or job, "form": form, "version_oob": True}
    context |= _preview_context(request, configured or job)
    return render(request, "dataquality/imports/_preview.html", context)


@crm_view
@require_POST
def import_save_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_get(actor=request.user, pk=pk)
    form = SaveMappingForm(request.POST)
    if form.is_valid():
        try:
            services.mapping_save(
                actor=request.user,
                name=form.cleaned_data["name"],
                record_type=job.record_type,
                mapping=job.mapping,
                options=job.options,
            )
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            messages.error(request, " ".join(_reasons(exc)))
        else:
            messages.success(request, f"Mapping “{form.cleaned_data['name']}” saved.")
    else:
        messages.error(request, " ".join(form.errors.get("name", [])))
    return redirect("import_mapping", pk=job.pk)


def _reasons(exc: CrmError) -> list[str]:
    return [f"{name}: {reason}" for name, reasons in exc.fields.items() for reason in reasons] or [
        exc.message
    ]


def _detail_context(job: ImportJob) -> dict[str, Any]:
    return {
        "job": job,
        "percent": ui_support.percent(job),
        "counts": ui_support.counts(job),
        "finished": ui_support.is_finished(job),
        "poll_seconds": POLL_SECONDS,
    }


@crm_view
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_get(actor=request.user, pk=pk)
    if job.status == ImportStatus.DRAFT:
        return redirect("import_mapping", pk=job.pk)
    context = _detail_context(job)
    if is_htmx(request):
        return render(request, "dataquality/imports/_progress.html", context)
    return render(request, "dataquality/imports/import_detail.html", context)


@crm_view
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_get(actor=request.user, pk=pk)
    try:
        services.import_cancel(actor=request.user, job=job)
    except CrmError as exc:
        if isinstance(exc, Forbidden) and not exc.fields:
            raise
        messages.error(request, " ".join(_reasons(exc)))
    else:
        messages.success(request, "Cancellation requested.")
    return redirect("import_detail", pk=job.pk)


@crm_view
def import_rejected(request: HttpRequest, pk: int) -> FileResponse:
    job = selectors.import_get(actor=request.user, pk=pk)
    return rejected_response(selectors.rejected_rows_path(actor=request.user, job=job), job)
