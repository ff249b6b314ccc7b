"""REST routes of imports (mounted at /api/v1/imports by `dataquality.api`): upload, mapping,
preview, start and cancel, progress, rejected rows, fields, presets and saved mappings. Thin
handlers over imports.services and imports.selectors."""

import json
from dataclasses import asdict, is_dataclass
from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.dataquality.imports import selectors, services, ui_support
from cyclecrm.dataquality.imports.schemas import (
    ColumnOut,
    ImportCreatedOut,
    ImportOut,
    ImportPatchIn,
    MappingIn,
    MappingOut,
    PresetOut,
    PreviewOut,
    UploadIn,
)
from cyclecrm.dataquality.models import ImportJob

router = Router(tags=["imports"])

ImportPage = cursor_page(ImportOut)
IMPORT_ORDERINGS = orderings_with_reverse({"created": ("created_at", "id")})
ImportOrdering = Literal[tuple(IMPORT_ORDERINGS)]


def job_body(job: ImportJob) -> dict[str, Any]:
    """The job as `ImportOut`: stored fields plus progress and counts."""
    body = {name: getattr(job, name) for name in ImportOut.model_fields if hasattr(job, name)}
    body["progress"] = {
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": ui_support.percent(job),
    }
    body["counts"] = ui_support.counts(job)
    return body


def column_body(column: Any) -> dict[str, Any]:
    return {
        "field": column.field,
        "label": column.label,
        "kind": column.kind,
        "required": bool(column.required),
        "synonyms": list(column.synonyms or ()),
        "choices": [
            str(choice[0] if isinstance(choice, tuple) else choice)
            for choice in column.choices or ()
        ],
    }


def problem_body(problem: Any) -> dict[str, Any]:
    data = asdict(problem) if is_dataclass(problem) else dict(problem)
    return {
        "row": data["row"],
        "column": str(data["column"]),
        "value": str(data["value"]),
        "reason": str(data["reason"]),
    }


def _json_options(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValidationFailed(fields={"options": ["A JSON object is expected."]})
    return value


@router.get(
    "",
    response={200: ImportPage, **error_responses(422)},
    operation_id="list_imports",
    summary="List imports",
    description="Imports you may see, newest first by default.",
)
def list_imports(
    request: HttpRequest, page: Query[PageParams], ordering: ImportOrdering | None = None
) -> dict[str, Any]:
    result = paginate(
        selectors.import_list(actor=request.auth),
        orderings=IMPORT_ORDERINGS,
        ordering=ordering,
        default_ordering="-created",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": [job_body(job) for job in result.items], "next_cursor": result.next_cursor}


@router.post(
    "",
    response={201: ImportCreatedOut, **error_responses(403, 404, 413, 422)},
    operation_id="create_import",
    summary="Upload a file to import",
    description=(
        "Multipart upload of a CSV/TSV/TXT (any delimiter and encoding, detected unless given) or "
        "XLSX file. Answers with the detected encoding and delimiter, the headers, the suggested "
        "mapping and the fields of the type. The import starts with `POST /{id}/start`. "
        "413 when the file exceeds IMPORT_MAX_UPLOAD_MB; 422 on `file` when it is not text or XLSX."
    ),
)
def create_import(request: HttpRequest, file: File[UploadedFile], data: Form[UploadIn]) -> Status:
    actor = request.auth
    ui_support.check_upload(file.name or "", file.size, file.file)
    saved = (
        ui_support.saved_mapping_get(actor=actor, pk=data.mapping_id, record_type=data.record_type)
        if data.mapping_id
        else None
    )
    job = services.import_create(
        actor=actor,
        record_type=data.record_type,
        file_name=file.name or "upload",
        stream=file.file,
        encoding=data.encoding or None,
        delimiter=data.delimiter or None,
        preset=data.preset,
        options=_json_options(data.options),
    )
    if saved is not None:
        job = services.import_configure(
            actor=actor,
            job=job,
            version=job.version,
            mapping=saved.mapping,
            options={**saved.options, **job.options},
        )
    return Status(201, created_body(actor, job))


def created_body(actor: Any, job: ImportJob) -> dict[str, Any]:
    return {
        **job_body(job),
        "headers": selectors.import_headers(actor=actor, job=job),
        "fields": [column_body(column) for column in selectors.import_fields(job.record_type)],
    }


@router.get(
    "/fields/{record_type}",
    response={200: list[ColumnOut], **error_responses(404)},
    operation_id="list_import_fields",
    summary="The fields a record type imports",
    description="Each target field with its kind, synonyms matched in headers and choices.",
)
def list_import_fields(request: HttpRequest, record_type: str) -> list[dict[str, Any]]:
    try:
        columns = selectors.import_fields(record_type)
    except KeyError as exc:
        raise NotFound(f"No import target {record_type!r}.") from exc
    return [column_body(column) for column in columns]


@router.get(
    "/presets",
    response={200: list[PresetOut], **error_responses()},
    operation_id="list_import_presets",
    summary="Mapping presets for other CRMs' exports",
    description="HubSpot, Salesforce and Pipedrive column names mapped to fields, per type.",
)
def list_import_presets(
    request: HttpRequest, record_type: str | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "key": preset.key,
            "label": preset.label,
            "record_type": preset.record_type,
            "mapping": preset.mapping,
        }
        for preset in selectors.preset_list(record_type)
    ]


@router.get(
    "/mappings",
    response={200: list[MappingOut], **error_responses()},
    operation_id="list_import_mappings",
    summary="Saved mappings",
)
def list_import_mappings(request: HttpRequest, record_type: str | None = None) -> list[Any]:
    return list(selectors.mapping_list(actor=request.auth, record_type=record_type))


@router.post(
    "/mappings",
    response={201: MappingOut, **error_responses(403, 422)},
    operation_id="create_import_mapping",
    summary="Save a mapping",
)
def create_import_mapping(request: HttpRequest, payload: MappingIn) -> Status:
    mapping = services.mapping_save(actor=request.auth, **payload.model_dump())
    return Status(201, mapping)


@router.delete(
    "/mappings/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_import_mapping",
    summary="Delete a saved mapping",
)
def delete_import_mapping(request: HttpRequest, id: int = RecordId) -> Status:
    mapping = ui_support.saved_mapping_get(actor=request.auth, pk=id)
    services.mapping_delete(actor=request.auth, mapping=mapping)
    return Status(204, None)


@router.get(
    "/{id}",
    response={200: ImportCreatedOut, **error_responses(404, 422)},
    operation_id="get_import",
    summary="Get one import",
    description="Status, progress, counts and the first problems; headers and fields as on upload.",
)
def get_import(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    job = selectors.import_get(actor=request.auth, pk=id)
    return created_body(request.auth, job)


@router.patch(
    "/{id}",
    response={200: ImportOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_import",
    summary="Change an import's mapping or options",
    description="Only before it starts (409 after). 422 names an unknown target field or option.",
)
def update_import(request: HttpRequest, payload: ImportPatchIn, id: int = RecordId) -> dict:
    job = selectors.import_get(actor=request.auth, pk=id)
    ui_support.check_mapping_fields(job.record_type, payload.mapping)
    job = services.import_configure(
        actor=request.auth, job=job, **payload.model_dump(exclude_unset=True)
    )
    return job_body(job)


@router.get(
    "/{id}/preview",
    response={200: PreviewOut, **error_responses(404, 422)},
    operation_id="preview_import",
    summary="Preview the first rows as they will be stored",
    description="Each row with its file row number, the cleaned values and its problems.",
)
def preview_import(
    request: HttpRequest, id: int = RecordId, rows: int = Query(10, ge=1, le=100)
) -> dict[str, Any]:
    job = selectors.import_get(actor=request.auth, pk=id)
    preview = selectors.import_preview(actor=request.auth, job=job, rows=rows)
    return {
        "rows": [
            {
                "row": row.row,
                "values": row.values,
                "problems": [problem_body(problem) for problem in row.problems],
            }
            for row in preview.rows
        ]
    }


@router.post(
    "/{id}/start",
    response={200: ImportOut, **error_responses(403, 404, 409, 422)},
    operation_id="start_import",
    summary="Start an import",
    description="Queues the background job; follow its progress with `GET /{id}`.",
)
def start_import(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    job = selectors.import_get(actor=request.auth, pk=id)
    return job_body(services.import_start(actor=request.auth, job=job))


@router.post(
    "/{id}/cancel",
    response={200: ImportOut, **error_responses(403, 404, 409, 422)},
    operation_id="cancel_import",
    summary="Cancel an import",
    description="A queued import stops at once; a running one after its current chunk.",
)
def cancel_import(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    job = selectors.import_get(actor=request.auth, pk=id)
    return job_body(services.import_cancel(actor=request.auth, job=job))


@router.get(
    "/{id}/rejected.csv",
    response={**error_responses(404, 422)},
    operation_id="download_import_rejected_rows",
    summary="Download the rejected rows",
    description="The rejected rows as in the file, with an `error` column; 404 if there are none.",
    openapi_extra={
        "responses": {
            "200": {
                "description": "CSV of the rejected rows with an error column.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def download_rejected(request: HttpRequest, id: int = RecordId) -> FileResponse:
    job = selectors.import_get(actor=request.auth, pk=id)
    return rejected_response(selectors.rejected_rows_path(actor=request.auth, job=job), job)


def rejected_response(path: Any, job: ImportJob) -> FileResponse:
    if path is None or not path.exists():
        raise NotFound("This import has no rejected rows.")
    stem = job.file_name.rsplit(".", 1)[0] or "import"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{stem}-rejected.csv",
        content_type="text/csv; charset=utf-8",
    )
