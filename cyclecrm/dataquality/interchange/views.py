"""Pages and downloads of this area: vCard export and import of contacts, task calendars, the
calendar feed, and the admins' full export under Settings. Thin: rules live in services."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cyclecrm.activities import selectors as task_selectors
from cyclecrm.activities.views import TASK_UI
from cyclecrm.contacts import selectors as contact_selectors
from cyclecrm.contacts.views import CONTACT_UI
from cyclecrm.core.errors import CrmError, ValidationFailed
from cyclecrm.core.export import require_export
from cyclecrm.dataquality.interchange import selectors, services
from cyclecrm.dataquality.interchange.ical import TASK_UID, calendar_ics
from cyclecrm.dataquality.interchange.responses import (
    ics_response,
    parse_version,
    vcard_list_response,
    vcard_response,
)
from cyclecrm.dataquality.models import ExportStatus
from cyclecrm.identity.models import Action
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records.config import RecordUI
from cyclecrm.web.records.lists import list_filters

REFRESH_SECONDS = 2


def _bad_request(exc: ValidationFailed) -> HttpResponse:
    reasons = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.fields.items())
    return HttpResponse(
        f"The request is not valid: {reasons or exc.message}",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _filtered(request: HttpRequest, ui: RecordUI) -> object:
    """The list page's rows for the query string, as the user may export them."""
    filters, custom = list_filters(request, ui)
    queryset = ui.list_selector(
        actor=request.user, filters=filters, custom=custom, action=Action.EXPORT
    )
    ordering = (
        ui.orderings.get(request.GET.get("ordering", "")) or ui.orderings[ui.default_ordering]
    )
    return queryset.order_by(*ordering.order_by())


@require_GET
@crm_view
def contact_vcard_list(request: HttpRequest) -> HttpResponse:
    require_export(request.user, CONTACT_UI.name)
    try:
        version = parse_version(request.GET.get("version"))
        queryset = _filtered(request, CONTACT_UI)
    except ValidationFailed as exc:
        return _bad_request(exc)
    return vcard_list_response(request.user, queryset, version)


@require_GET
@crm_view
def contact_vcard(request: HttpRequest, pk: int) -> HttpResponse:
    contact = contact_selectors.contact_get(actor=request.user, pk=pk)
    try:
        version = parse_version(request.GET.get("version"))
    except ValidationFailed as exc:
        return _bad_request(exc)
    return vcard_response(request.user, contact, version)


VCARD_IMPORT_PAGE = "dataquality/interchange/vcard_import.html"


@crm_view
def contact_vcard_import(request: HttpRequest) -> HttpResponse:
    """Upload a .vcf; the result page lists each card's problems by card number."""
    context: dict = {"max_mb": services.MAX_VCF_BYTES // (1024 * 1024)}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "Choose a .vcf file."
        else:
            try:
                text = services.vcf_read(size=upload.size, stream=upload)
            except CrmError as exc:
                context["error"] = exc.message
                return render(request, VCARD_IMPORT_PAGE, context, status=exc.status)
            context["result"] = services.vcard_import(
                actor=request.user,
                text=text,
                all_or_nothing=request.POST.get("mode") != "valid",
            )
    status = 400 if context.get("error") else 200
    return render(request, VCARD_IMPORT_PAGE, context, status=status)


@require_GET
@crm_view
def task_ics(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_selectors.task_get(actor=request.user, pk=pk)
    if task.due_at is None:
        raise Http404("Only a task with a due date has a calendar entry.")
    body = calendar_ics(tasks=[task])
    return ics_response(body, f"{TASK_UID.format(pk=task.pk)}.ics")


@require_GET
@crm_view
def task_calendar(request: HttpRequest) -> HttpResponse:
    """The task list's current filter as one calendar (tasks without a due date left out)."""
    require_export(request.user, TASK_UI.name)
    try:
        queryset = _filtered(request, TASK_UI)
    except ValidationFailed as exc:
        return _bad_request(exc)
    body = calendar_ics(tasks=queryset.filter(due_at__isnull=False).iterator(chunk_size=2000))
    return ics_response(body, "tasks.ics")


@require_GET
def calendar_feed(request: HttpRequest, key: str) -> HttpResponse:
    """The subscription feed: no login (calendar apps cannot log in); the key is the secret."""
    user = selectors.feed_user(key)
    if user is None:
        raise Http404("No such calendar feed.")
    body = calendar_ics(
        tasks=selectors.feed_tasks(user=user),
        meetings=selectors.feed_meetings(user=user),
        name=f"Cycle CRM: {user}",
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@crm_view
def calendar_feed_settings(request: HttpRequest) -> HttpResponse:
    """The user's feed URL; POST makes a new one and revokes the old."""
    rotate = request.method == "POST"
    key = services.calendar_feed_key(actor=request.user, rotate=rotate)
    if rotate:
        messages.success(request, "A new calendar address was made; the old one stopped working.")
        return redirect("calendar_feed_settings")
    url = request.build_absolute_uri(reverse("calendar_feed", args=[key]))
    return render(request, "dataquality/interchange/calendar_feed.html", {"feed_url": url})


@crm_view
def full_export_list(request: HttpRequest) -> HttpResponse:
    exports = list(selectors.full_export_list(actor=request.user))
    running = any(e.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for e in exports)
    context = {"exports": exports, "running": running, "refresh_seconds": REFRESH_SECONDS}
    template = "dataquality/interchange/full_export_list.html"
    if is_htmx(request):
        template = "dataquality/interchange/_full_export_table.html"
    return render(request, template, context)


@require_POST
@crm_view
def full_export_start(request: HttpRequest) -> HttpResponse:
    services.full_export_start(actor=request.user)
    messages.success(request, "The full export was started; this page shows its progress.")
    return redirect("full_export_list")


@require_GET
@crm_view
def full_export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = selectors.full_export_get(actor=request.user, pk=pk)
    if export.status != ExportStatus.DONE or not export.file_path:
        raise Http404("This export has no file yet.")
    path = settings.DATA_DIR / export.file_path
    if not path.exists():
        raise Http404("The file of this export was removed.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
