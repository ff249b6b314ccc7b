"""REST endpoints for quotes: drafts with lines, status actions, the PDF."""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from ninja import Query, Router, Status

from cyclecrm.api.lists import CSV_RESPONSE_DOC, PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.api.common import (
    EXPORT_DOC,
    LIST_DOC,
    export_response,
    require_export,
    scoped_list,
    split,
)
from cyclecrm.catalog.filters import QUOTE_SEARCH_FIELDS, QuoteFilters
from cyclecrm.catalog.models import Quote
from cyclecrm.catalog.pdf import pdf_filename, quote_pdf
from cyclecrm.catalog.schemas import (
    QUOTE_EXPORT_COLUMNS,
    QuoteAcceptedOut,
    QuoteCreateIn,
    QuoteOut,
    QuotePatchIn,
)
from cyclecrm.core.export import ExportFormat
from cyclecrm.identity.models import Action

quotes_router = Router(tags=["quotes"])

QuotePage = cursor_page(QuoteOut)
QuoteOrdering = Literal[tuple(selectors.QUOTE_ORDERINGS)]
FILTER_FIELDS = {
    "q": QUOTE_SEARCH_FIELDS,
    "account": ("opportunity",),
    "valid_until_after": ("valid_until",),
    "valid_until_before": ("valid_until",),
}
DEFAULT_ORDERING = "-created_at"
PDF_RESPONSE_DOC = {
    "responses": {
        "200": {
            "description": "The quote as a PDF document.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _list(request: HttpRequest, filters: QuoteFilters, ordering: str | None, action: str) -> Any:
    return scoped_list(
        request,
        record_type=Quote.record_type,
        selector=selectors.quote_list,
        filters=filters,
        aliases=FILTER_FIELDS,
        orderings=selectors.QUOTE_ORDERINGS,
        ordering=ordering,
        action=action,
    )


def _out(request: HttpRequest, quote: Quote) -> dict[str, Any]:
    """The quote as stored now (lines and totals re-read after a write)."""
    return visible_record(
        request.auth, selectors.quote_get(actor=request.auth, pk=quote.pk), QuoteOut
    )


@quotes_router.get(
    "",
    response={200: QuotePage, **error_responses(403, 422)},
    operation_id="list_quotes",
    summary="List quotes",
    description=LIST_DOC.format(plural="quotes", search="the number and the opportunity name"),
)
def list_quotes(
    request: HttpRequest,
    filters: Query[QuoteFilters],
    page: Query[PageParams],
    ordering: QuoteOrdering | None = None,
) -> dict[str, Any]:
    return page_body(
        request.auth,
        _list(request, filters, ordering, Action.READ),
        QuoteOut,
        page=page,
        orderings=selectors.QUOTE_ORDERINGS,
        ordering=ordering,
        default_ordering=DEFAULT_ORDERING,
    )


@quotes_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_quotes",
    summary="Export quotes as CSV",
    description=EXPORT_DOC.format(plural="quotes"),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_quotes(
    request: HttpRequest,
    filters: Query[QuoteFilters],
    ordering: QuoteOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    require_export(request.auth, Quote.record_type)
    return export_response(
        request,
        _list(request, filters, ordering, Action.EXPORT),
        record_type=Quote.record_type,
        columns=QUOTE_EXPORT_COLUMNS,
        ordering=selectors.QUOTE_ORDERINGS[ordering or DEFAULT_ORDERING],
        basename="quotes",
        fmt=format,
    )


@quotes_router.get(
    "/{id}",
    response={200: QuoteOut, **error_responses(404, 422)},
    operation_id="get_quote",
    summary="Get one quote with its lines",
)
def get_quote(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.quote_get(actor=request.auth, pk=id), QuoteOut)


@quotes_router.post(
    "",
    response={201: QuoteOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_quote",
    summary="Create a draft quote",
    description=(
        "For an opportunity you may read (else 422 naming `opportunity`). Each line's "
        "`unit_price` defaults to the product's price for the customer (price books, then the "
        "list price) and `tax_percent` to the product's. Totals follow the documented rounding "
        "rule: each line's net and tax are rounded half-up to the currency's minor unit, the "
        "totals are their sums. Numbers are decimal strings; a float is refused (422). Bad line "
        "values are named with the line's index, e.g. `lines.2.discount_percent`."
    ),
)
def create_quote(request: HttpRequest, payload: QuoteCreateIn) -> Status:
    data, tags, custom = split(payload.model_dump(exclude_unset=True))
    quote = services.quote_create(actor=request.auth, data=data, tags=tags, custom=custom)
    return Status(201, _out(request, quote))


@quotes_router.patch(
    "/{id}",
    response={200: QuoteOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_quote",
    summary="Update a draft quote",
    description=(
        "Only drafts change (else 409 `quote_not_draft`). `lines` replaces every line and the "
        "totals are recomputed; changing the currency needs the lines too. Send the `version` "
        "you read (409 `version_conflict` if it moved on)."
    ),
)
def update_quote(request: HttpRequest, payload: QuotePatchIn, id: int = RecordId) -> dict:
    quote = selectors.quote_get(actor=request.auth, pk=id)
    data, tags, custom = split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    services.quote_update(
        actor=request.auth, quote=quote, data=data, version=version, tags=tags, custom=custom
    )
    return _out(request, quote)


@quotes_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 409, 422)},
    operation_id="delete_quote",
    summary="Delete a draft quote",
)
def delete_quote(request: HttpRequest, id: int = RecordId) -> Status:
    quote = selectors.quote_get(actor=request.auth, pk=id)
    services.quote_delete(actor=request.auth, quote=quote)
    return Status(204, None)


@quotes_router.post(
    "/{id}/send",
    response={200: QuoteOut, **error_responses(403, 404, 409, 422)},
    operation_id="send_quote",
    summary="Mark a draft quote as sent",
    description="draft → sent (stamps `sent_at`); the quote cannot change any more. Needs at "
    "least one line.",
)
def send_quote(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    quote = selectors.quote_get(actor=request.auth, pk=id)
    services.quote_send(actor=request.auth, quote=quote)
    return _out(request, quote)


@quotes_router.post(
    "/{id}/accept",
    response={200: QuoteAcceptedOut, **error_responses(403, 404, 409, 422)},
    operation_id="accept_quote",
    summary="Accept a sent quote (creates its order)",
    description=(
        "sent → accepted (stamps `decided_at`) and, in the same transaction, a pending order "
        "with the quote's lines and totals, for the opportunity's account and contact. Returns "
        "the order's id. Accepting again is a 409 `quote_not_sent`."
    ),
)
def accept_quote(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    quote = selectors.quote_get(actor=request.auth, pk=id)
    order = services.quote_accept(actor=request.auth, quote=quote)
    return {"order": order.pk, "quote": _out(request, quote)}


@quotes_router.post(
    "/{id}/reject",
    response={200: QuoteOut, **error_responses(403, 404, 409, 422)},
    operation_id="reject_quote",
    summary="Reject a sent quote",
)
def reject_quote(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    quote = selectors.quote_get(actor=request.auth, pk=id)
    services.quote_reject(actor=request.auth, quote=quote)
    return _out(request, quote)


@quotes_router.get(
    "/{id}/pdf",
    response=error_responses(404, 422),
    operation_id="get_quote_pdf",
    summary="The quote as a PDF",
    openapi_extra=PDF_RESPONSE_DOC,
)
def get_quote_pdf(request: HttpRequest, id: int = RecordId) -> HttpResponse:
    quote = selectors.quote_get(actor=request.auth, pk=id)
    response = HttpResponse(quote_pdf(quote, actor=request.auth), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(quote)}"'
    return response


add_record_routes(quotes_router, noun="quote", get_record=selectors.quote_get)
