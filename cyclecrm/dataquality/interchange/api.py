"""REST routes of this area at /api/v1/exports: vCard import, the admins' full export and the
calendar feed address. List exports live on each list's own `/export` route."""

from typing import Any, Literal

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Router, Status
from ninja.files import UploadedFile

from cyclecrm.api.schemas import RecordId, error_responses
from cyclecrm.core.errors import NotFound
from cyclecrm.dataquality.interchange import selectors, services
from cyclecrm.dataquality.interchange.schemas import (
    CalendarFeedOut,
    FullExportOut,
    VCardImportOut,
)
from cyclecrm.dataquality.models import ExportStatus, FullExport

router = Router(tags=["interchange"])


@router.post(
    "/vcard",
    response={200: VCardImportOut, **error_responses(400, 403, 413, 422)},
    operation_id="import_vcard",
    summary="Import contacts from a .vcf",
    description=(
        "Upload a vCard 3.0/4.0 file (`file`, one or many cards). Each person card becomes a "
        "contact through the contact rules; a UID that is a contact's `external_id` updates it. "
        "`mode=all-or-nothing` (default) stores nothing when a card has a problem; "
        "`mode=valid-cards` stores the valid ones. Problems name the card number (from 1)."
    ),
)
def import_vcard(
    request: HttpRequest,
    file: File[UploadedFile],
    mode: Literal["all-or-nothing", "valid-cards"] = "all-or-nothing",
) -> Any:
    text = services.vcf_read(size=file.size, stream=file.file)
    return services.vcard_import(
        actor=request.auth, text=text, all_or_nothing=mode == "all-or-nothing"
    )


def _out(request: HttpRequest, export: FullExport) -> dict[str, Any]:
    download = None
    if export.status == ExportStatus.DONE:
        download = request.build_absolute_uri(reverse("api:download_full_export", args=[export.pk]))
    fields = (name for name in FullExportOut.model_fields if name != "download_url")
    return {**{name: getattr(export, name) for name in fields}, "download_url": download}


@router.post(
    "/full",
    response={202: FullExportOut, **error_responses(403)},
    operation_id="start_full_export",
    summary="Start a full export (admins)",
    description=(
        "Queues a background job writing a zip of every record type (CSV and JSON Lines per "
        "type, manifest.json). Returns the export; poll it until `status` is `done`. A running "
        "export of yours is returned instead of starting a second."
    ),
)
def start_full_export(request: HttpRequest) -> Status:
    export = services.full_export_start(actor=request.auth)
    return Status(202, _out(request, export))


@router.get(
    "/full",
    response={200: list[FullExportOut], **error_responses(403)},
    operation_id="list_full_exports",
    summary="Recent full exports (admins)",
)
def list_full_exports(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(request, e) for e in selectors.full_export_list(actor=request.auth)]


@router.get(
    "/full/{id}",
    response={200: FullExportOut, **error_responses(403, 404)},
    operation_id="get_full_export",
    summary="One full export and its progress (admins)",
)
def get_full_export(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _out(request, selectors.full_export_get(actor=request.auth, pk=id))


@router.get(
    "/full/{id}/download",
    response=error_responses(403, 404),
    operation_id="download_full_export",
    summary="Download a finished full export (admins)",
    openapi_extra={"responses": {"200": {"content": {"application/zip": {}}}}},
)
def download_full_export(request: HttpRequest, id: int = RecordId) -> FileResponse:
    export = selectors.full_export_get(actor=request.auth, pk=id)
    path = settings.DATA_DIR / export.file_path if export.file_path else None
    if export.status != ExportStatus.DONE or path is None or not path.exists():
        raise NotFound("This export has no file yet.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@router.get(
    "/calendar-feed",
    response={200: CalendarFeedOut, **error_responses()},
    operation_id="get_calendar_feed",
    summary="Your calendar subscription address",
    description="The private .ics feed URL of your tasks with a due date and your meetings.",
)
def get_calendar_feed(request: HttpRequest) -> dict[str, str]:
    key = services.calendar_feed_key(actor=request.auth)
    return {"url": request.build_absolute_uri(reverse("calendar_feed", args=[key]))}


@router.post(
    "/calendar-feed/rotate",
    response={200: CalendarFeedOut, **error_responses()},
    operation_id="rotate_calendar_feed",
    summary="Replace your calendar feed address",
    description="Makes a new feed URL; the old one stops working at once.",
)
def rotate_calendar_feed(request: HttpRequest) -> dict[str, str]:
    key = services.calendar_feed_key(actor=request.auth, rotate=True)
    return {"url": request.build_absolute_uri(reverse("calendar_feed", args=[key]))}
