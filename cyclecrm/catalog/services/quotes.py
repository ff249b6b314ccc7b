"""Quotes: create and edit drafts (lines priced by `catalog.pricing`), send, accept (which
creates the order in the same transaction) or reject.

Statuses: draft → sent (sent_at) → accepted | rejected (decided_at). Only a draft can be
edited or deleted. Visibility and rights follow the quote's own owner and team; creating one
also needs read access to its opportunity.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.catalog import selectors
from cyclecrm.catalog.errors import QuoteNotDraft, QuoteNotSent
from cyclecrm.catalog.models import Order, Quote, QuoteLine, QuoteStatus
from cyclecrm.catalog.numbering import next_number
from cyclecrm.catalog.services.common import check_known, currency_code, date_value, multiline, text
from cyclecrm.catalog.services.lines import PricedLines, PricingContext, line_rows, lines_prepare
from cyclecrm.catalog.services.orders import order_from_quote
from cyclecrm.core.errors import FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.pipeline.models import Opportunity

QUOTE_CREATE_FIELDS = {
    "opportunity", "currency", "valid_until", "notes", "lines", "segment", "owner_id", "team_id",
    "external_id",
}  # fmt: skip
QUOTE_PATCH_FIELDS = QUOTE_CREATE_FIELDS - {"opportunity"}
NOTES_MAX = 10000


def _header(data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """The quote's own fields, normalized (lines, opportunity and segment are taken out)."""
    out: dict[str, Any] = {}
    if "currency" in data:
        try:
            out["currency"] = currency_code(data["currency"])
        except ValueError as exc:
            errors.add("currency", str(exc))
    if "valid_until" in data:
        try:
            out["valid_until"] = date_value(data["valid_until"])
        except ValueError as exc:
            errors.add("valid_until", str(exc))
    if "notes" in data:
        out["notes"] = multiline(data["notes"])
        if len(out["notes"]) > NOTES_MAX:
            errors.add("notes", f"At most {NOTES_MAX} characters.")
    if "external_id" in data:
        out["external_id"] = text(data["external_id"]) or None
    for name in ("owner_id", "team_id"):
        if name in data:
            out[name] = data[name]
    return out


def _currency_ok(data: dict[str, Any], header: dict[str, Any]) -> bool:
    """Whether the currency, if one was sent, could be read (lines are priced in it)."""
    return "currency" not in data or "currency" in header


def _context(opportunity: Opportunity, currency: str, segment: Any) -> PricingContext:
    account = opportunity.account
    return PricingContext(
        currency=currency,
        country=account.billing_country if account is not None else None,
        segment=text(segment) or None,
    )


def quote_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Quote:
    """A draft quote for an opportunity the actor may read, numbered Q-<year>-<n>. The currency
    defaults to the opportunity's; `segment` (not stored) picks segment price books."""
    if access.level(actor, Quote.record_type, Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create quotes.")
    errors = FieldErrors()
    check_known(data, QUOTE_CREATE_FIELDS, errors)
    opportunity = selectors.quote_opportunity(actor=actor, pk=data.get("opportunity"))
    if data.get("opportunity") in (None, ""):
        errors.add("opportunity", "Required.")
    elif opportunity is None:
        errors.add("opportunity", "No opportunity with this id.")
    header = _header(data, errors)
    priced = None
    if opportunity is not None:
        header.setdefault("currency", opportunity.currency)
    if opportunity is not None and _currency_ok(data, header):
        context = _context(opportunity, header["currency"], data.get("segment"))
        priced = lines_prepare(
            actor=actor, raw_lines=data.get("lines") or [], context=context, errors=errors
        )
    errors.raise_if_any()
    assert opportunity is not None and priced is not None
    with transaction.atomic():
        number = next_number("quote", taken=lambda n: Quote.objects.filter(number=n).exists())
        quote = record_create(
            actor=actor,
            model=Quote,
            data={
                **header,
                **priced.total_fields(),
                "number": number,
                "opportunity_id": opportunity.pk,
                "status": QuoteStatus.DRAFT,
            },
            tags=tags,
            custom=custom,
        )
        QuoteLine.objects.bulk_create(line_rows(QuoteLine, priced, quote=quote))
    return quote


def _require_edit(actor: User, quote: Quote) -> None:
    if not access.can(actor, Action.EDIT, quote):
        raise Forbidden("You may not change this quote.")


def quote_update(
    *,
    actor: User,
    quote: Quote,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Quote:
    """Change a draft. `lines`, when sent, replaces every line and the totals are recomputed;
    changing the currency needs the lines too (their prices are in the old one)."""
    _require_edit(actor, quote)
    if quote.status != QuoteStatus.DRAFT:
        raise QuoteNotDraft(f"Quote {quote.number} is {quote.status}; only drafts can change.")
    errors = FieldErrors()
    check_known(data, QUOTE_PATCH_FIELDS, errors)
    header = _header(data, errors)
    currency = header.get("currency", quote.currency)
    priced: PricedLines | None = None
    if "lines" in data:
        if _currency_ok(data, header):
            context = _context(quote.opportunity, currency, data.get("segment"))
            priced = lines_prepare(
                actor=actor, raw_lines=data["lines"] or [], context=context, errors=errors
            )
    elif currency != quote.currency:
        errors.add("lines", "Send the lines again when changing the currency.")
    errors.raise_if_any()
    if priced is not None:
        header.update(priced.total_fields())
    with transaction.atomic():
        record_update(
            actor=actor, instance=quote, data=header, version=version, tags=tags, custom=custom
        )
        if priced is not None:
            quote.lines.all().delete()
            QuoteLine.objects.bulk_create(line_rows(QuoteLine, priced, quote=quote))
    return quote


def quote_send(*, actor: User, quote: Quote) -> Quote:
    """draft → sent: the quote is frozen from now on."""
    _require_edit(actor, quote)
    if quote.status != QuoteStatus.DRAFT:
        raise QuoteNotDraft(f"Quote {quote.number} is already {quote.status}.")
    if not quote.lines.exists():
        raise ValidationFailed(
            "Add at least one line before sending.", fields={"lines": ["No lines."]}
        )
    return _decide(actor, quote, QuoteStatus.SENT, "sent_at", "quote.sent")


def quote_accept(*, actor: User, quote: Quote) -> Order:
    """sent → accepted, and the order made from it (lines copied, account and contact from the
    opportunity, status pending), in one transaction: both happen or neither. Returns the order."""
    _require_edit(actor, quote)
    _require_sent(quote, "accepted")
    with transaction.atomic():
        _decide(actor, quote, QuoteStatus.ACCEPTED, "decided_at", None)
        order = order_from_quote(actor=actor, quote=quote)
        emit(Event("quote.accepted", Quote.record_type, quote.pk, actor.pk, {"order_id": order.pk}))
    return order


def quote_reject(*, actor: User, quote: Quote) -> Quote:
    _require_edit(actor, quote)
    _require_sent(quote, "rejected")
    return _decide(actor, quote, QuoteStatus.REJECTED, "decided_at", "quote.rejected")


def _require_sent(quote: Quote, verb: str) -> None:
    if quote.status != QuoteStatus.SENT:
        raise QuoteNotSent(
            f"Only a sent quote can be {verb}; quote {quote.number} is {quote.status}."
        )


def _decide(actor: User, quote: Quote, status: str, stamp: str, event: str | None) -> Quote:
    """The status change as a versioned update: of two concurrent decisions on the same
    version, the second is a 409 version conflict and changes nothing."""
    with transaction.atomic():
        record_update(
            actor=actor,
            instance=quote,
            data={"status": status, stamp: timezone.now()},
            version=quote.version,
        )
        if event:
            emit(Event(event, Quote.record_type, quote.pk, actor.pk))
    return quote


def quote_delete(*, actor: User, quote: Quote) -> None:
    if access.can(actor, Action.DELETE, quote) and quote.status != QuoteStatus.DRAFT:
        raise QuoteNotDraft(f"Quote {quote.number} is {quote.status}; only drafts can be deleted.")
    record_delete(actor=actor, instance=quote)
