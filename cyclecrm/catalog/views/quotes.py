"""Quote pages: the list and detail (generic record views), the quote builder (create and edit
a draft with its lines), the status actions and the PDF."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.filters import QuoteFilters
from cyclecrm.catalog.forms import LABELS, QuoteForm, is_blank, posted_lines
from cyclecrm.catalog.models import Quote, QuoteStatus
from cyclecrm.catalog.pdf import pdf_filename, quote_pdf
from cyclecrm.catalog.views.common import link_html, protect_conflict
from cyclecrm.catalog.views.editor import (
    blank_row,
    build_editor,
    opportunity_context,
    render_editor,
    rows_of,
)
from cyclecrm.catalog.views.products import RECORD_FILTERS
from cyclecrm.contacts.models import Account
from cyclecrm.core.errors import CrmError, Forbidden, VersionConflict
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.pipeline.models import Opportunity
from cyclecrm.web.errors import crm_view
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui
from cyclecrm.web.records.views_list import require_level

VALIDITY_DAYS = 30
OPPORTUNITY_CHOICES = 100
BUILDER_TEMPLATE = "catalog/quote_builder.html"

QUOTE_COLUMNS = (
    Column("number", "Number", ordering="number", default=True, link=True),
    Column("opportunity", "Opportunity", default=True),
    Column("status", "Status", default=True),
    Column("total_label", "Total", ordering="total", default=True, field="total"),
    Column("valid_until", "Valid until", ordering="valid_until", default=True),
    Column("owner", "Owner", default=True),
    Column("team", "Team"),
    Column("tags", "Tags"),
    Column("sent_at", "Sent"),
    Column("decided_at", "Decided"),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

QUOTE_FILTERS = (
    FilterField("status", "Status", "select", choices=tuple(QuoteStatus.choices)),
    FilterField("account", "Account", "record", lookup="account_lookup", model=Account,
                field="opportunity"),
    FilterField("currency", "Currency", placeholder="e.g. EUR"),
    FilterField("valid_until_after", "Valid from", "date", field="valid_until"),
    FilterField("valid_until_before", "Valid before", "date", field="valid_until"),
    *RECORD_FILTERS,
)  # fmt: skip

QUOTE_GROUPS = (
    ("Quote", ("number", "opportunity", "status", "currency", "valid_until", "notes")),
    ("Dates", ("sent_at", "decided_at")),
)

QUOTE_EXPORT = (
    "id", "number", "opportunity_id", "status", "currency", "subtotal", "tax_total", "total",
    "valid_until", "sent_at", "decided_at", "owner_id", "team_id", "tags", "external_id",
    "created_at", "updated_at", "version",
)  # fmt: skip


def _update(*, instance: Quote, **kwargs: Any) -> Quote:
    return services.quote_update(quote=instance, **kwargs)


@protect_conflict
def _delete(*, actor: User, instance: Quote) -> None:
    services.quote_delete(actor=actor, quote=instance)


def _related(actor: User, quote: Quote) -> dict[str, Any]:
    can_edit = access.can(actor, Action.EDIT, quote)
    order = getattr(quote, "order", None)
    return {
        "lines": list(quote.lines.all()),
        "is_draft": quote.status == QuoteStatus.DRAFT,
        "can_change": can_edit and quote.status == QuoteStatus.DRAFT,
        "can_decide": can_edit and quote.status == QuoteStatus.SENT,
        "order": order if order is not None and access.can(actor, Action.READ, order) else None,
        "opportunity_link": link_html(actor, quote.opportunity),
        "account_link": link_html(actor, quote.opportunity.account),
    }


QUOTE_UI = register_ui(
    RecordUI(
        name="quote",
        model=Quote,
        label="Quote",
        label_plural="Quotes",
        icon="file-earmark-text",
        filters_class=QuoteFilters,
        filter_fields=QUOTE_FILTERS,
        orderings=selectors.QUOTE_ORDERINGS,
        default_ordering="-created_at",
        columns=QUOTE_COLUMNS,
        field_groups=QUOTE_GROUPS,
        inline_fields=frozenset(),
        export_columns=QUOTE_EXPORT,
        form_class=QuoteForm,
        list_selector=selectors.quote_list,
        get_selector=selectors.quote_get,
        create=services.quote_create,
        update=_update,
        delete=_delete,
        labels=LABELS,
        subtitle_fields=("status",),
        search_fields=("status",),
        related=_related,
        detail_template="catalog/quote_detail.html",
        empty_hint="Quotes are offers for an opportunity. Open an opportunity and choose "
        "“New quote”.",
    )
)


# -- builder ---------------------------------------------------------------------------------


def _header(data: Any) -> dict[str, str]:
    return {
        name: data.get(name, "").strip()
        for name in ("opportunity", "currency", "valid_until", "notes", "segment")
    }


def _service_data(header: dict[str, str], rows: list[dict[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "currency": header["currency"],
        "valid_until": header["valid_until"] or None,
        "notes": header["notes"],
        "segment": header["segment"] or None,
        "lines": [row for row in rows if not is_blank(row)],
    }
    return data


def _opportunity_choices(actor: User) -> list[Opportunity]:
    visible = access.restrict(Opportunity.objects.all(), actor)
    return list(
        visible.filter(closed_at__isnull=True).order_by("-updated_at", "-id")[:OPPORTUNITY_CHOICES]
    )


def _render_builder(
    request: HttpRequest,
    *,
    quote: Quote | None,
    header: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    errors = errors or {}
    opportunity = (
        quote.opportunity
        if quote
        else selectors.quote_opportunity(actor=actor, pk=header.get("opportunity"))
    )
    editor = build_editor(
        actor=actor,
        rows=rows,
        context=opportunity_context(actor, _with(header, opportunity)),
        url=reverse("quote_lines"),
        errors={k: v for k, v in errors.items() if k.startswith("lines.")},
    )
    context = {
        "quote": quote,
        "header": header,
        "opportunity": opportunity,
        "opportunity_choices": [] if opportunity else _opportunity_choices(actor),
        "errors": {k: v for k, v in errors.items() if not k.startswith("lines.")},
        "message": message,
        "editor": editor,
        "version": quote.version if quote else "",
    }
    return render(request, BUILDER_TEMPLATE, context, status=status)


def _with(header: dict[str, str], opportunity: Opportunity | None) -> dict[str, str]:
    return {**header, "opportunity": str(opportunity.pk) if opportunity else ""}


@crm_view
def quote_create(request: HttpRequest) -> HttpResponse:
    """The quote builder for a new draft: `?opportunity=<id>` names the opportunity."""
    require_level(request, QUOTE_UI, Action.CREATE)
    actor = request.user
    if request.method != "POST":
        opportunity = selectors.quote_opportunity(actor=actor, pk=request.GET.get("opportunity"))
        valid_until = timezone.localdate() + dt.timedelta(days=VALIDITY_DAYS)
        header = {
            "opportunity": str(opportunity.pk) if opportunity else "",
            "currency": opportunity.currency if opportunity else "",
            "valid_until": valid_until.isoformat(),
            "notes": "",
            "segment": "",
        }
        return _render_builder(request, quote=None, header=header, rows=[blank_row()])
    header = _header(request.POST)
    rows = posted_lines(request.POST)
    data = {**_service_data(header, rows), "opportunity": header["opportunity"] or None}
    try:
        quote = services.quote_create(actor=actor, data=data)
    except CrmError as exc:
        if isinstance(exc, Forbidden) and not exc.fields:
            raise
        return _render_builder(
            request, quote=None, header=header, rows=rows, errors=exc.fields,
            message=exc.message, status=exc.status,
        )  # fmt: skip
    messages.success(request, f"Quote {quote.number} created as a draft.")
    return redirect("quote_detail", quote.pk)


@crm_view
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The quote builder for an existing draft: its lines are replaced on save."""
    actor = request.user
    quote = selectors.quote_get(actor=actor, pk=pk)
    if not access.can(actor, Action.EDIT, quote):
        raise Forbidden("You may not change this quote.")
    if quote.status != QuoteStatus.DRAFT:
        messages.warning(request, f"Quote {quote.number} is {quote.status}: only drafts change.")
        return redirect("quote_detail", quote.pk)
    if request.method != "POST":
        header = {
            "opportunity": str(quote.opportunity_id),
            "currency": quote.currency,
            "valid_until": quote.valid_until.isoformat() if quote.valid_until else "",
            "notes": quote.notes,
            "segment": "",
        }
        rows = rows_of(quote.lines.all(), quote.currency) or [blank_row()]
        return _render_builder(request, quote=quote, header=header, rows=rows)
    header = {**_header(request.POST), "opportunity": str(quote.opportunity_id)}
    rows = posted_lines(request.POST)
    version = request.POST.get("version", "")
    try:
        services.quote_update(
            actor=actor,
            quote=quote,
            data=_service_data(header, rows),
            version=int(version) if version.isdigit() else None,
        )
    except VersionConflict:
        message = "Someone else changed this quote meanwhile; reload it to see their changes."
        return _render_builder(
            request, quote=quote, header=header, rows=rows, message=message, status=409
        )
    except CrmError as exc:
        if isinstance(exc, Forbidden) and not exc.fields:
            raise
        return _render_builder(
            request, quote=quote, header=header, rows=rows, errors=exc.fields,
            message=exc.message, status=exc.status,
        )  # fmt: skip
    messages.success(request, f"Quote {quote.number} saved.")
    return redirect("quote_detail", quote.pk)


@require_POST
@crm_view
def quote_lines(request: HttpRequest) -> HttpResponse:
    """The builder's line editor, recomputed from the posted form (htmx)."""
    context = opportunity_context(request.user, request.POST)
    return render_editor(
        request,
        build_editor(
            actor=request.user,
            rows=posted_lines(request.POST),
            context=context,
            url=reverse("quote_lines"),
            action=request.POST.get("action", ""),
        ),
    )


# -- status actions and PDF ------------------------------------------------------------------

_ACTIONS = {
    "send": (services.quote_send, "Quote {number} marked as sent."),
    "accept": (services.quote_accept, "Quote {number} accepted: order created."),
    "reject": (services.quote_reject, "Quote {number} rejected."),
}


@require_POST
@crm_view
def quote_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    quote = selectors.quote_get(actor=request.user, pk=pk)
    service, note = _ACTIONS[action]
    try:
        result = service(actor=request.user, quote=quote)
    except CrmError as exc:
        if isinstance(exc, Forbidden):
            raise
        messages.error(request, exc.message)
        return redirect("quote_detail", quote.pk)
    messages.success(request, note.format(number=quote.number))
    if action == "accept":
        return redirect("order_detail", result.pk)
    return redirect("quote_detail", quote.pk)


@crm_view
def quote_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(actor=request.user, pk=pk)
    response = HttpResponse(quote_pdf(quote, actor=request.user), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf_filename(quote)}"'
    return response
