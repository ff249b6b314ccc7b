"""Lead pages. List, create, export, history and sharing are the generic record views (described
by `LEAD_UI`); the detail page adds the status actions, the score explanation and conversion,
and edits of a converted lead are refused before they reach the generic views."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import Conflict, Forbidden, ValidationFailed, VersionConflict
from cyclecrm.core.money import round_money
from cyclecrm.core.pagination import paginate
from cyclecrm.identity import access
from cyclecrm.identity.forms import add_service_errors
from cyclecrm.identity.models import Action, User
from cyclecrm.leads import selectors, services
from cyclecrm.leads.filters import LeadFilters
from cyclecrm.leads.forms import LEAD_LABELS, ConvertForm, LeadForm
from cyclecrm.leads.models import Lead, LeadGrade, LeadSource, LeadStatus, ScoringCategory
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records import views_detail, views_edit
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui
from cyclecrm.web.records.views_detail import DetailFields, FieldView, share_context

STATUS_PAGE = 20
CONVERTED_READ_ONLY = (
    "This lead was converted and is read-only; change its account, contact or opportunity instead."
)

LEAD_COLUMNS = (
    Column("name", "Name", ordering="name", default=True, field="last_name", link=True),
    Column("company", "Company", ordering="company", default=True),
    Column("email", "E-mail", ordering="email", default=True),
    Column("status", "Status", default=True),
    Column("score", "Score", ordering="score", default=True),
    Column("grade", "Grade", default=True),
    Column("source", "Source", default=True),
    Column("title", "Title"),
    Column("phone", "Phone"),
    Column("industry", "Industry"),
    Column("employees", "Employees"),
    Column("country", "Country", default=True),
    Column("region", "Region"),
    Column("campaign_name", "Campaign"),
    Column("owner", "Owner", default=True),
    Column("team", "Team"),
    Column("tags", "Tags"),
    Column("mql_at", "MQL since"),
    Column("converted_at", "Converted"),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

LEAD_FILTERS = (
    FilterField("status", "Status", "select", choices=tuple(LeadStatus.choices)),
    FilterField("source", "Source", "select", choices=tuple(LeadSource.choices)),
    FilterField("grade", "Grade", placeholder="e.g. A"),
    FilterField("score_min", "Score from", field="score", placeholder="e.g. 50"),
    FilterField("score_max", "Score up to", field="score"),
    FilterField("country", "Country", placeholder="e.g. DE"),
    FilterField("email", "E-mail (exact)"),
    FilterField("converted", "Converted", "bool", field="converted_at"),
    FilterField("owner_id", "Owner", "owner"),
    FilterField("team_id", "Team", "team"),
    FilterField("tag", "Tag", "tag", field="tags"),
    FilterField("created_after", "Created from", "date", field="created_at"),
    FilterField("created_before", "Created before", "date", field="created_at"),
    FilterField("updated_after", "Updated since", "date", field="updated_at"),
)

LEAD_GROUPS = (
    ("Person", ("first_name", "last_name", "title", "email", "phone", "description")),
    ("Company", ("company", "website", "industry", "employees", "country", "region")),
    ("Budget, authority, need, timeline", ("budget", "budget_currency", "authority",
                                           "need_level", "need", "timeline_horizon",
                                           "timeline_date")),
    ("Source", ("source", "campaign_name", "capture_form", "utm_source", "utm_medium",
                "utm_campaign", "utm_term", "utm_content")),
    ("Consent", ("consent_email", "consent_email_at", "consent_text")),
)  # fmt: skip

LEAD_INLINE = frozenset({
    "first_name", "last_name", "title", "email", "phone", "company", "website", "industry",
    "employees", "country", "region", "budget_currency", "authority", "need_level",
    "timeline_horizon", "timeline_date", "source", "campaign_name",
})  # fmt: skip

LEAD_EXPORT = (
    "id", "first_name", "last_name", "email", "phone", "company", "title", "industry",
    "employees", "country", "region", "website", "status", "unqualified_reason",
    "status_changed_at", "source", "campaign_name", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "budget", "budget_currency", "authority", "need_level",
    "timeline_date", "timeline_horizon", "consent_email", "consent_email_at", "score", "grade",
    "mql_at", "converted_at", "converted_account_id", "converted_contact_id",
    "converted_opportunity_id", "owner_id", "team_id", "tags", "external_id", "created_at",
    "updated_at", "version",
)  # fmt: skip


def _lead_update(*, instance: Lead, **kwargs: Any) -> Lead:
    return services.lead_update(lead=instance, **kwargs)


def _lead_delete(*, actor: User, instance: Lead) -> None:
    services.lead_delete(actor=actor, lead=instance)


LEAD_UI = register_ui(
    RecordUI(
        name="lead",
        model=Lead,
        label="Lead",
        label_plural="Leads",
        icon="funnel",
        filters_class=LeadFilters,
        filter_fields=LEAD_FILTERS,
        orderings=selectors.LEAD_ORDERINGS,
        default_ordering="-created_at",
        columns=LEAD_COLUMNS,
        field_groups=LEAD_GROUPS,
        inline_fields=LEAD_INLINE,
        export_columns=LEAD_EXPORT,
        form_class=LeadForm,
        list_selector=selectors.lead_list,
        get_selector=selectors.lead_get,
        create=services.lead_create,
        update=_lead_update,
        delete=_lead_delete,
        labels=LEAD_LABELS,
        subtitle_fields=("title", "company"),
        search_fields=("company", "email"),
        detail_template="leads/lead_detail.html",
        empty_hint="Leads are people who showed interest. Add one, import a list, or publish a "
        "capture form.",
    )
)


# -- detail -----------------------------------------------------------------------------------


def _money(lead: Lead) -> str:
    currency = lead.budget_currency or settings.CYCLECRM["DEFAULT_CURRENCY"]
    return f"{round_money(lead.budget, currency):,} {currency}"


def _groups(fields: DetailFields, lead: Lead) -> list[tuple[str, list[FieldView]]]:
    """The generic field groups, with the budget shown as money (rounded, with its currency)."""
    groups = fields.groups()
    if lead.budget is not None:
        for _, views in groups:
            for view in views:
                if view.name == "budget":
                    view.html = format_html("{}", _money(lead))
    return groups


def _score_context(lead: Lead, hidden: frozenset[str]) -> dict[str, Any]:
    if "score" in hidden:
        return {"show_score": False}
    categories = dict(ScoringCategory.choices)
    lines = sorted(
        (
            {**line, "category_label": categories.get(line.get("category"), "")}
            for line in lead.score_breakdown or []
        ),
        key=lambda line: (not line.get("matched"), -abs(line.get("points", 0))),
    )
    bands = list(LeadGrade.objects.order_by("-min_score", "id"))
    return {
        "show_score": True,
        "score_lines": lines,
        "grade_bands": bands,
        "is_mql": lead.mql_at is not None,
    }


@crm_view
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    lead = selectors.lead_get(actor=actor, pk=pk)
    fields = DetailFields(actor, LEAD_UI, lead)
    if lead.is_converted:
        fields.can_edit = False  # nothing inline-editable, no edit button, no sharing changes
    context: dict[str, Any] = {
        "ui": LEAD_UI,
        "object": lead,
        "groups": _groups(fields, lead),
        "tags": None if "tags" in fields.hidden else list(lead.tags.all()),
        "can_edit": fields.can_edit,
        "can_delete": not lead.is_converted and access.can(actor, Action.DELETE, lead),
        "subtitle": LEAD_UI.describe(lead, LEAD_UI.subtitle_fields, fields.hidden),
        "statuses": dict(LeadStatus.choices),
        "transitions": [
            (status, LeadStatus(status).label) for status in services.allowed_statuses(lead)
        ]
        if fields.can_edit and "status" not in fields.readonly
        else [],
        "can_convert": fields.can_edit and lead.status == LeadStatus.QUALIFIED,
        **_score_context(lead, fields.hidden),
    }
    if lead.is_converted:
        context["converted"] = selectors.lead_converted_records(actor=actor, lead=lead)
    if fields.can_edit:
        context.update(share_context(actor, lead))
    return render(request, LEAD_UI.detail_template, context)


@crm_view
def lead_status_changes(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor=request.user, pk=pk)
    cursor = request.GET.get("cursor") or None
    try:
        page = paginate(
            selectors.lead_status_changes(actor=request.user, lead=lead),
            orderings=selectors.STATUS_CHANGE_ORDERINGS,
            ordering="-at",
            default_ordering="-at",
            limit=STATUS_PAGE,
            cursor=cursor,
        )
    except ValidationFailed as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "leads/_status_changes.html",
        {
            "object": lead,
            "items": page.items,
            "next_cursor": page.next_cursor,
            "more": cursor is not None,
            "statuses": dict(LeadStatus.choices),
        },
    )


# -- edits: refused on converted leads, else the generic views ----------------------------------


def _read_only_response(request: HttpRequest, lead: Lead) -> HttpResponse:
    if is_htmx(request):
        return HttpResponse(CONVERTED_READ_ONLY, status=409, content_type="text/plain")
    messages.info(request, CONVERTED_READ_ONLY)
    return redirect("lead_detail", lead.pk)


@crm_view
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor=request.user, pk=pk)
    if lead.is_converted:
        return _read_only_response(request, lead)
    return views_edit.record_edit(request, ui=LEAD_UI, pk=pk)


@crm_view
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(actor=request.user, pk=pk)
    if lead.is_converted:
        return _read_only_response(request, lead)
    return views_edit.record_delete(request, ui=LEAD_UI, pk=pk)


@crm_view
def lead_field(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    lead = selectors.lead_get(actor=request.user, pk=pk)
    if lead.is_converted and (request.method == "POST" or request.GET.get("edit")):
        return _read_only_response(request, lead)
    return views_detail.record_field(request, ui=LEAD_UI, pk=pk, name=name)


# -- status -----------------------------------------------------------------------------------


def _reasons(exc: ValidationFailed | Conflict) -> str:
    return " ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message


@require_POST
@crm_view
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the lead to `status` (with `reason` for unqualified); back to the lead page."""
    lead = selectors.lead_get(actor=request.user, pk=pk)
    status = request.POST.get("status", "")
    version = request.POST.get("version", "")
    try:
        services.lead_change_status(
            actor=request.user,
            lead=lead,
            status=status,
            reason=request.POST.get("reason", ""),
            version=int(version) if version.isdigit() else None,
        )
    except VersionConflict:
        messages.error(request, "Someone else changed this lead meanwhile; nothing was saved.")
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationFailed as exc:
        messages.error(request, f"The status was not changed: {_reasons(exc)}")
    else:
        messages.success(request, f"Status changed to {LeadStatus(status).label.lower()}.")
    return redirect("lead_detail", lead.pk)


# -- conversion -------------------------------------------------------------------------------


@crm_view
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the conversion dialog (a modal fragment for htmx, else a page); POST: convert."""
    actor = request.user
    lead = selectors.lead_get(actor=actor, pk=pk)
    if not access.can(actor, Action.EDIT, lead):
        raise Forbidden("You may not convert this lead.")
    accounts = selectors.account_candidates(actor=actor, lead=lead)
    contacts = selectors.contact_candidates(actor=actor, lead=lead)
    form = ConvertForm(request.POST or None, lead=lead, accounts=accounts, contacts=contacts)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                result = services.lead_convert(actor=actor, lead=lead, **form.service_arguments())
            except (ValidationFailed, Conflict) as exc:
                aliases = {"account_id": "account", "contact_id": "contact"}
                add_service_errors(form, exc, aliases=aliases)
                status = exc.status
            else:
                return _converted(request, lead, result)
    context = {
        "object": lead,
        "form": form,
        "accounts": accounts,
        "contacts": contacts,
        "blocked": _blocked_reason(lead),
    }
    template = "leads/_convert_dialog.html" if is_htmx(request) else "leads/convert.html"
    return render(request, template, context, status=status)


def _blocked_reason(lead: Lead) -> str:
    if lead.is_converted:
        return "This lead has already been converted."
    if lead.status != LeadStatus.QUALIFIED:
        return f"Only qualified leads can be converted; this one is {lead.get_status_display()}."
    return ""


def _converted(request: HttpRequest, lead: Lead, result: services.Conversion) -> HttpResponse:
    made = f"account “{result.account}”, contact “{result.contact}”"
    if result.opportunity:
        made += f" and opportunity “{result.opportunity}”"
    messages.success(request, f"Lead converted: {made}.")
    if is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = LEAD_UI.url("detail", lead.pk)
        return response
    return redirect("lead_detail", lead.pk)
